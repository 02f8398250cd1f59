#!/usr/bin/env bash
# End-to-end benchmarks for length-prefixed echo servers.
#
# The server runs pinned to one core and Wireframe.LoadGen to another, so the two never compete
# for a CPU and a run measures what one server core can do.
#
# Usage (from anywhere; commands run from the repository root):
#   benchmarks/run-e2e.sh build
#   benchmarks/run-e2e.sh baseline                          load the Kestrel baseline
#   benchmarks/run-e2e.sh run      [-- SERVER COMMAND...]   load one server
#   benchmarks/run-e2e.sh compare  [-- SERVER COMMAND...]   baseline then target, same load; ratios
#   benchmarks/run-e2e.sh idle-memory [N] [-- SERVER COMMAND...]
#                                   resident bytes per idle connection (default N=4096; the
#                                   baseline when no server is given)
#
# The server command comes after "--" or from $SERVER_CMD, e.g.
#   SERVER_CMD="dotnet examples/Echo/bin/Release/net10.0/Echo.dll --raw --port 0" benchmarks/run-e2e.sh compare
# It must run the server in the foreground (exec, not a wrapper shell, so its PID is the server's),
# bind a free port (port 0), and print "Listening on HOST:PORT" to stdout once it accepts.
#
# Load parameters (environment): CONNECTIONS=64 INFLIGHT=16 SIZE=128 DURATION=10 WARMUP=2 MODE=raw
# Placement: SERVER_CPU=0 LOADGEN_CPU=1. NO_BUILD=1 skips the Release build.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

CONNECTIONS="${CONNECTIONS:-64}"
INFLIGHT="${INFLIGHT:-16}"
SIZE="${SIZE:-128}"
DURATION="${DURATION:-10}"
WARMUP="${WARMUP:-2}"
MODE="${MODE:-raw}"
SERVER_CPU="${SERVER_CPU:-0}"
LOADGEN_CPU="${LOADGEN_CPU:-1}"
SERVER_START_TIMEOUT="${SERVER_START_TIMEOUT:-30}"

LOADGEN_DLL="benchmarks/Wireframe.LoadGen/bin/Release/net10.0/Wireframe.LoadGen.dll"
BASELINE_DLL="benchmarks/Wireframe.Baseline/bin/Release/net10.0/Wireframe.Baseline.dll"
BASELINE_CMD=(dotnet "$BASELINE_DLL" --port 0 --mode "$MODE")

WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/wireframe-e2e.XXXXXX")"
SERVER_PID=""
SERVER_PORT=""
SERVER_LOG=""
IDLE_PID=""
LOADGEN_PID=""
SAMPLER_PID=""

