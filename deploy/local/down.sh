#!/usr/bin/env bash
# Stops what deploy/local/up.sh started: every compute and replica skctl started, the mount of
# snapshots and computes, then the three safekeepers. Data stays where up.sh put it (state_dir.sh); removing that directory forgets it.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=state_dir.sh
source "$repo_root/deploy/local/state_dir.sh"
# shellcheck source=credentials.sh
source "$repo_root/deploy/local/credentials.sh"
state="$(local_state_dir "$repo_root")"
skctl_bin="$repo_root/build/safekeeper/skctl/skctl"
use_local_client_settings
export SKCTL_HOME="$state/skctl"
export SKCTL_TENANT=demo
export SKCTL_SNAPSHOT_STORE="$state/cow/snapshots"

field() { jq -r ".$1" "$2"; }

for endpoint in "$SKCTL_HOME"/endpoints/*.json; do
  [[ -f "$endpoint" ]] || continue
  if [[ "$(field kind "$endpoint")" == replica ]]; then
    "$skctl_bin" replica stop --pgdata "$(field pgdata "$endpoint")" || true
  else
    "$skctl_bin" compute stop --tenant "$(field tenant_id "$endpoint")" \
      --branch "$(field branch "$endpoint")" || true
  fi
done
rm -f "$state/main.postgres.pid"
if mountpoint -q "$state/cow"; then
  umount "$state/cow" && echo "unmounted $state/cow (snapshots and computes' data)"
fi

for pidfile in "$state"/sk*/pid; do
  [[ -f "$pidfile" ]] || continue
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    echo "stopped safekeeper (pid $pid)"
  fi
  rm -f "$pidfile"
done
