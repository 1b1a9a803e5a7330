#!/usr/bin/env bash
# The cluster harness: in one run on this machine and one disk, (1) the one-writer limit of the
# disk (sk-bench-rawdisk), (2) three real safekeepers driven by one sk-loadgen proposer, and
# (3) a three-member etcd cluster doing puts of the same sizes (sk-bench-etcd). Prints a table
# and the ratios ours/raw and ours/etcd against the targets of docs/BENCHMARKS.md. Figures are
# for people; nothing asserts on them, and the exit status only says whether every run worked.
#
#   bench/cluster_bench.sh [--seconds S] [--jobs N] [--no-build] [--dir BASE]
#
# Each system has the disk to itself: the safekeepers are stopped before etcd starts.
set -euo pipefail
# shellcheck source=bench/bench_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="$repo_root/build"
seconds=10
jobs="$(nproc)"
build=1
base_dir=/var/tmp  # Not /tmp: that may be tmpfs, where fdatasync costs nothing.
# Client concurrency of the pipelined runs, the same for both systems: etcd gets this many
# connections with one put each in flight, the proposer at most this many 8 KiB records, or
# twice as many 64 KiB records (the same bytes in flight as 8 puts of 128 KiB).
clients=8

usage() {
  echo "usage: bench/cluster_bench.sh [--seconds S] [--jobs N] [--no-build] [--dir BASE]" >&2
  exit 2
}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]*$ ]] || usage; seconds="$2"; shift 2 ;;
    --jobs) [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]*$ ]] || usage; jobs="$2"; shift 2 ;;
    --dir) [[ $# -ge 2 ]] || usage; base_dir="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    *) usage ;;
  esac
done

# --- Tools -------------------------------------------------------------------------------------
install_missing etcd:etcd-server etcdctl:etcd-client curl:curl jq:jq

if [[ $build -eq 1 ]]; then
  if [[ ! -f "$build_dir/CMakeCache.txt" ]]; then
    cmake -S "$repo_root" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  log "building (-j$jobs)"
  nice cmake --build "$build_dir" -j "$jobs" \
    --target safekeeper sk-loadgen sk-bench-rawdisk sk-bench-loopback sk-bench-etcd >/dev/null ||
    fail "build (run the cmake command above without >/dev/null to see why)"
fi
safekeeper_bin="$build_dir/safekeeper/safekeeper"
loadgen_bin="$build_dir/safekeeper/loadgen/sk-loadgen"
rawdisk_bin="$build_dir/bench/sk-bench-rawdisk"
loopback_bin="$build_dir/bench/sk-bench-loopback"
etcd_bench_bin="$build_dir/bench/sk-bench-etcd"
for bin in "$safekeeper_bin" "$loadgen_bin" "$rawdisk_bin" "$loopback_bin" "$etcd_bench_bin"; do
  [[ -x "$bin" ]] || fail "$bin is missing (build it or drop --no-build)"
done

# --- Scratch directory, processes, clean-up ----------------------------------------------------
mkdir -p "$base_dir"
work="$(mktemp -d "$base_dir/sk-cluster-bench.XXXXXX")"
fs_type="$(stat -f -c %T "$work")"
[[ "$fs_type" != tmpfs && "$fs_type" != ramfs ]] ||
  fail "$work is on $fs_type: fdatasync would cost nothing; use --dir on a real disk"

remove_on_exit "$work"

# Bytes the device under $work has written so far, from its kernel counters (512-byte sectors),
# or nothing when they cannot be found (a device mapper or overlay set-up, say). Set below.
disk_stat=""
disk_bytes_written() {
  [[ -n "$disk_stat" ]] && awk '{ printf "%.0f\n", $7 * 512 }' "$disk_stat"
}

# Busy and idle (idle + iowait) jiffies of all CPUs: the machine's CPU use over a run says
# whether it was bound by the CPU rather than the disk, and whether something else ran meanwhile.
cpu_jiffies() {
  awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8, $5 + $6 }' /proc/stat
}

# Runs a measuring program with a hard time limit; its JSON line goes to $1, the share of the
# machine's CPUs busy meanwhile (percent) to $1.cpu, and the bytes the disk wrote to $1.disk.
measure() {
  local out="$1" cpu_before disk_before
  shift
  cpu_before="$(cpu_jiffies)"
  disk_before="$(disk_bytes_written)"
  timeout $((seconds + 120)) "$@" >"$out" 2>>"$work/stderr.log" ||
    fail "$* (exit $?; $work/stderr.log: $(tail -3 "$work/stderr.log"))"
  echo "$cpu_before $(cpu_jiffies)" | awk '{
    busy = $3 - $1; idle = $4 - $2
    printf "%.0f\n", busy + idle ? 100 * busy / (busy + idle) : 0 }' >"$out.cpu"
  if [[ -n "$disk_before" ]]; then
    echo $(($(disk_bytes_written) - disk_before)) >"$out.disk"
  fi
}

