#!/usr/bin/env bash
# The client's multiplexed calls against the raw load generator, on the same server, in the same run.
#
# One routed Echo server runs pinned to core 0. Each round runs, one after the other, on core 1:
# Wireframe.LoadGen with 1 connection x CALLERS frames in flight (the raw ceiling of one
# connection), then the Benchmarks project's --client-calls with CALLERS tasks calling through ONE
# WireframeClient connection, then the same with CompleteCallsInline. The ratios client / load generator
# are printed per round, and their medians.
#
# Usage: benchmarks/run-e2e.sh build && dotnet build -c Release benchmarks/Wireframe.Benchmarks
#        ROUNDS=5 benchmarks/run-client.sh
# Environment: ROUNDS=5 CALLERS=64 SIZE=128 WARMUP=4 DURATION=8 SERVER_CPU=0 CLIENT_CPU=1
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=benchmarks/common.sh
source benchmarks/common.sh

ROUNDS="${ROUNDS:-5}" CALLERS="${CALLERS:-64}" SIZE="${SIZE:-128}" WARMUP="${WARMUP:-4}" DURATION="${DURATION:-8}"
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
ratios=() inline_ratios=()
for round in $(seq 1 "$ROUNDS"); do
  taskset -c "$CLIENT_CPU" dotnet "$LOADGEN_DLL" --port "$port" --connections 1 --inflight "$CALLERS" --size "$SIZE" \
    --warmup "$WARMUP" --duration "$DURATION" --mode envelope >"$WORK_DIR/loadgen.out" 2>&1
  taskset -c "$CLIENT_CPU" env DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 dotnet "$BENCH_DLL" --client-calls --port "$port" --callers "$CALLERS" --size "$SIZE" \
    --warmup "$WARMUP" --duration "$DURATION" >"$WORK_DIR/client.out" 2>&1
  taskset -c "$CLIENT_CPU" env DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 dotnet "$BENCH_DLL" --client-calls --inline --port "$port" --callers "$CALLERS" --size "$SIZE" \
    --warmup "$WARMUP" --duration "$DURATION" >"$WORK_DIR/inline.out" 2>&1
  raw="$(rps_of "$WORK_DIR/loadgen.out")" calls="$(rps_of "$WORK_DIR/client.out")" inline="$(rps_of "$WORK_DIR/inline.out")"
  ratio="$(awk -v a="$raw" -v b="$calls" 'BEGIN { printf "%.3f", b / a }')"
  inline_ratio="$(awk -v a="$raw" -v b="$inline" 'BEGIN { printf "%.3f", b / a }')"
  ratios+=("$ratio") inline_ratios+=("$inline_ratio")
  alloc="$(grep -E '^bytes/call' "$WORK_DIR/client.out" | sed -E 's/^bytes\/call *: *//')"
  inline_alloc="$(grep -E '^bytes/call' "$WORK_DIR/inline.out" | sed -E 's/^bytes\/call *: *//' | cut -d' ' -f1)"
  printf 'round %d: load generator %s rt/s; client %s calls/s (%s); inline %s calls/s (%s); bytes/call %s, inline %s\n' \
    "$round" "$raw" "$calls" "$ratio" "$inline" "$inline_ratio" "$alloc" "$inline_alloc"
done
printf 'median client/raw over %d rounds: %s (default), %s (CompleteCallsInline)\n' "$ROUNDS" "$(median_of "${ratios[@]}")" "$(median_of "${inline_ratios[@]}")"
