#!/usr/bin/env bash
# Commits under hostile clients: three safekeepers on this machine, and sk-loadgen committing
# small records one at a time (as one pgbench client does) for S seconds per run, in R rounds of
# two runs each: alone, then with 1,000 idle connections spread over every port of every node
# plus 10 HTTP readers of a 16 MiB WAL segment that read 1 KiB/s (sk-bench-hostile-clients,
# from 127.0.0.2). The runs alternate so that the machine's drift falls on both sides alike.
# Prints commit p50/p99 of each run, the median p99 of each side and their ratio. Figures are
# for people; nothing asserts on them.
#
#   bench/limits_bench.sh [--seconds S] [--rounds R] [--no-build] [--dir BASE]
set -euo pipefail
# shellcheck source=bench/bench_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="$repo_root/build"
seconds=30
rounds=3
build=1
base_dir=/var/tmp  # Not /tmp: that may be tmpfs, where fdatasync costs nothing.
idle=1000
slow_readers=10

usage() {
  echo "usage: bench/limits_bench.sh [--seconds S] [--rounds R] [--no-build] [--dir BASE]" >&2
  exit 2
}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]*$ ]] || usage; seconds="$2"; shift 2 ;;
    --rounds) [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]*$ ]] || usage; rounds="$2"; shift 2 ;;
    --dir) [[ $# -ge 2 ]] || usage; base_dir="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    *) usage ;;
  esac
done

install_missing curl:curl jq:jq ss:iproute2
if [[ $build -eq 1 ]]; then
  if [[ ! -f "$build_dir/CMakeCache.txt" ]]; then
    cmake -S "$repo_root" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  log "building"
  nice cmake --build "$build_dir" -j "$(nproc)" \
    --target safekeeper sk-loadgen sk-bench-hostile-clients >/dev/null ||
    fail "build (run the cmake command above without >/dev/null to see why)"
fi
safekeeper_bin="$build_dir/safekeeper/safekeeper"
loadgen_bin="$build_dir/safekeeper/loadgen/sk-loadgen"
hostile_bin="$build_dir/bench/sk-bench-hostile-clients"
for bin in "$safekeeper_bin" "$loadgen_bin" "$hostile_bin"; do
  [[ -x "$bin" ]] || fail "$bin is missing (build it or drop --no-build)"
done

mkdir -p "$base_dir"
work="$(mktemp -d "$base_dir/sk-limits-bench.XXXXXX")"
remove_on_exit "$work"

# --- Three safekeepers, every port on 127.0.0.1 --------------------------------------------------
start_three_safekeepers "$safekeeper_bin" "$work"
all_ports=""
for id in 1 2 3; do
  for port in "${sk_proposer_ports[id - 1]}" "${sk_http_ports[id - 1]}" "${sk_pg_ports[id - 1]}"; do
    all_ports+="${all_ports:+,}127.0.0.1:$port"
  done
done

tenant=5ca1ab1e000000000000000000000001
timeline_seq=0
# loadgen NAME FLAGS...: one sk-loadgen run on a fresh timeline, its JSON summary in $work/NAME.json.
loadgen() {
  local name="$1"
  shift
  timeline_seq=$((timeline_seq + 1))
  log "sk-loadgen $name: $*"
  timeout $((seconds + 180)) "$loadgen_bin" --safekeepers "$safekeepers_flag" --http "$http_flag" \
    --tenant "$tenant" --timeline "$(printf '%032x' "$timeline_seq")" \
    --timeout-s $((seconds + 120)) "$@" >"$work/$name.json" 2>>"$work/stderr.log" ||
    fail "sk-loadgen $name (exit $?; $work/stderr.log: $(tail -3 "$work/stderr.log"))"
  [[ "$(jq -r .outcome "$work/$name.json")" == "done" ]] ||
    fail "sk-loadgen $name: $(cat "$work/$name.json")"
}

# A timeline with a whole committed segment for the slow readers to download.
loadgen segment --bytes $((20 * 1024 * 1024)) --record-bytes 65536 --outstanding 8 --wait-all 1
segment_path="/v1/tenants/$tenant/timelines/$(printf '%032x' 1)/wal/000000010000000000000001"
curl -fsS -o /dev/null "http://127.0.0.1:${sk_http_ports[0]}$segment_path" ||
  fail "the segment for the slow readers is not served"

commits() { loadgen "$1" --record-bytes 200 --outstanding 1 --seconds "$seconds"; }

connections_from_hostile() { ss -Htn state established src 127.0.0.2 | wc -l; }
hostile_connected() { (($(connections_from_hostile) >= idle + slow_readers)); }
# commits_among_hostile NAME: the hostile clients connect, one run, and they leave.
commits_among_hostile() {
  "$hostile_bin" --source 127.0.0.2 --seconds $((seconds + 120)) --idle "$idle" \
    --idle-targets "$all_ports" --slow-readers "$slow_readers" \
    --slow-target "127.0.0.1:${sk_http_ports[0]}" --slow-path "$segment_path" \
    --read-bytes-per-s 1024 >"$work/$1.clients.json" 2>>"$work/stderr.log" &
  local hostile_pid=$!
  pids+=("$hostile_pid")
  wait_for 60 "$idle idle connections and $slow_readers slow readers" hostile_connected
  commits "$1"
  echo "$(connections_from_hostile)" >"$work/$1.open_at_end"
  kill -TERM "$hostile_pid"
  wait "$hostile_pid" || true
}

for round in $(seq 1 "$rounds"); do
  commits "alone_$round"
  commits_among_hostile "hostile_$round"
done

field() { jq -r "$2" "$work/$1.json"; }
row() {
  printf '| %s | %s | %s | %s | %s |\n' "$1" "$2" "$(field "$3" .commit_latency_us.count)" \
    "$(field "$3" .commit_latency_us.p50)" "$(field "$3" .commit_latency_us.p99)"
}
median_p99() {
  local side="$1" round
  for round in $(seq 1 "$rounds"); do field "${side}_$round" .commit_latency_us.p99; done |
    sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
echo
echo "Commits of 200-byte records, one at a time, ${seconds}s per run; hostile: $idle idle" \
  "connections and $slow_readers slow /wal readers"
echo
echo "| Round | Run | commits | p50 µs | p99 µs |"
echo "|---|---|---|---|---|"
for round in $(seq 1 "$rounds"); do
  row "$round" "alone" "alone_$round"
  row "$round" "hostile" "hostile_$round"
done
echo
awk -v h="$(median_p99 hostile)" -v a="$(median_p99 alone)" \
  'BEGIN { printf "median p99: alone %d µs, hostile %d µs, ratio %.2f\n", a, h, h / a }'
echo "hostile clients, last round: $(cat "$work/hostile_$rounds.clients.json");" \
  "$(cat "$work/hostile_$rounds.open_at_end") connections from 127.0.0.2 open at the end of its run"
