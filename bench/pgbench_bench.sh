#!/usr/bin/env bash
# pgbench against one PostgreSQL 15 primary in three set-ups, one after the other on this
# machine and disk, each on a fresh cluster (initdb, pgbench -i), fsync on:
#   (a) walproposer: the primary's commits wait for a majority of 3 safekeepers
#       (synchronous_standby_names = 'walproposer');
#   (a') the same with quorum durability, as skctl runs computes by default: fsync = off and
#       full_page_writes = off on the primary (the quorum holds every acknowledged commit);
#   (b) native quorum: three `pg_receivewal --synchronous` (r1, r2, r3) and
#       synchronous_standby_names = 'ANY 2 (r1, r2, r3)';
#   (c) no synchronous standby at all;
#   (r) (a') on a branch of a tenant whose history retention window is 1 minute, the safekeepers
#       removing WAL below the removal horizon every second, and a snapshot of the primary taken
#       every 30 s (`skctl snapshot create`: a branch's start replays from its newest snapshot, so
#       without one the whole timeline is held);
#   (r0) the same with WAL removal off (--wal-removal-interval 0s): what removal costs is r/r0.
# Prints TPS and latency p50/p99 (from pgbench's per-transaction log) per set-up and the ratios
# a/b, a'/b, a/c and a'/c (with the default set-ups), r/r0 (with r and r0), and for r the WAL
# segments removed and each node's WAL on disk at the end. Figures are for people: nothing
# asserts on them.
#
#   bench/pgbench_bench.sh [--seconds S] [--scale N] [--clients C] [--threads T]
#                          [--setups a,a2,b,c,r,r0] [--perf] [--no-build]
# --perf records every CPU (perf record -a) for 10 s in the middle of each run and prints where
# the cycles went, process by process: where a commit's CPU time goes in each set-up.
set -euo pipefail
# shellcheck source=bench/bench_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="$repo_root/build"
seconds=60
scale=10
clients=8
threads=2
build=1
setups="a,a2,b,c"
perf=0
base_dir=/var/tmp  # Not /tmp: that may be tmpfs, where fsync costs nothing.

