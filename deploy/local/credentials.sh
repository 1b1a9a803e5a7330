# shellcheck shell=bash
# The local cluster's credentials (sourced by up.sh and down.sh), all under $state/auth:
#   signing/private.pem, signing/public.pem   the Ed25519 key pair tokens are signed with
#   node.token                                  the safekeepers' own token (scope safekeeper)
#   admin.token                                 skctl's token for tenant creation (scope admin)
#   tenant.token                                skctl's token for the demo tenant (tenant:ID)
#   ca.pem, ca.key, server.pem, server.key     a CA of this machine and the safekeepers'
#                                               certificate (127.0.0.1 and localhost)
# docs/SECURITY.md says what each scope may do. Everything is made once and kept; tokens are
# issued again when they have less than a day left. The sourcing script sets $state and
# $skctl_bin.
# shellcheck disable=SC2154

auth_dir() { echo "$state/auth"; }

# Signing keys, the safekeepers' token and the TLS files, made if missing.
ensure_credentials() {
  local dir
  dir="$(auth_dir)"
  mkdir -p "$dir"
  chmod 700 "$dir"
  if [[ ! -f "$dir/signing/private.pem" ]]; then
    "$skctl_bin" token keygen --out "$dir/signing" >/dev/null || fail "skctl token keygen"
    log "token signing key made: $dir/signing/private.pem"
  fi
  ensure_token node safekeeper 365d
  ensure_token admin admin 30d
  if [[ ! -f "$dir/server.pem" ]]; then
    openssl req -x509 -newkey ed25519 -nodes -keyout "$dir/ca.key" -out "$dir/ca.pem" \
      -days 3650 -subj "/CN=safekeeper local CA" 2>/dev/null || fail "making the local CA"
    openssl req -newkey ed25519 -nodes -keyout "$dir/server.key" -out "$dir/server.csr" \
      -subj "/CN=localhost" 2>/dev/null || fail "making the safekeepers' key"
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$dir/server.ext"
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
      -CAcreateserial -out "$dir/server.pem" -days 825 -extfile "$dir/server.ext" 2>/dev/null ||
      fail "signing the safekeepers' certificate"
    log "TLS certificate for 127.0.0.1 made: $dir/server.pem (CA $dir/ca.pem)"
  fi
  # Replicas' PostgreSQL (the postgres user) reads the CA to check the safekeepers.
  chmod 711 "$dir"
  chmod 644 "$dir/ca.pem"
}

# $dir/$1.token with scope $2, issued for $3 unless one with more than a day left exists.
ensure_token() {
  local file
  file="$(auth_dir)/$1.token"
  if [[ -f "$file" ]] && token_days_left "$file"; then
    return
  fi
  "$skctl_bin" token issue --key "$(auth_dir)/signing/private.pem" --scope "$2" --ttl "$3" \
    --subject "local-$1" >"$file.tmp" || fail "skctl token issue --scope $2"
  chmod 600 "$file.tmp"
  mv "$file.tmp" "$file"
}

# Whether the token in $1 expires more than a day from now (its "exp" claim).
token_days_left() {
  local claims exp
  claims="$(cut -d. -f2 "$1" | tr '_-' '/+')"
  while ((${#claims} % 4)); do claims+="="; done
  exp="$(base64 -d <<<"$claims" 2>/dev/null | jq -r '.exp // 0')" || return 1
  (($(date +%s) + 86400 < exp))
}

# skctl's settings for the local cluster: HTTPS with the local CA, the admin token.
use_local_client_settings() {
  export SKCTL_SAFEKEEPERS="https://127.0.0.1:7676,https://127.0.0.1:7677,https://127.0.0.1:7678"
  SKCTL_TLS_CA="$(auth_dir)/ca.pem"
  SKCTL_TOKEN_FILE="$(auth_dir)/admin.token"
  export SKCTL_TLS_CA SKCTL_TOKEN_FILE
}
