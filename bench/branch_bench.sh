#!/usr/bin/env bash
# Branching and disposable computes, measured on this machine, for each database size asked for
# (default ~10 MB and ~1 GB), each on a fresh cluster (3 safekeepers, fsync on, in /var/tmp). As
# root, the snapshot store and the computes' data directories are on a loop-mounted XFS with
# reflink=1, as deploy/local/up.sh sets them up (computes start from clones); otherwise they are
# plain directories (copies).
#   1. branch creation: --count branches of main created over HTTP, one at a time, through one
#      safekeeper (sk-bench-branch-create): p50/p99 from the request to the committed 201;
#   2. branch to first query, the branch point at the end of the newest snapshot: `skctl branch
#      create` + `skctl compute start` + the first query answered on the new branch, --runs
#      times (p50), against the same copy made with `pg_basebackup -X stream` and a PostgreSQL
#      started on it, same database, same run;
#   3. the same with the branch point --replay-mb MiB of WAL past the snapshot: the extra time is
#      WAL replay, reported as MB/s (it bounds how often snapshots should be taken);
#   4. replacing main's compute lost mid-load (pgbench inserting, PostgreSQL's process group and
#      the walproposer SIGKILLed, the directory gone): `skctl compute start` in a new directory
#      (sync + clone + WAL + replay) + the first query, --replacements times (p50).
# main's compute gets a snapshot after the data is written, as a deployment would take one
# periodically. Figures are for people: nothing asserts on them.
#
#   bench/branch_bench.sh [--sizes-mb 10,1024] [--count N] [--runs N] [--replay-mb M]
#                         [--replacements N] [--no-build]
set -euo pipefail
# shellcheck source=bench/bench_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"
install_missing jq:jq curl:curl

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="$repo_root/build"
sizes_mb="10,1024"
count=1000
runs=5
replay_mb=256
replacements=10
build=1
base_dir=/var/tmp # Not /tmp: that may be tmpfs, where fsync costs nothing.

