#!/usr/bin/env bash
# The branch lifecycle soak: disk stays bounded while branches come and go under load. Outside CI
# (tests/soak.sh runs it as one of its steps). Usage: tests/branch_soak.sh [MINUTES] (default 30).
#
# The local cluster of deploy/local/up.sh, in a state directory of its own (its fixed ports must
# be free), without up.sh's demonstration branch, with a 2-minute history retention window (the
# safekeepers run with --min-history-retention 1m and remove WAL every 2 s), and on it for
# MINUTES:
#   * pgbench on main at 300 transactions a second;
#   * every 3 s a branch of main made with --ttl 20s, which the cluster deletes once expired;
#   * every 10 s the oldest live branch deleted by hand (refused while it has children: none);
#   * every 2 minutes a snapshot of main, and the snapshots older than the newest two deleted
#     (the branch log refuses one a start would still use);
#   * every 30 s a sample: each safekeeper's WAL on disk (/metrics, all timelines) and its data
#     directory (du), and the live branches.
# At the end it prints the samples and compares the largest WAL on disk in the second half with
# the largest in the first half after 5 minutes of warm-up: more than 1.5 times as much is
# unbounded growth, and the exit status is 1. Everything is stopped (deploy/local/down.sh) and
# the state directory removed.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
minutes="${1:-30}"
[[ "$minutes" =~ ^[1-9][0-9]*$ ]] || {
  echo "usage: tests/branch_soak.sh [MINUTES]" >&2
  exit 2
}
state="$(mktemp -d /var/tmp/sk-branch-soak.XXXXXX)"
chmod 755 "$state"
export SK_LOCAL_DIR="$state"
export SK_SAFEKEEPER_FLAGS="--min-history-retention 1m --wal-removal-interval 2s"
export SKCTL_SAFEKEEPERS="127.0.0.1:7676,127.0.0.1:7677,127.0.0.1:7678"
export SKCTL_TENANT=demo
export SKCTL_HOME="$state/skctl"
export SKCTL_SNAPSHOT_STORE="$state/cow/snapshots"
skctl="$repo_root/build/safekeeper/skctl/skctl"
http_ports=(7676 7677 7678)

log() { printf '==> %s\n' "$*" >&2; }
bench_pid=""
finish() {
  [[ -n "$bench_pid" ]] && kill "$bench_pid" 2>/dev/null || true
  "$repo_root/deploy/local/down.sh" >"$state/down.log" 2>&1 || log "down.sh failed: see $state/down.log"
  rm -rf "$state"
}
trap finish EXIT

log "starting the local cluster in $state"
"$repo_root/deploy/local/up.sh" >"$state/up.log" 2>&1 || {
  tail -20 "$state/up.log" >&2
  exit 1
}
"$skctl" tenant set --history-retention 2m >/dev/null
# up.sh's demonstration branch would hold main's WAL from its first snapshot on for the whole
# run (a start of it replays from there): it goes, with its compute.
demo="$(cat "$state/demo_branch")"
"$skctl" compute stop --branch "$demo" >/dev/null
"$skctl" branch delete "$demo" >/dev/null
main="postgresql://postgres@127.0.0.1:55432/postgres"
pg_bin="$(pg_config --bindir)"
"$pg_bin/pgbench" -i -s 5 -q "$main" >"$state/pgbench-init.log" 2>&1
"$pg_bin/pgbench" -c 2 -R 300 -T $((minutes * 60)) -n "$main" >"$state/pgbench.log" 2>&1 &
bench_pid=$!

wal_on_disk_mib() {  # Node $1: its timelines' WAL segment files, in MiB.
  curl -fs "127.0.0.1:${http_ports[$1]}/metrics" |
    awk '/^safekeeper_wal_disk_bytes/ { sum += $2 } END { printf "%d", sum / 1048576 }'
}
live_branches() { "$skctl" branch list --output json | jq '.branches | length'; }

samples="$state/samples"
: >"$samples"
start=$SECONDS
made=0
deleted=0
expired_seen=0
next_sample=0
next_snapshot=0
next_delete=10
while ((SECONDS - start < minutes * 60)); do
  elapsed=$((SECONDS - start))
  if "$skctl" branch create "soak-$made" --parent main --ttl 20s >/dev/null 2>>"$state/errors.log"; then
    made=$((made + 1))
  fi
  if ((elapsed >= next_delete)); then
    oldest="$("$skctl" branch list --output json |
      jq -r '[.branches[] | select(.name | startswith("soak-"))] | sort_by(.created_at) | .[0].name // empty')"
    if [[ -n "$oldest" ]] && "$skctl" branch delete "$oldest" >/dev/null 2>>"$state/errors.log"; then
      deleted=$((deleted + 1))
    fi
    next_delete=$((elapsed + 10))
  fi
  if ((elapsed >= next_snapshot)); then
    "$skctl" snapshot create --branch main >/dev/null 2>>"$state/errors.log" || true
    for id in $("$skctl" snapshot list --output json |
      jq -r '.snapshots | sort_by(.created_at) | .[:-2][] | .snapshot_id'); do
      "$skctl" snapshot delete "$id" >/dev/null 2>>"$state/errors.log" || true
    done
    next_snapshot=$((elapsed + 120))
  fi
  if ((elapsed >= next_sample)); then
    printf '%d %s %s %s %s %s %s %s\n' "$elapsed" "$(wal_on_disk_mib 0)" "$(wal_on_disk_mib 1)" \
      "$(wal_on_disk_mib 2)" "$(du -sm "$state/sk1/data" | cut -f1)" \
      "$(du -sm "$state/sk2/data" | cut -f1)" "$(du -sm "$state/sk3/data" | cut -f1)" \
      "$(live_branches)" >>"$samples"
    next_sample=$((elapsed + 30))
  fi
  # A branch every 3 s: wait for pgbench to end, 3 s at most (it ends the run when it does).
  timeout 3 tail --pid="$bench_pid" -f /dev/null || true
  kill -0 "$bench_pid" 2>/dev/null || break
done
wait "$bench_pid" || log "pgbench ended with an error: see $state/pgbench.log"
bench_pid=""

echo
echo "seconds  WAL on disk MiB (sk1 sk2 sk3)  data dir MiB (sk1 sk2 sk3)  live branches"
awk '{ printf "%7d  %9s %5s %5s  %12s %5s %5s  %13s\n", $1, $2, $3, $4, $5, $6, $7, $8 }' "$samples"
echo "branches made $made, deleted by hand $deleted, the rest deleted by expiry"
awk '/^tps = / { print "pgbench: " $0 }' "$state/pgbench.log"
half=$((minutes * 30))
verdict="$(awk -v warm=300 -v half="$half" '
  { m = $2; if ($3 > m) m = $3; if ($4 > m) m = $4 }
  $1 >= warm && $1 < half { if (m > first) first = m }
  $1 >= half { if (m > second) second = m }
  END {
    printf "largest WAL on disk on a node: %d MiB from 5 min to half time, %d MiB after\n", first, second
    exit (first > 0 && second > 1.5 * first) ? 1 : 0
  }' "$samples")" && bounded=1 || bounded=0
echo "$verdict"
if [[ $bounded -eq 1 ]]; then
  echo "bounded: yes"
else
  echo "bounded: NO (the second half holds more than 1.5 times the first)"
  exit 1
fi
