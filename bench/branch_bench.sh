#!/usr/bin/env bash
# Branching, measured on this machine, for each database size asked for (default ~10 MB and
# ~1 GB), each on a fresh cluster (3 safekeepers, fsync on, in /var/tmp):
#   1. branch creation: --count branches of main created over HTTP, one at a time, through one
#      safekeeper (sk-bench-branch-create): p50/p99 from the request to the committed 201;
#   2. branch to first query: `skctl branch create` + `skctl compute start` + the first query
#      answered on the new branch, against the same copy made with `pg_basebackup -X stream`
#      and a PostgreSQL started on it, same database, same run.
# main's compute gets a snapshot after the data is written, as a deployment would take one
# periodically. Figures are for people: nothing asserts on them.
#
#   bench/branch_bench.sh [--sizes-mb 10,1024] [--count N] [--no-build]
set -euo pipefail
# shellcheck source=bench/bench_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="$repo_root/build"
sizes_mb="10,1024"
count=1000
build=1
base_dir=/var/tmp # Not /tmp: that may be tmpfs, where fsync costs nothing.

usage() {
  echo "usage: bench/branch_bench.sh [--sizes-mb A,B,...] [--count N] [--no-build]" >&2
  exit 2
}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --sizes-mb) [[ $# -ge 2 && "$2" =~ ^[0-9]+(,[0-9]+)*$ ]] || usage; sizes_mb="$2"; shift 2 ;;
    --count) [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]*$ ]] || usage; count="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    *) usage ;;
  esac
done

if [[ $build -eq 1 ]]; then
  cmake --build "$build_dir" --parallel "$(nproc)" \
    --target safekeeper walproposer skctl sk-bench-branch-create >/dev/null || fail "build"
fi
bindir="$(pg_config --bindir)"
[[ -x "$bindir/pg_basebackup" ]] || fail "no PostgreSQL 15 programs in $bindir"
skctl_bin="$build_dir/safekeeper/skctl/skctl"
now_ms() { echo $(($(date +%s%N) / 1000000)); }
as_postgres() { if [[ $EUID -eq 0 ]]; then setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; else "$@"; fi; }

# Every PostgreSQL and walproposer skctl started, by the PIDs it recorded (a failed run too).
stop_endpoints() {
  local file pid
  for file in "$1"/skctl/endpoints/*.json; do
    [[ -f "$file" ]] || continue
    for pid in $(grep -o '"\(postgres\|walproposer\)_pid":[0-9]*' "$file" | cut -d: -f2); do
      ((pid > 0)) && kill -KILL "$pid" 2>/dev/null || true
    done
  done
  if [[ -f "$1/copy/postmaster.pid" ]]; then # The pg_basebackup copy's server.
    kill -KILL "$(head -1 "$1/copy/postmaster.pid")" 2>/dev/null || true
  fi
}

run_size() {
  local size_mb="$1"
  local scratch
  scratch="$(mktemp -d "$base_dir/sk_branch_bench.XXXXXX")"
  chmod 755 "$scratch"
  remove_on_exit "$scratch"
  trap 'stop_endpoints "$bench_scratch_dir"; stop_all; rm -rf "$bench_scratch_dir"' EXIT
  local http="" peers="" i proposer pg web
  for i in 1 2 3; do
    proposer=$(free_port) pg=$(free_port) web=$(free_port)
    peers+="${peers:+,}$i=127.0.0.1:$proposer"
    http+="${http:+,}127.0.0.1:$web"
    eval "sk${i}_args=(--id $i --data-dir $scratch/sk$i --listen-proposer 127.0.0.1:$proposer --listen-pg 127.0.0.1:$pg --listen-http 127.0.0.1:$web)"
  done
  for i in 1 2 3; do
    mkdir -p "$scratch/sk$i"
    local args_name="sk${i}_args[@]"
    "$build_dir/safekeeper/safekeeper" "${!args_name}" --peers "$peers" \
      >"$scratch/sk$i.log" 2>&1 &
    pids+=($!)
  done
  export SKCTL_SAFEKEEPERS="$http" SKCTL_HOME="$scratch/skctl"
  skctl() { "$skctl_bin" "$@"; }
  wait_for 30 "the branch log" skctl tenant create bench --tenant-id 00000000000000000000000000000b0b
  export SKCTL_TENANT=bench
  skctl branch create main >/dev/null
  local main_port
  main_port=$(free_port)
  skctl compute start --branch main --pgdata "$scratch/main" --port "$main_port" >/dev/null
  local main_uri="postgresql://postgres@127.0.0.1:$main_port/postgres"
  skctl snapshot create --branch main >/dev/null

  # ~140 bytes a row in the table.
  local rows=$(((size_mb * 1024 * 1024 - 8 * 1024 * 1024) / 140))
  ((rows > 1000)) || rows=1000
  log "$size_mb MB: writing $rows rows into main"
  psql "$main_uri" -X -q -c "CREATE TABLE filler AS SELECT g AS id, repeat('x', 100) AS pad
                              FROM generate_series(1, $rows) g" -c "CHECKPOINT"
  local db_bytes
  db_bytes=$(psql "$main_uri" -X -At -c "SELECT pg_database_size('postgres')")
  skctl snapshot create --branch main >/dev/null
  log "database: $((db_bytes / 1024 / 1024)) MB; creating $count branches"

  local create
  # Through one safekeeper, as skctl does (its first address): alternating nodes would make
  # each node's writer take the term from the other's first (an election per switch).
  create=$("$build_dir/bench/sk-bench-branch-create" --http "${http%%,*}" \
    --tenant 00000000000000000000000000000b0b --parent main --count "$count")

  local t0 t1 branch_ms basebackup_ms port
  port=$(free_port)
  t0=$(now_ms)
  skctl branch create first-query --parent main >/dev/null
  skctl compute start --branch first-query --pgdata "$scratch/first-query" --port "$port" >/dev/null
  psql "postgresql://postgres@127.0.0.1:$port/postgres" -X -At -c "SELECT count(*) FROM filler" >/dev/null
  t1=$(now_ms)
  branch_ms=$((t1 - t0))

  port=$(free_port)
  mkdir -p "$scratch/copy" && chmod 700 "$scratch/copy"
  [[ $EUID -eq 0 ]] && chown postgres:postgres "$scratch/copy"
  t0=$(now_ms)
  as_postgres "$bindir/pg_basebackup" -d "$main_uri" -D "$scratch/copy" -X stream -c fast
  printf "port = %s\nsynchronous_standby_names = ''\n" "$port" >>"$scratch/copy/postgresql.skctl.conf"
  as_postgres "$bindir/pg_ctl" -D "$scratch/copy" -l "$scratch/copy/startup.log" -w start >/dev/null
  psql "postgresql://postgres@127.0.0.1:$port/postgres" -X -At -c "SELECT count(*) FROM filler" >/dev/null
  t1=$(now_ms)
  basebackup_ms=$((t1 - t0))
  as_postgres "$bindir/pg_ctl" -D "$scratch/copy" -m fast -w stop >/dev/null

  skctl compute stop --branch first-query >/dev/null
  skctl compute stop --branch main >/dev/null
  stop_all
  rm -rf "$scratch"
  trap - EXIT
  printf '{"size_mb":%s,"database_mb":%s,"creation":%s,"branch_to_first_query_ms":%s,"pg_basebackup_to_first_query_ms":%s}\n' \
    "$size_mb" "$((db_bytes / 1024 / 1024))" "$create" "$branch_ms" "$basebackup_ms"
}

IFS=, read -ra sizes <<<"$sizes_mb"
for size in "${sizes[@]}"; do
  run_size "$size"
done
