# Sourced by up.sh and down.sh: where the local cluster keeps its state, the same for both.
# $SK_LOCAL_DIR if set; else .local/ in the repository when the postgres user can reach it
# (PostgreSQL refuses to run as root, and a clone under /root is closed to other users); else
# /var/lib/sk-local.
local_state_dir() {
  local repo_root="$1"
  if [[ -n "${SK_LOCAL_DIR:-}" ]]; then
    echo "$SK_LOCAL_DIR"
  elif [[ $EUID -ne 0 ]] ||
    setpriv --reuid=postgres --regid=postgres --init-groups -- test -x "$repo_root" 2>/dev/null; then
    echo "$repo_root/.local"
  else
    echo /var/lib/sk-local
  fi
}
