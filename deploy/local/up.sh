#!/usr/bin/env bash
# The local cluster on this machine, in one command: installs what is missing (Debian 12, as
# root), builds, makes the cluster's credentials (a token signing key and tokens, a local CA and
# a certificate: credentials.sh), mounts a file system that clones (XFS, reflink=1), starts three
# safekeepers that require tokens and speak TLS on their HTTP and replication ports, a
# PostgreSQL 15 compute on branch `main` with its walproposer (quorum durability: fsync and
# full-page writes off; skctl takes its first snapshot), and shows a branch as of a moment
# between two writes.
# Idempotent: run again, it reuses the safekeepers, the tenant, `main` and its compute, and makes
# a fresh demonstration branch. Stop everything with deploy/local/down.sh.
#
# $SK_SAFEKEEPER_FLAGS, if set, is added to each safekeeper's command line (tests/branch_soak.sh
# lowers the minimum history retention window with it).
#
# Everything lives under one directory (data, logs, pids): $SK_LOCAL_DIR, else .local/ in the
# repository, or /var/lib/sk-local when the postgres user cannot reach the repository.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../../tests/run.sh
source "$repo_root/tests/run.sh" # install_missing_packages, configure, log, fail
# shellcheck source=state_dir.sh
source "$repo_root/deploy/local/state_dir.sh"
# shellcheck source=credentials.sh
source "$repo_root/deploy/local/credentials.sh"
build_dir="$repo_root/build"
state="" # Known once the postgres user exists (install_missing_packages).
cow=""   # $state/cow: the file system that clones (mount_clone_fs).

readonly proposer_ports=(5454 5455 5456)
readonly pg_ports=(6454 6455 6456)
readonly http_ports=(7676 7677 7678)
readonly main_port=55432
readonly demo_port=55433

safekeeper_bin="$build_dir/safekeeper/safekeeper"
skctl_bin="$build_dir/safekeeper/skctl/skctl"
export SKCTL_TENANT=demo

skctl() { "$skctl_bin" "$@"; }
psql_at() { psql "postgresql://postgres@127.0.0.1:$1/postgres" -X -q -At -v ON_ERROR_STOP=1 -c "$2"; }

# Retries a command until it succeeds, for at most $1 seconds (a cluster electing its branch log
# writer answers 503 for a moment).
retry_for() {
  local seconds=$1
  shift
  local deadline=$((SECONDS + seconds))
  until "$@" 2>"$state/last_error"; do
    if ((SECONDS >= deadline)); then
      cat "$state/last_error" >&2
      return 1
    fi
    sleep 0.2
  done
}

is_running() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

build_programs() {
  if [[ ! -f "$build_dir/CMakeCache.txt" ]]; then
    configure
  fi
  log "building safekeeper, walproposer and skctl"
  cmake --build "$build_dir" --parallel "$(nproc)" --target safekeeper walproposer skctl ||
    fail "build (see the first error above)"
}

# The safekeepers run as a user of their own, never as root: `safekeeper`, a system user with no
# shell and no home, owning their data directories and able to read their token and TLS key.
readonly service_user=safekeeper
ensure_service_user() {
  if [[ $EUID -ne 0 ]]; then
    return # They run as whoever runs this script.
  fi
  if ! id "$service_user" >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
      "$service_user" || fail "useradd $service_user"
    log "system user $service_user made: the safekeepers run as it"
  fi
  local auth
  auth="$(auth_dir)"
  chown "$service_user:" "$auth/node.token" "$auth/server.key"
  chmod 711 "$auth/signing" # private.pem stays 0600, root's; public.pem is 0644.
}

