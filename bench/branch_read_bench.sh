#!/usr/bin/env bash
# The parent's pgbench while its WAL is read, measured on this machine: one cluster (three
# safekeepers with --peers, fsync on, data in /var/tmp), a compute on `main` started by skctl,
# a snapshot of main taken before `pgbench -i` (so a compute on a branch must fetch every WAL
# segment written since: the heaviest read a restore makes), three branches of main at its
# head. Then pgbench on main (TPC-B-like, --clients, --seconds) four times in the same run:
#   none      nothing else;
#   computes  5 s in, three computes start at once, one per branch (`skctl compute start`:
#             restore the snapshot, fetch the branch's composed WAL over /wal/{segment}, start
#             PostgreSQL and its walproposer);
#   curl      three loops downloading main's WAL segments (/wal/{segment}), one per safekeeper,
#             from the first to the last committed, over and over, for the whole phase (the
#             report in issue 16; unthrottled, so on a small machine they also take the CPU);
#   none      again, so that drift (the tables grow) shows.
# Prints, per phase, TPS and latency p50/p99 (pgbench's per-transaction log) over the whole
# phase and over the window in which the three computes started (the same offsets in every
# phase), and the loaded phases against the mean of the two `none` phases. Figures are for
# people: nothing asserts on them.
#
#   bench/branch_read_bench.sh [--seconds S] [--scale N] [--clients C] [--build-dir DIR]
#                              [--safekeeper-bin PATH] [--no-build]
# --safekeeper-bin runs another build's safekeeper (an older commit's, to compare) with this
# build's skctl and walproposer.
set -euo pipefail
# shellcheck source=bench/bench_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"
install_missing jq:jq curl:curl

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="$repo_root/build"
seconds=60
scale=10
clients=4
build=1
base_dir=/var/tmp # Not /tmp: that may be tmpfs, where fsync costs nothing.
max_loops=200     # Per loader and phase: a bound besides the phase's time.