usage() {
  echo "usage: bench/pgbench_bench.sh [--seconds S] [--scale N] [--clients C] [--threads T] [--setups a,a2,b,c,r,r0] [--perf] [--no-build]" >&2
  exit 2
}
number='^[1-9][0-9]*$'
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) [[ $# -ge 2 && "$2" =~ $number ]] || usage; seconds="$2"; shift 2 ;;
    --scale) [[ $# -ge 2 && "$2" =~ $number ]] || usage; scale="$2"; shift 2 ;;
    --clients) [[ $# -ge 2 && "$2" =~ $number ]] || usage; clients="$2"; shift 2 ;;
    --threads) [[ $# -ge 2 && "$2" =~ $number ]] || usage; threads="$2"; shift 2 ;;
    --setups) [[ $# -ge 2 && "$2" =~ ^(a|a2|b|c|r|r0)(,(a|a2|b|c|r|r0))*$ ]] || usage; setups="$2"; shift 2 ;;
    --perf) perf=1; shift ;;
    --no-build) build=0; shift ;;
    *) usage ;;
  esac
done

# --- Tools -------------------------------------------------------------------------------------
command -v pg_config >/dev/null || apt-get install -y libpq-dev >/dev/null
pg_bin="$(pg_config --bindir)"
[[ -x "$pg_bin/postgres" ]] || pg_bin=/usr/lib/postgresql/15/bin
[[ -x "$pg_bin/postgres" ]] || fail "PostgreSQL 15's server is not installed (apt-get install postgresql-15)"
pgbench_bin="$pg_bin/pgbench"
[[ -x "$pgbench_bin" ]] || pgbench_bin="$(command -v pgbench)" || fail "pgbench is missing"
if [[ $build -eq 1 ]]; then
  if [[ ! -f "$build_dir/CMakeCache.txt" ]]; then
    cmake -S "$repo_root" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  log "building"
  nice cmake --build "$build_dir" -j "$(nproc)" --target safekeeper walproposer skctl >/dev/null ||
    fail "build (run the cmake command above without >/dev/null to see why)"
fi
safekeeper_bin="$build_dir/safekeeper/safekeeper"
walproposer_bin="$build_dir/safekeeper/walproposer/walproposer"
skctl_bin="$build_dir/safekeeper/skctl/skctl"
for bin in "$safekeeper_bin" "$walproposer_bin" "$skctl_bin"; do
  [[ -x "$bin" ]] || fail "$bin is missing (build it or drop --no-build)"
done

# --- Scratch directory, processes, clean-up ----------------------------------------------------
mkdir -p "$base_dir"
work="$(mktemp -d "$base_dir/sk-pgbench.XXXXXX")"
chmod 755 "$work"
fs_type="$(stat -f -c %T "$work")"
[[ "$fs_type" != tmpfs && "$fs_type" != ramfs ]] ||
  fail "$work is on $fs_type: fsync would cost nothing"

# PostgreSQL refuses to run as root: as root, its programs run as the postgres user.
as_postgres() {
  if [[ $EUID -eq 0 ]]; then
    setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
  else
    "$@"
  fi
}

remove_on_exit "$work"

# --- One set-up --------------------------------------------------------------------------------
# start_primary DIR SYNC_NAMES [EXTRA_SETTINGS]: initdb, start; sets pg_port.
start_primary() {
  local dir="$1" sync_names="$2" extra="${3:-}"
  mkdir -p "$dir"
  [[ $EUID -eq 0 ]] && chown postgres "$dir"
  as_postgres "$pg_bin/initdb" -D "$dir/pgdata" -U postgres --auth=trust >"$dir/initdb.log" 2>&1 ||
    fail "initdb (see $dir/initdb.log)"
  pg_port="$(free_port)"
  cat >>"$dir/pgdata/postgresql.conf" <<CONF
port = $pg_port
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_wal_senders = 10
max_replication_slots = 10
shared_buffers = 256MB
synchronous_commit = on
synchronous_standby_names = '$sync_names'
$extra
CONF
  echo "host replication all 127.0.0.1/32 trust" >>"$dir/pgdata/pg_hba.conf"
  as_postgres "$pg_bin/postgres" -D "$dir/pgdata" >"$dir/postgres.log" 2>&1 &
  pids+=($!)
  wait_for 60 "PostgreSQL on port $pg_port" "$pg_bin/pg_isready" -h 127.0.0.1 -p "$pg_port"
}

primary_conninfo() { echo "host=127.0.0.1 port=$pg_port user=postgres"; }

# A plain commit has returned: every synchronous standby the set-up needs is streaming.
check_commit() {
  timeout 30 "$pg_bin/psql" "$(primary_conninfo) dbname=postgres" -XAtq \
    -c "CREATE TABLE IF NOT EXISTS ready (i int); INSERT INTO ready VALUES (1)" >/dev/null ||
    fail "a commit did not return within 30 s"
}

# run_pgbench NAME: initialises, runs, and writes "TPS P50_MS P99_MS" to $work/NAME.result.
run_pgbench() {
  local name="$1" dir="$work/$1"
  log "$name: pgbench -i -s $scale"
  "$pgbench_bin" -i -s "$scale" -q "$(primary_conninfo) dbname=postgres" >"$dir/init.log" 2>&1 ||
    fail "pgbench -i (see $dir/init.log)"
  log "$name: pgbench -c $clients -j $threads -T $seconds"
  local recorder=""
  if [[ $perf -eq 1 ]]; then
    (sleep $((seconds / 2 - 5)) && perf record -a -g -q -o "$dir/perf.data" -- sleep 10) \
      >"$dir/perf.log" 2>&1 &
    recorder=$!
  fi
  (cd "$dir" && "$pgbench_bin" -c "$clients" -j "$threads" -T "$seconds" -l \
    --log-prefix=txn "$(primary_conninfo) dbname=postgres" >"$dir/run.log" 2>&1) ||
    fail "pgbench (see $dir/run.log)"
  if [[ -n "$recorder" ]]; then
    wait "$recorder" || true
    log "$name: CPU by process over 10 s (perf record -a), as shares of all samples"
    perf report -i "$dir/perf.data" --no-children --sort comm --stdio 2>/dev/null |
      grep -E '^ +[0-9.]+%' | head -12 >&2
  fi
  local tps
  tps="$(awk '/^tps = / { print $3; exit }' "$dir/run.log")"
  # Per-transaction log: the third field is the latency in microseconds.
  cat "$dir"/txn.* | awk '{ print $3 }' | sort -n >"$dir/latencies"
  local count p50 p99
  count="$(wc -l <"$dir/latencies")"
  p50="$(awk -v n="$count" 'NR == int(n * 0.50 + 0.5) { printf "%.2f", $1 / 1000 }' "$dir/latencies")"
  p99="$(awk -v n="$count" 'NR == int(n * 0.99 + 0.5) { printf "%.2f", $1 / 1000 }' "$dir/latencies")"
  echo "$tps $p50 $p99" >"$work/$name.result"
}

# (a) The walproposer and three safekeepers; NAME a, or a2 for (a') with EXTRA_SETTINGS. With
# REMOVAL_INTERVAL (r and r0), the safekeepers hold the branch log and the timeline is the root
# branch of a tenant with a 1-minute history retention window.
setup_walproposer() {
  local name="$1" extra="${2:-}" removal="${3:-}"
  local dir="$work/$name" i sks="" https="" tenant timeline
  tenant="$(printf '%032x' 1)"
  timeline="$(printf '%032x' 1)"
  start_primary "$dir" walproposer "$extra"
  local -a proposer_ports http_ports sk_flags=()
  for i in 1 2 3; do
    proposer_ports[i]="$(free_port)"
    http_ports[i]="$(free_port)"
    sks+="${sks:+,}$i=127.0.0.1:${proposer_ports[i]}"
    https+="${https:+,}127.0.0.1:${http_ports[i]}"
  done
  if [[ -n "$removal" ]]; then
    sk_flags=(--peers "$sks" --min-history-retention 1m --wal-removal-interval "$removal")
  fi
  for i in 1 2 3; do
    mkdir -p "$dir/sk$i"
    "$safekeeper_bin" --id "$i" --data-dir "$dir/sk$i" \
      --listen-proposer "127.0.0.1:${proposer_ports[i]}" --listen-http "127.0.0.1:${http_ports[i]}" \
      --listen-pg "127.0.0.1:$(free_port)" "${sk_flags[@]}" >"$dir/sk$i.log" 2>&1 &
    pids+=($!)
    wait_for 30 "safekeeper $i" curl -fs "127.0.0.1:${http_ports[i]}/v1/status"
  done
  if [[ -n "$removal" ]]; then
    wait_for 30 "the tenant" curl -fs -X POST "127.0.0.1:${http_ports[1]}/v1/tenants" \
      -d "{\"tenant_id\":\"$tenant\",\"history_retention\":\"1m\"}"
    curl -fs -X POST "127.0.0.1:${http_ports[1]}/v1/tenants/$tenant/branches" \
      -d "{\"name\":\"main\",\"timeline_id\":\"$timeline\"}" >/dev/null ||
      fail "creating the branch"
  fi
  "$walproposer_bin" --pgconn "$(primary_conninfo)" --safekeepers "$sks" --http "$https" \
    --tenant "$tenant" --timeline "$timeline" >"$dir/walproposer.log" 2>&1 &
  pids+=($!)
  check_commit
  local snapshots=""
  if [[ -n "$removal" ]]; then
    mkdir -p "$dir/snapshots" "$dir/skctl"
    [[ $EUID -eq 0 ]] && chown postgres "$dir/snapshots"
    (
      while true; do
        sleep 30
        "$skctl_bin" --safekeepers "$https" --tenant "$tenant" --home "$dir/skctl" \
          --snapshot-store "$dir/snapshots" snapshot create --branch main --port "$pg_port" \
          >>"$dir/snapshots.log" 2>&1 || true
      done
    ) &
    snapshots=$!
    pids+=("$snapshots")
  fi
  run_pgbench "$name"
  if [[ -n "$removal" ]]; then
    kill "$snapshots" 2>/dev/null || true
    local removed=0 disk=""
    for i in 1 2 3; do
      local metrics
      metrics="$(curl -fs "127.0.0.1:${http_ports[i]}/metrics")"
      removed=$((removed + $(awk '/^safekeeper_wal_removed_segments_total/ { print $2 }' <<<"$metrics")))
      disk+=" $(awk -v t="$timeline" '$0 ~ "^safekeeper_wal_disk_bytes.*" t { printf "%d", $2 / 1048576 }' <<<"$metrics")"
    done
    echo "$removed$disk" >"$work/$name.removal"
  fi
  stop_all
}

# (b) PostgreSQL's own quorum: three pg_receivewal --synchronous.
setup_receivewal() {
  local dir="$work/b" i
  start_primary "$dir" "ANY 2 (r1, r2, r3)"
  for i in 1 2 3; do
    mkdir -p "$dir/r$i"
    "$pg_bin/pg_receivewal" --synchronous -D "$dir/r$i" \
      -d "$(primary_conninfo) application_name=r$i" >"$dir/r$i.log" 2>&1 &
    pids+=($!)
  done
  check_commit
  run_pgbench b
  stop_all
}

# (c) No synchronous standby.
setup_alone() {
  start_primary "$work/c" ""
  check_commit
  run_pgbench c
  stop_all
}

wanted() { [[ ",$setups," == *",$1,"* ]]; }
quorum_settings="fsync = off
full_page_writes = off"
wanted a && setup_walproposer a
wanted a2 && setup_walproposer a2 "$quorum_settings"
wanted b && setup_receivewal
wanted c && setup_alone
wanted r && setup_walproposer r "$quorum_settings" 1s
wanted r0 && setup_walproposer r0 "$quorum_settings" 0s

printf '\n%-48s %10s %9s %9s\n' "set-up" "TPS" "p50 ms" "p99 ms"
declare -A label=([a]="(a) walproposer + 3 safekeepers"
  [a2]="(a') the same, fsync and full_page_writes off" [b]="(b) 3 x pg_receivewal --synchronous, ANY 2"
  [c]="(c) no synchronous standby" [r]="(r) (a') on a branch, 1m window, removal every 1s"
  [r0]="(r0) the same, removal off")
declare -A tps
for name in a a2 b c r r0; do
  wanted "$name" || continue
  read -r tps[$name] p50 p99 <"$work/$name.result"
  printf '%-48s %10s %9s %9s\n' "${label[$name]}" "${tps[$name]}" "$p50" "$p99"
done
for name in r r0; do
  wanted "$name" || continue
  read -r removed d1 d2 d3 <"$work/$name.removal"
  printf '%s: %s WAL segments removed on the three nodes; WAL on disk at the end %s, %s, %s MiB\n' \
    "$name" "$removed" "$d1" "$d2" "$d3"
done
if wanted r && wanted r0; then
  awk -v r="${tps[r]}" -v r0="${tps[r0]}" 'BEGIN { printf "r/r0 = %.3f (target at least 0.95)\n", r / r0 }'
fi
[[ "$setups" == "a,a2,b,c" ]] || exit 0  # Ratios need every set-up.
awk -v a="${tps[a]}" -v a2="${tps[a2]}" -v b="${tps[b]}" -v c="${tps[c]}" 'BEGIN {
  printf "\na/b = %.2f (target at least 1.0)\na'"'"'/b = %.2f (target at least 1.2)\n", a / b, a2 / b
  printf "a/c = %.2f (target at least 0.8)\na'"'"'/c = %.2f\n", a / c, a2 / c
}'