start_safekeepers() {
  local peers="" i
  local -a extra_flags
  read -ra extra_flags <<<"${SK_SAFEKEEPER_FLAGS:-}"
  local auth
  auth="$(auth_dir)"
  local -a as_service_user=()
  if [[ $EUID -eq 0 ]]; then
    as_service_user=(setpriv --reuid="$service_user" --regid="$service_user" --init-groups --)
  fi
  for i in 0 1 2; do
    peers+="${peers:+,}$((i + 1))=127.0.0.1:${proposer_ports[$i]}"
  done
  for i in 0 1 2; do
    local id=$((i + 1)) dir="$state/sk$((i + 1))"
    mkdir -p "$dir/data"
    if is_running "$dir/pid"; then
      log "safekeeper $id is running (pid $(cat "$dir/pid"))"
      continue
    fi
    if [[ $EUID -eq 0 ]]; then
      chown -R "$service_user:" "$dir"
    fi
    setsid "${as_service_user[@]}" "$safekeeper_bin" --id "$id" --data-dir "$dir/data" \
      --listen-proposer "127.0.0.1:${proposer_ports[$i]}" --listen-pg "127.0.0.1:${pg_ports[$i]}" \
      --listen-http "127.0.0.1:${http_ports[$i]}" --peers "$peers" \
      --auth-public-keys "$auth/signing/public.pem" --auth-token-file "$auth/node.token" \
      --tls-cert "$auth/server.pem" --tls-key "$auth/server.key" "${extra_flags[@]}" \
      >>"$dir/safekeeper.log" 2>&1 </dev/null &
    echo $! >"$dir/pid"
    log "safekeeper $id started (pid $!, https://127.0.0.1:${http_ports[$i]}, log $dir/safekeeper.log)"
  done
}

# The snapshot store and the computes' data directories on one file system that clones (XFS with
# reflink=1, in a sparse file under the state directory, loop-mounted on $state/cow), so that a
# compute starts from a snapshot in O(1) of its size. Without root there is no mount: plain
# directories, and restores copy (skctl says so).
mount_clone_fs() {
  local image="$state/cow.xfs"
  mkdir -p "$cow"
  if ! mountpoint -q "$cow"; then
    if [[ $EUID -ne 0 ]]; then
      log "not root: $cow is a plain directory (computes start from copies, not clones)"
    else
      if ! command -v mkfs.xfs >/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends xfsprogs \
          >/dev/null || fail "apt-get install xfsprogs"
      fi
      if [[ ! -f "$image" ]]; then
        truncate -s 64G "$image" # Sparse: takes only what is written.
        mkfs.xfs -q -m reflink=1 "$image" || fail "mkfs.xfs on $image"
      fi
      mount -o loop "$image" "$cow" || fail "mounting $image on $cow"
      chmod 755 "$cow"
      log "snapshots and computes on XFS (reflink=1): $image mounted on $cow"
    fi
  fi
  mkdir -p "$cow/snapshots"
  export SKCTL_SNAPSHOT_STORE="$cow/snapshots"
}

# Whether `skctl ... list --output json` on stdin lists something named $2 under key $1.
lists_name() { jq -e --arg name "$2" ".$1 | any(.name == \$name)" >/dev/null; }

ensure_main() {
  if ! skctl tenant list --output json | lists_name tenants demo; then
    retry_for 30 skctl tenant create demo >/dev/null
    log "tenant demo created"
  fi
  # From here on skctl (and the walproposers it starts) acts for the tenant only; a tenant
  # token cannot list tenants, so the tenant is named by its id.
  local tenant_id
  tenant_id="$(skctl tenant list --output json | jq -r '.tenants[] | select(.name == "demo") | .tenant_id')"
  ensure_token tenant "tenant:$tenant_id" 30d
  export SKCTL_TENANT="$tenant_id"
  SKCTL_TOKEN_FILE="$(auth_dir)/tenant.token"
  export SKCTL_TOKEN_FILE
  if ! skctl branch list --output json | lists_name branches main; then
    retry_for 30 skctl branch create main >/dev/null
    log "branch main created"
  fi
  if ! is_running "$state/main.postgres.pid"; then
    log "starting the compute of main on port $main_port (initdb the first time)"
    skctl compute stop --branch main >/dev/null 2>&1 || true
    skctl compute start --branch main --pgdata "$cow/main" --port "$main_port"
    jq -r .postgres_pid "$SKCTL_HOME/endpoints/$main_port.json" >"$state/main.postgres.pid"
  fi
  psql_at "$main_port" "CREATE TABLE IF NOT EXISTS demo (id serial PRIMARY KEY, note text,
                        written_at timestamptz NOT NULL DEFAULT clock_timestamp())"
  skctl snapshot list
}

