#!/usr/bin/env bash
# The client's multiplexed calls against the raw load generator, on the same server, in the same run.
#
# One routed Echo server runs pinned to core 0, and is first warmed up by a discarded load
# generator run of SERVER_WARMUP seconds. Each round then runs, one after the other, on core 1:
# Wireframe.LoadGen with 1 connection x CALLERS frames in flight (the raw ceiling of one
# connection); the Benchmarks project's --client-calls with CALLERS tasks calling through ONE
# WireframeClient connection; the same with the thread pool's spinning off
# (DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0, a process setting for a client confined to one
# core); the same with CompleteCallsInline. The ratios client / load generator are printed per round,
# and their medians.
#
# Every process warms up for WARMUP seconds; the client's warmup then goes on until the JIT has
# compiled nothing for 3 s (tiering on one busy core takes 5-10 s), and each output says how many
# methods were compiled while measuring, which should be 0.
#
# Usage: benchmarks/run-e2e.sh build && dotnet build -c Release benchmarks/Wireframe.Benchmarks
#        ROUNDS=5 benchmarks/run-client.sh
# Environment: ROUNDS=5 CALLERS=64 SIZE=128 WARMUP=15 DURATION=6 SERVER_WARMUP=20 SERVER_CPU=0 CLIENT_CPU=1
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=benchmarks/common.sh
source benchmarks/common.sh

ROUNDS="${ROUNDS:-5}" CALLERS="${CALLERS:-64}" SIZE="${SIZE:-128}" WARMUP="${WARMUP:-15}" DURATION="${DURATION:-6}" SERVER_WARMUP="${SERVER_WARMUP:-20}"
SERVER_CPU="${SERVER_CPU:-0}" CLIENT_CPU="${CLIENT_CPU:-1}"
LOADGEN_DLL="benchmarks/Wireframe.LoadGen/bin/Release/net10.0/Wireframe.LoadGen.dll"
BENCH_DLL="benchmarks/Wireframe.Benchmarks/bin/Release/net10.0/Wireframe.Benchmarks.dll"
ECHO_DLL="examples/Echo/bin/Release/net10.0/Echo.dll"
for f in "$LOADGEN_DLL" "$BENCH_DLL" "$ECHO_DLL"; do
  [[ -f "$f" ]] || { echo "build first: benchmarks/run-e2e.sh build && dotnet build -c Release benchmarks/Wireframe.Benchmarks ($f missing)" >&2; exit 1; }
done

WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/wireframe-client.XXXXXX")"
SERVER_PID=""
cleanup() { [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK_DIR"; }
trap cleanup EXIT

taskset -c "$SERVER_CPU" dotnet "$ECHO_DLL" --quiet --port 0 >"$WORK_DIR/server.log" 2>&1 & SERVER_PID=$!
port="$(port_of "$WORK_DIR/server.log")"
taskset -c "$CLIENT_CPU" dotnet "$LOADGEN_DLL" --port "$port" --connections 1 --inflight "$CALLERS" --size "$SIZE" \
  --warmup "$SERVER_WARMUP" --duration 2 --mode envelope >"$WORK_DIR/server-warmup.out" 2>&1

# client_run NAME ENV... -- ARGS...: one --client-calls run on the client core, output in WORK_DIR/NAME.out.
client_run() {
  local name="$1"; shift
  local envs=()
  while [[ "$1" != "--" ]]; do envs+=("$1"); shift; done
  shift
  taskset -c "$CLIENT_CPU" env DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 "${envs[@]}" dotnet "$BENCH_DLL" --client-calls "$@" \
    --port "$port" --callers "$CALLERS" --size "$SIZE" --warmup "$WARMUP" --duration "$DURATION" >"$WORK_DIR/$name.out" 2>&1
}
ratio_of() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b / a }'; }
jit_of() { grep -oE 'jitted( +:)? [0-9]+' "$1" | grep -oE '[0-9]+'; }

ratios=() nospin_ratios=() inline_ratios=()
for round in $(seq 1 "$ROUNDS"); do
  taskset -c "$CLIENT_CPU" dotnet "$LOADGEN_DLL" --port "$port" --connections 1 --inflight "$CALLERS" --size "$SIZE" \
    --warmup "$WARMUP" --duration "$DURATION" --mode envelope >"$WORK_DIR/loadgen.out" 2>&1
  client_run client -- 
  client_run nospin DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0 --
  client_run inline -- --inline
  raw="$(rps_of "$WORK_DIR/loadgen.out")" calls="$(rps_of "$WORK_DIR/client.out")"
  nospin="$(rps_of "$WORK_DIR/nospin.out")" inline="$(rps_of "$WORK_DIR/inline.out")"
  ratios+=("$(ratio_of "$raw" "$calls")") nospin_ratios+=("$(ratio_of "$raw" "$nospin")") inline_ratios+=("$(ratio_of "$raw" "$inline")")
  alloc="$(grep -E '^bytes/call' "$WORK_DIR/client.out" | sed -E 's/^bytes\/call *: *//' | cut -d' ' -f1)"
  inline_alloc="$(grep -E '^bytes/call' "$WORK_DIR/inline.out" | sed -E 's/^bytes\/call *: *//' | cut -d' ' -f1)"
  printf 'round %d: load generator %s rt/s; client %s calls/s (%s); no spinning %s (%s); inline %s (%s); bytes/call %s, inline %s; jitted while measuring %s/%s/%s/%s\n' \
    "$round" "$raw" "$calls" "${ratios[-1]}" "$nospin" "${nospin_ratios[-1]}" "$inline" "${inline_ratios[-1]}" "$alloc" "$inline_alloc" \
    "$(jit_of "$WORK_DIR/loadgen.out")" "$(jit_of "$WORK_DIR/client.out")" "$(jit_of "$WORK_DIR/nospin.out")" "$(jit_of "$WORK_DIR/inline.out")"
done
printf 'median client/raw over %d rounds: %s (default), %s (no thread-pool spinning), %s (CompleteCallsInline)\n' "$ROUNDS" \
  "$(median_of "${ratios[@]}")" "$(median_of "${nospin_ratios[@]}")" "$(median_of "${inline_ratios[@]}")"
