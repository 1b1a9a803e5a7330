# Shell helpers shared by the bench/ harnesses (sourced): messages, process stops, free ports
# and waiting on a condition with a deadline.

log() { printf '==> %s\n' "$*" >&2; }
fail() {
  log "FAILED: $*"
  exit 1
}

# Processes a harness started (pids+=($!)): stop_all stops them, and so does the exit.
pids=()
# install_missing PROGRAM:PACKAGE...: apt-get installs the packages whose program is missing.
install_missing() {
  local missing=() pair
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
  done
  [[ ${#missing[@]} -eq 0 ]] && return
  log "installing ${missing[*]}"
  apt-get install -y "${missing[@]}" >/dev/null ||
    { apt-get update >/dev/null && apt-get install -y "${missing[@]}" >/dev/null; } ||
    fail "cannot install ${missing[*]}"
}
stop_all() {
  local pid
  for pid in "${pids[@]}"; do
    stop_pid "$pid"
  done
  pids=()
}

# remove_on_exit DIR: on any exit, stops every process in pids and removes DIR.
remove_on_exit() {
  bench_scratch_dir="$1"
  trap 'stop_all; rm -rf "$bench_scratch_dir"' EXIT
  trap 'exit 130' INT TERM
}

stop_pid() {  # SIGTERM, up to 10 s to exit, then SIGKILL.
  local pid="$1" i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# A port nobody listens on, from below the kernel's ephemeral range (so an outgoing connection
# cannot take it meanwhile), and not handed out before in this run.
taken_ports=" "
free_port() {
  local port
  while true; do
    port=$((20000 + RANDOM % 12000))
    [[ "$taken_ports" == *" $port "* ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      taken_ports+="$port "
      echo "$port"
      return
    fi
  done
}

# wait_for DEADLINE_S DESCRIPTION COMMAND...: polls COMMAND until it succeeds.
wait_for() {
  local deadline=$((SECONDS + $1)) what="$2"
  shift 2
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || fail "gave up waiting for $what"
    sleep 0.1
  done
}

# start_three_safekeepers BIN WORK: three safekeepers on 127.0.0.1 (free ports, data and logs in
# WORK/skN), waited for over HTTP. Sets sk_proposer_ports, sk_http_ports and sk_pg_ports (by
# id - 1), safekeepers_flag (id=host:port,...) and http_flag (host:port,...); adds their pids.
start_three_safekeepers() {
  local bin="$1" work="$2" id
  sk_proposer_ports=()
  sk_http_ports=()
  sk_pg_ports=()
  for id in 1 2 3; do
    mkdir -p "$work/sk$id"
    sk_proposer_ports+=("$(free_port)")
    sk_http_ports+=("$(free_port)")
    sk_pg_ports+=("$(free_port)")
    "$bin" --id "$id" --data-dir "$work/sk$id" \
      --listen-proposer "127.0.0.1:${sk_proposer_ports[id - 1]}" \
      --listen-http "127.0.0.1:${sk_http_ports[id - 1]}" \
      --listen-pg "127.0.0.1:${sk_pg_ports[id - 1]}" >"$work/sk$id.log" 2>&1 &
    pids+=($!)
  done
  safekeepers_flag=""
  http_flag=""
  for id in 1 2 3; do
    wait_for 30 "safekeeper $id (log: $work/sk$id.log)" \
      curl -fsS "http://127.0.0.1:${sk_http_ports[id - 1]}/v1/status"
    safekeepers_flag+="${safekeepers_flag:+,}$id=127.0.0.1:${sk_proposer_ports[id - 1]}"
    http_flag+="${http_flag:+,}127.0.0.1:${sk_http_ports[id - 1]}"
  done
}

# pgbench_summary RUN_LOG TXN_LOG...: "TPS P50_MS P99_MS" of a pgbench run, TPS from its output
# and the percentiles from its per-transaction logs (-l: the third field is the latency in us).
pgbench_summary() {
  local run_log="$1" tps sorted count p50 p99
  shift
  tps="$(awk '/^tps = / { print $3; exit }' "$run_log")"
  sorted="$(mktemp)"
  cat "$@" | awk '{ print $3 }' | sort -n >"$sorted"
  count="$(wc -l <"$sorted")"
  p50="$(awk -v n="$count" 'NR == int(n * 0.50 + 0.5) { printf "%.2f", $1 / 1000 }' "$sorted")"
  p99="$(awk -v n="$count" 'NR == int(n * 0.99 + 0.5) { printf "%.2f", $1 / 1000 }' "$sorted")"
  rm -f "$sorted"
  echo "$tps $p50 $p99"
}