demonstrate() {
  local run
  run="$(date +%Y%m%d-%H%M%S)"
  psql_at "$main_port" "INSERT INTO demo (note) SELECT 'before, run $run #' || g FROM generate_series(1, 3) g"
  local moment
  moment="$(psql_at "$main_port" "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")"
  psql_at "$main_port" "INSERT INTO demo (note) SELECT 'after, run $run #' || g FROM generate_series(1, 3) g"
  log "main: 3 rows written before $moment and 3 after"

  if [[ -f "$state/demo_branch" ]]; then # The previous run's branch: its compute gives way.
    skctl compute stop --branch "$(cat "$state/demo_branch")" >/dev/null 2>&1 || true
    rm -rf "$cow/demo"
  fi
  local branch="as-of-$run"
  retry_for 30 skctl branch create "$branch" --parent "main@$moment"
  echo "$branch" >"$state/demo_branch"
  skctl compute start --branch "$branch" --pgdata "$cow/demo" --port "$demo_port"
  local on_branch on_main
  on_branch="$(psql_at "$demo_port" "SELECT count(*) FROM demo WHERE note LIKE '%run $run #%'")"
  on_main="$(psql_at "$main_port" "SELECT count(*) FROM demo WHERE note LIKE '%run $run #%'")"
  log "rows of this run: $on_main on main, $on_branch on branch $branch (as of $moment)"
  if [[ "$on_branch" != 3 || "$on_main" != 6 ]]; then
    fail "the branch should hold the 3 earlier rows only"
  fi
  psql_at "$demo_port" "SELECT note FROM demo WHERE note LIKE '%run $run #%' ORDER BY id" |
    sed 's/^/    /'
}

main() {
  cd "$repo_root"
  export CCACHE_DIR="${CCACHE_DIR:-${HOME:-/root}/.ccache}"
  install_missing_packages
  state="$(local_state_dir "$repo_root")"
  export SKCTL_HOME="$state/skctl"
  export PGPASSFILE="$SKCTL_HOME/pgpass" # Computes take scram-sha-256 only (skctl keeps it).
  cow="$state/cow"
  build_programs
  mkdir -p "$state"
  chmod 755 "$state" # PostgreSQL runs as the postgres user and must reach its data directory.
  ensure_credentials
  ensure_service_user
  use_local_client_settings
  mount_clone_fs
  start_safekeepers
  retry_for 30 skctl tenant list >/dev/null ||
    fail "the safekeepers do not answer over HTTPS with the local token (started by an older up.sh? deploy/local/down.sh, then up.sh again)"
  ensure_main
  demonstrate
  cat <<EOT

The local cluster is up (state in $state):
  safekeepers  HTTPS $SKCTL_SAFEKEEPERS (CA $SKCTL_TLS_CA)
               replication 127.0.0.1:${pg_ports[0]},${pg_ports[1]},${pg_ports[2]} (TLS only; the token is the password)
               tokens required on every port: $(auth_dir)/admin.token (admin), $(auth_dir)/tenant.token (tenant demo)
               run as user $(id -un "$service_user" 2>/dev/null || id -un)
  main         psql "postgresql://postgres@127.0.0.1:$main_port/postgres?passfile=$PGPASSFILE"
               (a disposable compute: fsync off, every commit on a majority of safekeepers;
               scram-sha-256 only, the password in $SKCTL_HOME/passwords/$SKCTL_TENANT)
  $(cat "$state/demo_branch")  psql "postgresql://postgres@127.0.0.1:$demo_port/postgres?passfile=$PGPASSFILE"

skctl (set these first):
  export SKCTL_SAFEKEEPERS=$SKCTL_SAFEKEEPERS SKCTL_HOME=$SKCTL_HOME SKCTL_TENANT=$SKCTL_TENANT
  export SKCTL_SNAPSHOT_STORE=$SKCTL_SNAPSHOT_STORE SKCTL_TLS_CA=$SKCTL_TLS_CA
  export SKCTL_TOKEN_FILE=$SKCTL_TOKEN_FILE PGPASSFILE=$PGPASSFILE
  curl --cacert $SKCTL_TLS_CA -H "Authorization: Bearer \$(cat $SKCTL_TOKEN_FILE)" ${SKCTL_SAFEKEEPERS%%,*}/v1/status
  $skctl_bin branch list
  $skctl_bin branch create mybranch --parent main@$(date -u +%Y-%m-%dT%H:%M:%SZ)   # or main@0/1A2B3C8
  $skctl_bin compute start --branch mybranch --pgdata $cow/mybranch --port 55434

Stop everything: deploy/local/down.sh
EOT
}

main "$@"