usage() {
  echo "usage: bench/branch_bench.sh [--sizes-mb A,B,...] [--count N] [--runs N] [--replay-mb M] [--replacements N] [--no-build]" >&2
  exit 2
}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --sizes-mb) [[ $# -ge 2 && "$2" =~ ^[0-9]+(,[0-9]+)*$ ]] || usage; sizes_mb="$2"; shift 2 ;;
    --count) [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]*$ ]] || usage; count="$2"; shift 2 ;;
    --runs) [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]*$ ]] || usage; runs="$2"; shift 2 ;;
    --replay-mb) [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]*$ ]] || usage; replay_mb="$2"; shift 2 ;;
    --replacements) [[ $# -ge 2 && "$2" =~ ^[0-9]+$ ]] || usage; replacements="$2"; shift 2 ;;
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

# Every PostgreSQL and walproposer skctl started, by the PIDs it recorded (a failed run too),
# and the XFS mount.
stop_endpoints() {
  local file pid
  for file in "$1"/skctl/endpoints/*.json; do
    [[ -f "$file" ]] || continue
    for pid in $(jq -r '.postgres_pid, .walproposer_pid' "$file"); do
      ((pid > 0)) && kill -KILL "$pid" 2>/dev/null || true
    done
  done
  if [[ -f "$1/copy/postmaster.pid" ]]; then # The pg_basebackup copy's server.
    kill -KILL "$(head -1 "$1/copy/postmaster.pid")" 2>/dev/null || true
  fi
  if mountpoint -q "$1/cow"; then
    umount -l "$1/cow" || true
  fi
}

# The snapshot store and the computes' data: XFS (reflink=1) in a sparse file, as root.
mount_cow() {
  local scratch="$1"
  mkdir -p "$scratch/cow"
  if [[ $EUID -eq 0 ]] && command -v mkfs.xfs >/dev/null; then
    truncate -s 64G "$scratch/cow.xfs"
    mkfs.xfs -q -m reflink=1 "$scratch/cow.xfs"
    mount -o loop "$scratch/cow.xfs" "$scratch/cow"
    chmod 755 "$scratch/cow"
    echo xfs-reflink
  else
    echo copy
  fi
}

# first_query PORT: a first query on the server at PORT (one row of the table: what it costs to
# start answering, not to scan the whole database).
first_query() { psql "postgresql://postgres@127.0.0.1:$1/postgres" -X -At -c "SELECT id FROM filler LIMIT 1" >/dev/null; }

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

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
  local store_kind
  store_kind=$(mount_cow "$scratch")
  local cow="$scratch/cow"
  export SKCTL_SAFEKEEPERS="$http" SKCTL_HOME="$scratch/skctl" SKCTL_SNAPSHOT_STORE="$cow/snapshots"
  export PGPASSFILE="$SKCTL_HOME/pgpass"  # computes take scram-sha-256 only
  skctl() { "$skctl_bin" "$@"; }
  wait_for 30 "the branch log" skctl tenant create bench --tenant-id 00000000000000000000000000000b0b
  export SKCTL_TENANT=bench
  skctl branch create main >/dev/null
  local main_port
  main_port=$(free_port)
  skctl compute start --branch main --pgdata "$cow/main-0" --port "$main_port" >/dev/null
  local main_uri="postgresql://postgres@127.0.0.1:$main_port/postgres"

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

  local t0 t1 port run times=""
  log "$size_mb MB: branch to first query at the snapshot's end, $runs times ($store_kind)"
  for ((run = 1; run <= runs; run++)); do
    port=$(free_port)
    t0=$(now_ms)
    skctl branch create "first-query-$run" --parent main >/dev/null
    skctl compute start --branch "first-query-$run" --pgdata "$cow/first-query-$run" --port "$port" >/dev/null
    first_query "$port"
    t1=$(now_ms)
    times+="$((t1 - t0))"$'\n'
    skctl compute stop --branch "first-query-$run" >/dev/null
  done
  local branch_ms
  branch_ms=$(printf '%s' "$times" | median)

  port=$(free_port)
  mkdir -p "$scratch/copy" && chmod 700 "$scratch/copy"
  [[ $EUID -eq 0 ]] && chown postgres:postgres "$scratch/copy"
  t0=$(now_ms)
  as_postgres "$bindir/pg_basebackup" -d "$main_uri" -D "$scratch/copy" -X stream -c fast
  printf "port = %s\nsynchronous_standby_names = ''\n" "$port" >>"$scratch/copy/postgresql.skctl.conf"
  as_postgres "$bindir/pg_ctl" -D "$scratch/copy" -l "$scratch/copy/startup.log" -w start >/dev/null
  first_query "$port"
  t1=$(now_ms)
  local basebackup_ms=$((t1 - t0))
  as_postgres "$bindir/pg_ctl" -D "$scratch/copy" -m fast -w stop >/dev/null
  rm -rf "$scratch/copy"

  # The branch point --replay-mb MiB of WAL past the snapshot.
  log "$size_mb MB: writing $replay_mb MiB of WAL past the snapshot"
  local lsn0 lsn1 wal_bytes
  lsn0=$(psql "$main_uri" -X -At -c "SELECT pg_current_wal_lsn()")
  psql "$main_uri" -X -q -c "CREATE TABLE past_snapshot (id int, pad text)"
  while :; do
    lsn1=$(psql "$main_uri" -X -At -c "SELECT pg_current_wal_lsn()")
    wal_bytes=$(psql "$main_uri" -X -At -c "SELECT pg_wal_lsn_diff('$lsn1', '$lsn0')::bigint")
    ((wal_bytes < replay_mb * 1024 * 1024)) || break
    psql "$main_uri" -X -q -c "INSERT INTO past_snapshot SELECT g, repeat('y', 100) FROM generate_series(1, 200000) g"
  done
  port=$(free_port)
  t0=$(now_ms)
  skctl branch create replay --parent main >/dev/null
  skctl compute start --branch replay --pgdata "$cow/replay" --port "$port" >/dev/null
  first_query "$port"
  t1=$(now_ms)
  local replay_ms=$((t1 - t0))
  skctl compute stop --branch replay >/dev/null

  # main's compute lost mid-load, replaced in a new directory.
  log "$size_mb MB: replacing main's compute lost mid-load, $replacements times"
  times=""
  local dir="$cow/main-0" pg_pid wp_pid load
  for ((run = 1; run <= replacements; run++)); do
    printf 'INSERT INTO past_snapshot VALUES (1, repeat(%s, 100));\n' "'z'" >"$scratch/insert.sql"
    "$bindir/pgbench" -n -c 4 -T 30 -f "$scratch/insert.sql" "$main_uri" >"$scratch/load.log" 2>&1 &
    load=$!
    wait_for 30 "commits on main" psql "$main_uri" -X -At -c "SELECT 1 FROM past_snapshot WHERE pad = repeat('z', 100) LIMIT 1"
    pg_pid=$(jq -r .postgres_pid "$SKCTL_HOME/endpoints/$main_port.json")
    wp_pid=$(jq -r .walproposer_pid "$SKCTL_HOME/endpoints/$main_port.json")
    kill -KILL -- "-$(ps -o pgid= "$pg_pid" | tr -d ' ')" "$wp_pid"
    wait "$load" 2>/dev/null || true
    rm -rf "$dir"
    dir="$cow/main-$run"
    main_port=$(free_port)
    main_uri="postgresql://postgres@127.0.0.1:$main_port/postgres"
    t0=$(now_ms)
    skctl compute start --branch main --pgdata "$dir" --port "$main_port" >/dev/null
    first_query "$main_port"
    t1=$(now_ms)
    times+="$((t1 - t0))"$'\n'
  done
  local replace_ms=null
  ((replacements == 0)) || replace_ms=$(printf '%s' "$times" | median)

  skctl compute stop --branch main >/dev/null
  stop_endpoints "$scratch"
  stop_all
  rm -rf "$scratch"
  trap - EXIT
  printf '{"size_mb":%s,"database_mb":%s,"store":"%s","creation":%s,"branch_to_first_query_p50_ms":%s,"runs":%s,"pg_basebackup_to_first_query_ms":%s,"replay_wal_mb":%s,"branch_past_snapshot_to_first_query_ms":%s,"replay_mb_per_s":%s,"replacement_p50_ms":%s,"replacements":%s}\n' \
    "$size_mb" "$((db_bytes / 1024 / 1024))" "$store_kind" "$create" "$branch_ms" "$runs" \
    "$basebackup_ms" "$((wal_bytes / 1024 / 1024))" "$replay_ms" \
    "$(awk -v b="$wal_bytes" -v r="$replay_ms" -v f="$branch_ms" 'BEGIN { d = (r - f) / 1000; if (d <= 0) print "null"; else printf "%.1f", b / 1048576 / d }')" \
    "$replace_ms" "$replacements"
}

IFS=, read -ra sizes <<<"$sizes_mb"
for size in "${sizes[@]}"; do
  run_size "$size"
done