device="$(readlink -f "$(df --output=source "$work" | tail -1)")"
if [[ -r "/sys/class/block/${device##*/}/stat" ]]; then
  disk_stat="/sys/class/block/${device##*/}/stat"
fi
log "scratch directory $work ($fs_type on ${device:-?}); ${seconds}s per run;" \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"

# --- 1. The raw disk ---------------------------------------------------------------------------
mkdir -p "$work/raw"
for bytes in 8192 131072; do
  log "raw write+fdatasync, $bytes bytes, one writer"
  measure "$work/raw_$bytes.json" "$rawdisk_bin" --dir "$work/raw" --bytes "$bytes" \
    --seconds "$seconds"
done
# Not a target, an explanation: three writers at once, each with its own file, as the three
# safekeepers share this disk. Their fdatasyncs queue behind each other on the device.
log "raw write+fdatasync, 8192 bytes, three writers at once"
raw_writers=()
for i in 1 2 3; do
  timeout $((seconds + 120)) "$rawdisk_bin" --dir "$work/raw" --bytes 8192 --seconds "$seconds" \
    >"$work/raw_8192_writer$i.json" 2>>"$work/stderr.log" &
  raw_writers+=($!)
done
for pid in "${raw_writers[@]}"; do
  wait "$pid" || fail "sk-bench-rawdisk with three writers (see $work/stderr.log)"
done
jq -s '{mb_per_s: (map(.mb_per_s) | add * 100 | round / 100), ops: (map(.ops) | add),
        p50_us: (map(.p50_us) | sort | .[1]), p99_us: (map(.p99_us) | sort | .[1])}' \
  "$work"/raw_8192_writer?.json >"$work/raw_8192_x3.json"

# Not a target either: one 8 KiB request and a small reply between two processes on 127.0.0.1.
# A quorum commit needs at least one of these plus the fdatasyncs of two of three writers.
log "loopback round trip, 8192-byte requests"
measure "$work/loopback.json" "$loopback_bin" --bytes 8192

# --- 2. Three safekeepers, one proposer --------------------------------------------------------
start_three_safekeepers "$safekeeper_bin" "$work"

# One sample of safekeeper 1's counters (proposer frames and bytes in, WAL bytes, fdatasyncs and
# their total time), to tell how large the appends and group commits of a run were and what an
# fdatasync cost while three safekeepers shared the disk.
sk1_counters() {
  curl -fsS "http://127.0.0.1:${sk_http_ports[0]}/metrics" | awk '
    $1 == "safekeeper_proposer_acceptor_messages_total" { frames = $2 }
    $1 == "safekeeper_proposer_io_bytes_total{direction=\"in\"}" { bytes_in = $2 }
    $1 == "safekeeper_write_wal_bytes_total" { wal = $2 }
    $1 == "safekeeper_flush_wal_total" { syncs = $2 }
    $1 == "safekeeper_flush_wal_seconds_sum" { sync_seconds = $2 }
    END { printf "%d %d %d %d %.6f\n", frames, bytes_in, wal, syncs, sync_seconds }'
}

timeline_seq=0
# loadgen NAME FLAGS...: one sk-loadgen run on a fresh timeline; JSON in $work/NAME.json and the
# safekeeper-1 view in $work/NAME.sk1 (mean frame bytes, WAL bytes and µs per fdatasync).
loadgen() {
  local name="$1"
  shift
  timeline_seq=$((timeline_seq + 1))
  local before after
  before="$(sk1_counters)"
  log "sk-loadgen $name: $*"
  measure "$work/$name.json" "$loadgen_bin" --safekeepers "$safekeepers_flag" --http "$http_flag" \
    --tenant 5ca1ab1e000000000000000000000001 \
    --timeline "$(printf '%032x' "$timeline_seq")" \
    --seconds "$seconds" --timeout-s $((seconds + 60)) "$@"
  [[ "$(jq -r .outcome "$work/$name.json")" == done ]] ||
    fail "sk-loadgen $name: $(cat "$work/$name.json")"
  after="$(sk1_counters)"
  echo "$before $after" | awk '{
    frames = $6 - $1; bytes = $7 - $2; wal = $8 - $3; syncs = $9 - $4; sync_seconds = $10 - $5
    printf "%d %d %d\n", frames ? bytes / frames : 0, syncs ? wal / syncs : 0,
      syncs ? sync_seconds / syncs * 1e6 : 0 }' >"$work/$name.sk1"
}
loadgen ours_8k_single --record-bytes 8192 --outstanding 1
loadgen ours_8k_pipelined --record-bytes 8192 --outstanding "$clients"
loadgen ours_128k_pipelined --record-bytes 65536 --outstanding $((2 * clients))
stop_all

