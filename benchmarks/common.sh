# Shared helpers of the benchmark scripts (sourced, not run).

# port_of LOG: the port of the first "Listening on HOST:PORT" line in LOG, waiting up to 30 s.
port_of() {
  local i
  for i in $(seq 1 300); do
    if grep -qE 'Listening on [^ ]+:[0-9]+' "$1" 2>/dev/null; then
      grep -oE 'Listening on [^ ]+:[0-9]+' "$1" | head -n 1 | grep -oE '[0-9]+$'
      return 0
    fi
    sleep 0.1
  done
  echo "server did not start; log:" >&2; cat "$1" >&2; return 1
}

# rps_of OUTPUT: the "round trips/s : N" figure of a load generator (or --client-calls) run.
rps_of() { grep -E '^round trips/s' "$1" | grep -oE '[0-9,]+' | tr -d , ; }

# median_of VALUES...: the median, to 3 decimals when it is the mean of the two middle values.
median_of() {
  printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# cpu_ticks PID: user + system CPU time of a process so far, in clock ticks (see `getconf CLK_TCK`).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