usage() {
  echo "usage: bench/branch_read_bench.sh [--seconds S] [--scale N] [--clients C] [--build-dir DIR] [--safekeeper-bin PATH] [--no-build]" >&2
  exit 2
}
number='^[1-9][0-9]*$'
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) [[ $# -ge 2 && "$2" =~ $number ]] || usage; seconds="$2"; shift 2 ;;
    --scale) [[ $# -ge 2 && "$2" =~ $number ]] || usage; scale="$2"; shift 2 ;;
    --clients) [[ $# -ge 2 && "$2" =~ $number ]] || usage; clients="$2"; shift 2 ;;
    --build-dir) [[ $# -ge 2 ]] || usage; build_dir="$(cd "$2" && pwd)"; shift 2 ;;
    --safekeeper-bin) [[ $# -ge 2 ]] || usage; safekeeper_bin="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    *) usage ;;
  esac
done

if [[ $build -eq 1 ]]; then
  log "building in $build_dir"
  nice cmake --build "$build_dir" --parallel "$(nproc)" --target safekeeper walproposer skctl \
    >/dev/null || fail "build"
fi
bindir="$(pg_config --bindir)"
[[ -x "$bindir/postgres" ]] || bindir=/usr/lib/postgresql/15/bin
[[ -x "$bindir/pgbench" ]] || fail "no PostgreSQL 15 programs (pgbench) in $bindir"
skctl_bin="$build_dir/safekeeper/skctl/skctl"
safekeeper_bin="${safekeeper_bin:-$build_dir/safekeeper/safekeeper}"
for bin in "$skctl_bin" "$safekeeper_bin"; do
  [[ -x "$bin" ]] || fail "$bin is missing (build it or drop --no-build)"
done

mkdir -p "$base_dir"
work="$(mktemp -d "$base_dir/sk_branch_read_bench.XXXXXX")"
chmod 755 "$work"
remove_on_exit "$work"

# Every PostgreSQL and walproposer skctl started, by the PIDs it recorded (a failed run too).
stop_endpoints() {
  local file pid
  for file in "$work"/skctl/endpoints/*.json; do
    [[ -f "$file" ]] || continue
    for pid in $(jq -r '.postgres_pid, .walproposer_pid' "$file"); do
      ((pid > 0)) && kill -KILL "$pid" 2>/dev/null || true
    done
  done
}
trap 'stop_endpoints; stop_all; rm -rf "$work"' EXIT

# --- The cluster, main, its data, three branches ------------------------------------------------
http="" peers=""
for i in 1 2 3; do
  proposer=$(free_port) pg=$(free_port) web=$(free_port)
  peers+="${peers:+,}$i=127.0.0.1:$proposer"
  http+="${http:+,}127.0.0.1:$web"
  eval "sk${i}_args=(--id $i --data-dir $work/sk$i --listen-proposer 127.0.0.1:$proposer --listen-pg 127.0.0.1:$pg --listen-http 127.0.0.1:$web)"
done
for i in 1 2 3; do
  mkdir -p "$work/sk$i"
  args_name="sk${i}_args[@]"
  "$safekeeper_bin" "${!args_name}" --peers "$peers" >"$work/sk$i.log" 2>&1 &
  pids+=($!)
done
IFS=, read -ra http_addrs <<<"$http"
tenant=00000000000000000000000000000b0b
export SKCTL_SAFEKEEPERS="$http" SKCTL_HOME="$work/skctl"
export PGPASSFILE="$SKCTL_HOME/pgpass"  # computes take scram-sha-256 only
skctl() { "$skctl_bin" "$@"; }
wait_for 30 "the branch log" skctl tenant create bench --tenant-id "$tenant"
export SKCTL_TENANT=bench
skctl branch create main >/dev/null
main_port=$(free_port)
skctl compute start --branch main --pgdata "$work/main" --port "$main_port" >/dev/null
main_conninfo="host=127.0.0.1 port=$main_port user=postgres dbname=postgres"
skctl snapshot create --branch main >/dev/null # Before the data: branches fetch all of its WAL.
log "pgbench -i -s $scale on main"
"$bindir/pgbench" -i -s "$scale" -q "$main_conninfo" >"$work/init.log" 2>&1 || fail "pgbench -i (see $work/init.log)"
for b in 1 2 3; do
  skctl branch create "b$b" --parent main >/dev/null
done

main_timeline=$(curl -fsS "${http_addrs[0]}/v1/tenants/$tenant/branches/main" | jq -r .timeline_id)
timeline_json=$(curl -fsS "${http_addrs[0]}/v1/tenants/$tenant/timelines/$main_timeline")
lsn_field() { jq -r ".$1" <<<"$timeline_json"; }
lsn_value() { local hi="${1%/*}" lo="${1#*/}"; echo $(((16#$hi << 32) + 16#$lo)); }
first_segno=$(($(lsn_value "$(lsn_field start_lsn)") / (16 << 20)))
last_segno=$(($(lsn_value "$(lsn_field commit_lsn)") / (16 << 20) - 1)) # The last whole one.
((last_segno >= first_segno)) || fail "main holds no whole WAL segment"
segment_name() { printf '00000001%08X%08X' $(($1 / 256)) $(($1 % 256)); }
log "main's WAL: segments $first_segno to $last_segno ($((last_segno - first_segno + 1)) x 16 MiB)"

# --- The loaders ----------------------------------------------------------------------------------
# curl_loop I END_S: downloads main's segments from safekeeper I until END_S (bash SECONDS).
curl_loop() {
  local addr="${http_addrs[$1 - 1]}" end="$2" loops=0 segno bytes=0 n
  while ((SECONDS < end && loops < max_loops)); do
    for ((segno = first_segno; segno <= last_segno && SECONDS < end; segno++)); do
      n=$(curl -fsS -o /dev/null -w '%{size_download}' \
        "$addr/v1/tenants/$tenant/timelines/$main_timeline/wal/$(segment_name "$segno")") || n=0
      bytes=$((bytes + n))
    done
    loops=$((loops + 1))
  done
  echo "$bytes" >"$work/curl$1.bytes"
}

now_us() { echo $(($(date +%s%N) / 1000)); }

# compute_start B: starts a compute on branch bB once, 5 s into the phase (pgbench warmed up);
# writes when it began and ended (microseconds since the epoch) to $work/compute$B.window.
compute_start() {
  local b="$1" port t0 t1
  sleep 5
  port=$(free_port)
  t0=$(now_us)
  skctl compute start --branch "b$b" --pgdata "$work/b$b" --port "$port" >>"$work/compute$b.log" 2>&1 ||
    fail "compute start on b$b (see $work/compute$b.log)"
  t1=$(now_us)
  echo "$t0 $t1" >"$work/compute$b.window"
}

# run_phase NAME LOADER: pgbench for --seconds with LOADER (none, curl_loop or compute_start)
# running in three copies meanwhile; writes "TPS P50_MS P99_MS" to $work/NAME.result and when
# pgbench started (us since the epoch) to $work/NAME/started.
run_phase() {
  local name="$1" loader="$2" dir="$work/$1" end loaders=() i
  mkdir -p "$dir"
  end=$((SECONDS + seconds))
  if [[ "$loader" != none ]]; then
    for i in 1 2 3; do
      "$loader" "$i" "$end" &
      loaders+=($!)
    done
  fi
  log "$name: pgbench -c $clients -j 2 -T $seconds"
  now_us >"$dir/started"
  (cd "$dir" && "$bindir/pgbench" -c "$clients" -j 2 -T "$seconds" -l --log-prefix=txn \
    "$main_conninfo" >"$dir/run.log" 2>&1) || fail "pgbench (see $dir/run.log)"
  for i in "${loaders[@]}"; do
    wait "$i" || fail "$name: a loader failed"
  done
  echo "$(pgbench_summary "$dir/run.log" "$dir"/txn.*)" >"$work/$name.result"
}

run_phase none1 none
run_phase computes compute_start
run_phase curl curl_loop
run_phase none2 none

# The window: from the first compute start's beginning to the last one's end, as offsets from
# the computes phase's pgbench start; applied to every phase.
read -r window_from window_to < <(cat "$work"/compute?.window |
  awk -v s="$(cat "$work/computes/started")" 'NR == 1 || $1 < a { a = $1 } NR == 1 || $2 > b { b = $2 }
    END { print a - s, b - s }')
# window_summary NAME: "TPS P50_MS P99_MS" of the transactions that ended within the window
# (pgbench -l: fields 5 and 6 are the end time, seconds and microseconds since the epoch).
window_summary() {
  local started
  started=$(cat "$work/$1/started")
  cat "$work/$1"/txn.* | awk -v from=$((started + window_from)) -v to=$((started + window_to)) \
    '{ t = $5 * 1000000 + $6 } t >= from && t < to { print $3 }' | sort -n |
    awk -v w="$((window_to - window_from))" '{ l[NR] = $1 } END {
      printf "%.1f %.2f %.2f\n", NR / (w / 1e6), l[int(NR * 0.5 + 0.5)] / 1000, l[int(NR * 0.99 + 0.5)] / 1000 }'
}

curl_mib=$(($(cat "$work"/curl?.bytes | paste -sd+ | bc) / 1024 / 1024))
printf '\nThree computes started in %.1f s (the window: %.1f s to %.1f s into the phase).\n' \
  "$(((window_to - window_from) / 100000))e-1" "$((window_from / 100000))e-1" "$((window_to / 100000))e-1"
printf '\n%-50s %18s %18s\n' "phase (pgbench on main, $clients clients)" "whole ${seconds} s" "window"
printf '%-50s %9s %8s %9s %8s\n' "" "TPS" "p99 ms" "TPS" "p99 ms"
declare -A tps p99 wtps wp99
for name in none1 computes curl none2; do
  read -r tps[$name] p50 p99[$name] <"$work/$name.result"
  read -r wtps[$name] wp50 wp99[$name] < <(window_summary "$name")
  case "$name" in
    curl) what="curl: 3 loops over /wal/{segment} ($curl_mib MiB)" ;;
    computes) what="computes: 3 start on branches of main" ;;
    *) what="$name: nothing else" ;;
  esac
  printf '%-50s %9.0f %8s %9.0f %8s\n' "$what" "${tps[$name]}" "${p99[$name]}" "${wtps[$name]}" "${wp99[$name]}"
done
awk -v n1="${wtps[none1]}" -v n2="${wtps[none2]}" -v k="${wtps[computes]}" -v c="${tps[curl]}" \
  -v a1="${tps[none1]}" -v a2="${tps[none2]}" \
  -v p1="${wp99[none1]}" -v p2="${wp99[none2]}" -v pk="${wp99[computes]}" 'BEGIN {
  printf "\nIn the window, computes against the mean of none1 and none2: TPS %.2f (target at least 0.9), p99 %.2f\n", k / ((n1 + n2) / 2), pk / ((p1 + p2) / 2)
  printf "Whole phase, curl against the mean of none1 and none2: TPS %.2f\n", c / ((a1 + a2) / 2)
}'