log() { printf '%s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Stops a process we started: TERM, then KILL if it has not gone within the grace period.
stop_pid() {
  local pid="$1" grace="${2:-10}"
  [[ -n "$pid" ]] || return 0
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  local waited=0
  while kill -0 "$pid" 2>/dev/null && (( waited < grace * 10 )); do
    sleep 0.1
    waited=$((waited + 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "process $pid ignored SIGTERM for ${grace}s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  exec 3>&-
  stop_pid "$SAMPLER_PID" 1
  stop_pid "$LOADGEN_PID" 5
  stop_pid "$IDLE_PID" 5
  stop_pid "$SERVER_PID" 10
  rm -rf "$WORK_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

build() {
  if [[ "${NO_BUILD:-0}" == 1 ]]; then
    return
  fi
  log "building Release..."
  dotnet build benchmarks/Wireframe.LoadGen -c Release -nologo -v quiet >"$WORK_DIR/build.log" 2>&1 \
    && dotnet build benchmarks/Wireframe.Baseline -c Release -nologo -v quiet >>"$WORK_DIR/build.log" 2>&1 \
    || { cat "$WORK_DIR/build.log" >&2; die "build failed"; }
}

# start_server NAME CMD... : starts the server pinned to SERVER_CPU and waits for its port.
start_server() {
  local name="$1"
  shift
  SERVER_LOG="$WORK_DIR/$name.server.log"
  # exec keeps the PID: $! is the server itself, which idle-memory reads /proc for.
  ( exec taskset -c "$SERVER_CPU" "$@" ) >"$SERVER_LOG" 2>&1 </dev/null &
  SERVER_PID=$!

  local deadline=$((SECONDS + SERVER_START_TIMEOUT))
  SERVER_PORT=""
  while [[ -z "$SERVER_PORT" ]]; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      cat "$SERVER_LOG" >&2
      SERVER_PID=""
      die "$name server exited before listening: $*"
    fi
    if (( SECONDS >= deadline )); then
      cat "$SERVER_LOG" >&2
      die "$name server printed no 'Listening on HOST:PORT' within ${SERVER_START_TIMEOUT}s: $*"
    fi
    SERVER_PORT="$(sed -n 's/.*Listening on [^ ]*:\([0-9][0-9]*\).*/\1/p' "$SERVER_LOG" | head -n 1)"
    [[ -n "$SERVER_PORT" ]] || sleep 0.1
  done
  log "$name server pid $SERVER_PID listening on port $SERVER_PORT (cpu $SERVER_CPU)"
}

stop_server() {
  stop_pid "$SERVER_PID" 10
  SERVER_PID=""
  # Anything beyond the ready line is usually an error worth seeing next to the numbers.
  if [[ -f "$SERVER_LOG" ]] && grep -qv 'Listening on' "$SERVER_LOG"; then
    log "server output (last 20 lines):"
    grep -v 'Listening on' "$SERVER_LOG" | tail -n 20 >&2
  fi
}

# Total user+system CPU ticks of a process.
cpu_ticks() {
  awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# Prints the server's CPU use over (most of) the measured phase, in the background.
sample_server_cpu() {
  local pid="$1" out="$2"
  local hz start_delay window t0 t1
  hz="$(getconf CLK_TCK)"
  # Skip the generator's startup and the warmup, and stop before its drain.
  start_delay="$(awk -v w="$WARMUP" 'BEGIN { print w + 0.5 }')"
  window="$(awk -v d="$DURATION" 'BEGIN { print (d > 2 ? d - 1 : d / 2) }')"
  sleep "$start_delay"
  t0="$(cpu_ticks "$pid")"
  sleep "$window"
  t1="$(cpu_ticks "$pid")"
  awk -v a="$t0" -v b="$t1" -v hz="$hz" -v w="$window" 'BEGIN { printf "%.0f\n", (b - a) / hz / w * 100 }' >"$out"
}

json_field() {
  sed -n "s/.*\"$2\":\([-0-9.eE+]*\).*/\1/p" "$1"
}

# run_load NAME : loads the running server; leaves the JSON line in $WORK_DIR/NAME.json.
run_load() {
  local name="$1"
  local out="$WORK_DIR/$name.out" cpu_out="$WORK_DIR/$name.cpu"
  local limit
  # The generator bounds itself; this only catches a wedged runtime.
  limit="$(awk -v w="$WARMUP" -v d="$DURATION" 'BEGIN { print w + d + 60 }')"

  sample_server_cpu "$SERVER_PID" "$cpu_out" &
  SAMPLER_PID=$!

  echo "== $name: $CONNECTIONS connections x $INFLIGHT in flight x $SIZE B, $MODE, warmup ${WARMUP}s, measure ${DURATION}s"
  local rc=0
  # In the background so that a signal to this script is handled at once, not after the run.
  timeout --kill-after=5 "$limit" taskset -c "$LOADGEN_CPU" dotnet "$LOADGEN_DLL" \
    --host 127.0.0.1 --port "$SERVER_PORT" \
    --connections "$CONNECTIONS" --inflight "$INFLIGHT" --size "$SIZE" \
    --duration "$DURATION" --warmup "$WARMUP" --mode "$MODE" --json >"$out" </dev/null &
  LOADGEN_PID=$!
  wait "$LOADGEN_PID" || rc=$?
  LOADGEN_PID=""
  wait "$SAMPLER_PID" 2>/dev/null || true
  SAMPLER_PID=""

  grep -v '^{' "$out" || true
  printf 'server cpu    : %s%% of one core (sampled)\n' "$(cat "$cpu_out" 2>/dev/null || echo '?')"
  grep '^{' "$out" | tail -n 1 >"$WORK_DIR/$name.json" || true
  if (( rc != 0 )); then
    log "server log:"
    tail -n 20 "$SERVER_LOG" >&2 || true
    die "$name: load generator exited with code $rc"
  fi
}

# run_target NAME CMD... : one server, one load run.
run_target() {
  local name="$1"
  shift
  start_server "$name" "$@"
  run_load "$name"
  stop_server
}

ratio() {
  awk -v t="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", t / b; else printf "n/a" }'
}

# compare CMD... : baseline and target under identical load; ratios are target / baseline.
compare() {
  run_target baseline "${BASELINE_CMD[@]}"
  echo
  run_target target "$@"

  local b="$WORK_DIR/baseline.json" t="$WORK_DIR/target.json"
  local b_rps t_rps b_p99 t_p99 b_p50 t_p50 b_p999 t_p999
  b_rps="$(json_field "$b" roundTripsPerSecond)"; t_rps="$(json_field "$t" roundTripsPerSecond)"
  b_p50="$(json_field "$b" p50Us)"; t_p50="$(json_field "$t" p50Us)"
  b_p99="$(json_field "$b" p99Us)"; t_p99="$(json_field "$t" p99Us)"
  b_p999="$(json_field "$b" p999Us)"; t_p999="$(json_field "$t" p999Us)"
  echo
  echo "== comparison ($CONNECTIONS x $INFLIGHT x $SIZE B, $MODE, ${DURATION}s)"
  printf '%-16s %14s %14s %10s\n' "" baseline target ratio
  printf '%-16s %14.0f %14.0f %10s\n' "round trips/s" "$b_rps" "$t_rps" "$(ratio "$t_rps" "$b_rps")"
  printf '%-16s %14.1f %14.1f %10s\n' "p50 us" "$b_p50" "$t_p50" "$(ratio "$t_p50" "$b_p50")"
  printf '%-16s %14.1f %14.1f %10s\n' "p99 us" "$b_p99" "$t_p99" "$(ratio "$t_p99" "$b_p99")"
  printf '%-16s %14.1f %14.1f %10s\n' "p99.9 us" "$b_p999" "$t_p999" "$(ratio "$t_p999" "$b_p999")"
  echo "throughput ratio (target/baseline): $(ratio "$t_rps" "$b_rps")  (higher is better)"
  echo "p99 ratio (target/baseline):        $(ratio "$t_p99" "$b_p99")  (lower is better)"
}

vm_rss_kb() {
  awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# idle_memory N CMD...
idle_memory() {
  local count="$1"
  shift
  # Both processes inherit this limit: each needs one descriptor per connection plus its own.
  if ! ulimit -n 65536 2>/dev/null; then
    local hard
    hard="$(ulimit -Hn)"
    ulimit -n "$hard"
    log "note: could not raise the open-file limit to 65536; using the hard limit $hard"
  fi
  (( count + 256 <= $(ulimit -n) )) || die "open-file limit $(ulimit -n) is too low for $count connections"

  start_server idle "$@"
  sleep 1 # let startup allocations and JIT settle before the first reading
  local before after
  before="$(vm_rss_kb "$SERVER_PID")"

  local fifo="$WORK_DIR/idle.stdin" out="$WORK_DIR/idle.out"
  mkfifo "$fifo"
  # Hold the write end ourselves: closing it is how the generator learns to let go.
  exec 3<>"$fifo"
  taskset -c "$LOADGEN_CPU" dotnet "$LOADGEN_DLL" --host 127.0.0.1 --port "$SERVER_PORT" \
    --idle "$count" --hold 120 <"$fifo" >"$out" 2>&1 &
  IDLE_PID=$!

  local deadline=$((SECONDS + 60))
  until grep -q '^IDLE_READY' "$out"; do
    kill -0 "$IDLE_PID" 2>/dev/null || { cat "$out" >&2; IDLE_PID=""; die "idle generator exited before IDLE_READY"; }
    (( SECONDS < deadline )) || { cat "$out" >&2; die "no IDLE_READY within 60s"; }
    sleep 0.1
  done
  sleep 2 # the server accepts asynchronously; give it time to set every connection up
  after="$(vm_rss_kb "$SERVER_PID")"
  local established="?"
  if command -v ss >/dev/null; then
    established="$(ss -Htn state established "( sport = :$SERVER_PORT )" | wc -l)"
  fi

  exec 3>&-
  stop_pid "$IDLE_PID" 15
  IDLE_PID=""
  stop_server

  echo "== idle memory: $count connections"
  echo "server VmRSS before : ${before} kB"
  echo "server VmRSS after  : ${after} kB"
  echo "established         : $established server-side sockets"
  awk -v a="$after" -v b="$before" -v n="$count" \
    'BEGIN { printf "per connection      : %.0f bytes\n", (a - b) * 1024 / n }'
}

# Server command: words after "--", else $SERVER_CMD (shell-quoted).
target_command() {
  if (( $# > 0 )); then
    TARGET_CMD=("$@")
  elif [[ -n "${SERVER_CMD:-}" ]]; then
    eval "TARGET_CMD=($SERVER_CMD)"
  else
    TARGET_CMD=()
  fi
}

main() {
  local command="${1:-}"
  (( $# > 0 )) && shift
  case "$command" in
    build)
      NO_BUILD=0 build
      ;;
    baseline)
      build
      run_target baseline "${BASELINE_CMD[@]}"
      ;;
    run | compare)
      [[ "${1:-}" == "--" ]] && shift
      target_command "$@"
      (( ${#TARGET_CMD[@]} > 0 )) || die "$command needs a server command (after -- or in SERVER_CMD)"
      build
      if [[ "$command" == run ]]; then
        run_target target "${TARGET_CMD[@]}"
      else
        compare "${TARGET_CMD[@]}"
      fi
      ;;
    idle-memory)
      local count=4096
      if [[ "${1:-}" =~ ^[0-9]+$ ]]; then
        count="$1"
        shift
      fi
      [[ "${1:-}" == "--" ]] && shift
      target_command "$@"
      (( ${#TARGET_CMD[@]} > 0 )) || TARGET_CMD=("${BASELINE_CMD[@]}")
      build
      idle_memory "$count" "${TARGET_CMD[@]}"
      ;;
    *)
      sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
      [[ "$command" == "" || "$command" == "-h" || "$command" == "--help" ]] || exit 2
      ;;
  esac
}

main "$@"