# --- 3. Three etcd members ---------------------------------------------------------------------
etcd_client_ports=()
etcd_peer_ports=()
initial_cluster=""
for i in 1 2 3; do
  etcd_client_ports+=("$(free_port)")
  etcd_peer_ports+=("$(free_port)")
  initial_cluster+="${initial_cluster:+,}e$i=http://127.0.0.1:${etcd_peer_ports[i - 1]}"
done
for i in 1 2 3; do
  # 8 GiB of quota instead of the default 2 GiB: etcd keeps every revision until compacted, and
  # a longer --seconds of 128 KiB puts would otherwise stop at "database space exceeded".
  etcd --name "e$i" --data-dir "$work/etcd$i" \
    --listen-client-urls "http://127.0.0.1:${etcd_client_ports[i - 1]}" \
    --advertise-client-urls "http://127.0.0.1:${etcd_client_ports[i - 1]}" \
    --listen-peer-urls "http://127.0.0.1:${etcd_peer_ports[i - 1]}" \
    --initial-advertise-peer-urls "http://127.0.0.1:${etcd_peer_ports[i - 1]}" \
    --initial-cluster "$initial_cluster" --initial-cluster-state new \
    --initial-cluster-token "sk-cluster-bench" \
    --quota-backend-bytes $((8 * 1024 * 1024 * 1024)) \
    --logger zap --log-outputs stderr >"$work/etcd$i.log" 2>&1 &
  pids+=($!)
done
etcd_healthy() {
  curl -fsS "http://127.0.0.1:$1/health" | jq -e '.health == "true"'
}
for i in 1 2 3; do
  wait_for 60 "etcd member $i (log: $work/etcd$i.log)" etcd_healthy "${etcd_client_ports[i - 1]}"
done
# All clients go to the leader: a put sent to a follower is forwarded to the leader, one more
# hop that etcd's own clients avoid when they can. This is etcd's best case.
leader_endpoint=""
for i in 1 2 3; do
  status="$(curl -fsS -X POST -d '{}' \
    "http://127.0.0.1:${etcd_client_ports[i - 1]}/v3/maintenance/status")"
  if [[ "$(jq -r .leader <<<"$status")" == "$(jq -r .header.member_id <<<"$status")" ]]; then
    leader_endpoint="127.0.0.1:${etcd_client_ports[i - 1]}"
  fi
done
[[ -n "$leader_endpoint" ]] || fail "no etcd member says it is the leader"
etcd_put() {
  local name="$1"
  shift
  log "sk-bench-etcd $name: $* (leader $leader_endpoint)"
  measure "$work/$name.json" "$etcd_bench_bin" --endpoints "$leader_endpoint" \
    --seconds "$seconds" "$@"
}
etcd_put etcd_8k_single --clients 1 --bytes 8192
etcd_put etcd_8k_pipelined --clients "$clients" --bytes 8192
etcd_put etcd_128k_pipelined --clients "$clients" --bytes 131072
stop_all

# --- Report ------------------------------------------------------------------------------------
field() { jq -r "$2" "$work/$1.json"; }
cpu_busy() { [[ -f "$work/$1.json.cpu" ]] && echo "$(cat "$work/$1.json.cpu") %" || echo "-"; }
# Bytes the disk wrote during run $1 per payload byte ($2, a jq expression) it made durable.
disk_per_payload() {
  [[ -f "$work/$1.json.disk" ]] || { echo "-"; return; }
  awk -v disk="$(cat "$work/$1.json.disk")" -v payload="$(field "$1" "$2")" \
    'BEGIN { printf(payload > 0 ? "%.1f\n" : "-\n", disk / payload) }'
}
ours_row() {  # name, description
  local sk1
  read -r -a sk1 <"$work/$1.sk1"
  printf '| %s | %s | %s | %s | %s | %s | %s | frames of %s B; %s B and %s µs per fdatasync |\n' \
    "$2" "$(field "$1" .mb_per_s)" "$(field "$1" .commit_latency_us.count)" \
    "$(field "$1" .commit_latency_us.p50)" "$(field "$1" .commit_latency_us.p99)" \
    "$(cpu_busy "$1")" "$(disk_per_payload "$1" .bytes_committed)" \
    "${sk1[0]}" "${sk1[1]}" "${sk1[2]}"
}
other_row() {  # name, description, count field
  printf '| %s | %s | %s | %s | %s | %s | %s | |\n' "$2" "$(field "$1" .mb_per_s)" \
    "$(field "$1" "$3")" "$(field "$1" .p50_us)" "$(field "$1" .p99_us)" "$(cpu_busy "$1")" \
    "$(disk_per_payload "$1" "$3 * .bytes")"
}
echo
echo "Load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg); ${seconds}s per run."
echo
echo "| Run | MB/s | ops | p50 µs | p99 µs | CPUs busy | disk writes per payload byte |" \
  "safekeeper 1 saw |"
