#!/usr/bin/env bash
# A/B end-to-end comparison of two builds of a length-prefixed echo server, run AT THE SAME TIME.
#
# Both servers are pinned to the same core (the kernel's scheduler shares it between them) and
# each is driven by its own Wireframe.LoadGen on the other core, with identical load. Whatever
# else the shared machine does in that window (steal time, frequency changes) hits both alike,
# so the ratio is far steadier than back-to-back runs: use it to tell a 1-2 % change apart.
#
# Usage:
#   A_CMD="dotnet /path/to/old/Echo.dll --raw --quiet --port 0" \
#   B_CMD="dotnet examples/Echo/bin/Release/net10.0/Echo.dll --raw --quiet --port 0" \
#   ROUNDS=5 benchmarks/run-ab.sh
# Environment: ROUNDS=5 WARMUP=8 DURATION=8 MODE=raw CONNECTIONS=64 INFLIGHT=16 SIZE=128
#              SERVER_CPU=0 LOADGEN_CPU=1. Build first: benchmarks/run-e2e.sh build.
# Each command must print "Listening on HOST:PORT" once it accepts (port 0 = a free port).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

: "${A_CMD:?set A_CMD to the first server command}"
: "${B_CMD:?set B_CMD to the second server command}"
ROUNDS="${ROUNDS:-5}" WARMUP="${WARMUP:-8}" DURATION="${DURATION:-8}" MODE="${MODE:-raw}"
CONNECTIONS="${CONNECTIONS:-64}" INFLIGHT="${INFLIGHT:-16}" SIZE="${SIZE:-128}"
SERVER_CPU="${SERVER_CPU:-0}" LOADGEN_CPU="${LOADGEN_CPU:-1}"
LOADGEN_DLL="benchmarks/Wireframe.LoadGen/bin/Release/net10.0/Wireframe.LoadGen.dll"
[[ -f "$LOADGEN_DLL" ]] || { echo "build first: benchmarks/run-e2e.sh build" >&2; exit 1; }

WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/wireframe-ab.XXXXXX")"
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK_DIR"; }
trap cleanup EXIT

# shellcheck source=benchmarks/common.sh
source benchmarks/common.sh

ratios=()
efficiencies=()
(( DURATION >= 4 )) || { echo "DURATION must be at least 4 s (CPU is sampled 1 s in from each end)" >&2; exit 2; }
for round in $(seq 1 "$ROUNDS"); do
  PIDS=()
  # shellcheck disable=SC2086
  taskset -c "$SERVER_CPU" $A_CMD >"$WORK_DIR/a.log" 2>&1 & PIDS+=($!)
  # shellcheck disable=SC2086
  taskset -c "$SERVER_CPU" $B_CMD >"$WORK_DIR/b.log" 2>&1 & PIDS+=($!)
  port_a="$(port_of "$WORK_DIR/a.log")"
  port_b="$(port_of "$WORK_DIR/b.log")"
  load=(--host 127.0.0.1 --connections "$CONNECTIONS" --inflight "$INFLIGHT" --size "$SIZE"
        --duration "$DURATION" --warmup "$WARMUP" --mode "$MODE")
  taskset -c "$LOADGEN_CPU" dotnet "$LOADGEN_DLL" --port "$port_a" "${load[@]}" >"$WORK_DIR/a.out" 2>&1 & la=$!
  taskset -c "$LOADGEN_CPU" dotnet "$LOADGEN_DLL" --port "$port_b" "${load[@]}" >"$WORK_DIR/b.out" 2>&1 & lb=$!
  # CPU each server spends inside the measured phase (1 s in from each end): how the scheduler
  # happened to split the core moves the throughput ratio, not the cost of a round trip.
  sleep $((WARMUP + 1))
  a0="$(cpu_ticks "${PIDS[0]}")" b0="$(cpu_ticks "${PIDS[1]}")"
  sleep $((DURATION - 2))
  a1="$(cpu_ticks "${PIDS[0]}")" b1="$(cpu_ticks "${PIDS[1]}")"
  wait "$la" "$lb"
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait "${PIDS[@]}" 2>/dev/null || true
  a="$(rps_of "$WORK_DIR/a.out")" b="$(rps_of "$WORK_DIR/b.out")"
  ratio="$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b / a }')"
  # Round trips per CPU second of B over A's: above 1 means B does a round trip on less CPU.
  efficiency="$(awk -v a="$a" -v b="$b" -v ca="$((a1 - a0))" -v cb="$((b1 - b0))" 'BEGIN { printf "%.3f", (b / cb) / (a / ca) }')"
  ratios+=("$ratio")
  efficiencies+=("$efficiency")
  printf 'round %d: A %s rt/s, B %s rt/s, B/A %s; CPU ticks A %d, B %d; round trips per CPU second B/A %s\n' \
    "$round" "$a" "$b" "$ratio" "$((a1 - a0))" "$((b1 - b0))" "$efficiency"
done
printf 'median B/A over %d rounds: %s (round trips per CPU second: %s)\n' "$ROUNDS" "$(median_of "${ratios[@]}")" "$(median_of "${efficiencies[@]}")"
