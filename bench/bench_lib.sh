# Shell helpers shared by the bench/ harnesses (sourced): messages, process stops, free ports
# and waiting on a condition with a deadline.

log() { printf '==> %s\n' "$*" >&2; }
fail() {
  log "FAILED: $*"
  exit 1
}

# Processes a harness started (pids+=($!)): stop_all stops them, and so does the exit.
pids=()
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