echo "|---|---|---|---|---|---|---|---|"
other_row raw_8192 "raw write+fdatasync 8 KiB, 1 writer" .ops
other_row raw_131072 "raw write+fdatasync 128 KiB, 1 writer" .ops
printf '| %s | %s | %s | %s | %s | - | - | |\n' \
  "raw write+fdatasync 8 KiB, 3 writers at once (sum; median writer's p50/p99)" \
  "$(field raw_8192_x3 .mb_per_s)" "$(field raw_8192_x3 .ops)" "$(field raw_8192_x3 .p50_us)" \
  "$(field raw_8192_x3 .p99_us)"
printf '| %s | - | %s | %s | %s | %s | - | |\n' \
  "loopback round trip between two processes, 8 KiB request" "$(field loopback .round_trips)" \
  "$(field loopback .p50_us)" "$(field loopback .p99_us)" "$(cpu_busy loopback)"
ours_row ours_8k_single "safekeepers 8 KiB records, 1 outstanding"
ours_row ours_8k_pipelined "safekeepers 8 KiB records, $clients outstanding"
ours_row ours_128k_pipelined "safekeepers 64 KiB records, $((2 * clients)) outstanding"
other_row etcd_8k_single "etcd put 8 KiB, 1 client" .puts
other_row etcd_8k_pipelined "etcd put 8 KiB, $clients clients" .puts
other_row etcd_128k_pipelined "etcd put 128 KiB, $clients clients" .puts

# ratio NAME A B TARGET: prints A/B and PASS when it meets TARGET (">=X" or "<=X").
ratio() {
  awk -v name="$1" -v a="$2" -v b="$3" -v target="$4" 'BEGIN {
    r = b > 0 ? a / b : 0
    limit = substr(target, 3) + 0
    ok = substr(target, 1, 2) == ">=" ? r >= limit : r <= limit
    printf "| %s | %.2f | %s | %s |\n", name, r, target, ok ? "PASS" : "MISS" }'
}
echo
echo "| Ratio | Value | Target | |"
echo "|---|---|---|---|"
ratio "ours/raw MB/s, 8 KiB" "$(field ours_8k_pipelined .mb_per_s)" \
  "$(field raw_8192 .mb_per_s)" ">=0.3"
ratio "ours/raw MB/s, 128 KiB" "$(field ours_128k_pipelined .mb_per_s)" \
  "$(field raw_131072 .mb_per_s)" ">=0.3"
ratio "ours/etcd MB/s, 8 KiB" "$(field ours_8k_pipelined .mb_per_s)" \
  "$(field etcd_8k_pipelined .mb_per_s)" ">=10"
ratio "ours/etcd MB/s, 128 KiB" "$(field ours_128k_pipelined .mb_per_s)" \
  "$(field etcd_128k_pipelined .mb_per_s)" ">=10"
ratio "ours p50 / raw p50, 8 KiB single" "$(field ours_8k_single .commit_latency_us.p50)" \
  "$(field raw_8192 .p50_us)" "<=1.5"
# What no implementation on this machine can beat: the fdatasync of the median of three writers
# sharing the disk, plus one loopback round trip, over the same one-writer p50.
echo
awk -v sync="$(field raw_8192_x3 .p50_us)" -v rtt="$(field loopback .p50_us)" \
  -v raw="$(field raw_8192 .p50_us)" 'BEGIN {
    printf "Floor of a single 8 KiB quorum commit here: %d µs (3-writer fdatasync p50) + %d µs",
      sync, rtt
    floor_ratio = raw > 0 ? (sync + rtt) / raw : 0
    printf " (loopback round trip p50) = %d µs, %.2f x the one-writer p50.\n", sync + rtt,
      floor_ratio }'
