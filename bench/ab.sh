#!/usr/bin/env bash
# A/B of two licd binaries under one licbench scenario, runs interleaved (A, B, A, B, ...) so both
# see the same machine noise; prints every run and the medians. Each run gets a fresh licd (lease
# TTL 9 s, data on the local disk, one 20,000-seat license for `cad`).
#
#   bench/ab.sh LICD_A LICD_B SCENARIO CLIENTS [BUILD_DIR] [-- extra licd options for both]
#   (env: RUNS=3 DURATION=3 LICBENCH_ARGS="--rate=50000" for an open-loop run, TLS=1 for TLS)
set -euo pipefail
licd_a=$1 licd_b=$2 scenario=$3 clients=$4
build=${5:-build}
shift $(( $# >= 5 ? 5 : 4 ))
[ "${1:-}" = "--" ] && shift
extra=("$@")
runs=${RUNS:-3}
duration=${DURATION:-3}
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

one_run() { # LICD -> one line: ops_per_s p50_us p99_us licd_us_per_op steal_percent socket_p99_us
  local licd=$1 data keys pid port
  data=$(mktemp -d) keys=$(mktemp -d)
  bench_keygen "$keys"
  bench_tls "$data"
  bench_start_licd "$licd" "$data" "$keys" "$data.log" --lease-ttl=9 "${licd_tls[@]}" \
    "${extra[@]}"
  bench_wait_for_port "$data" 10 || return 1
  bench_add_license "$data" "$keys" cad 20000
  "$build/bench/licbench" --server="127.0.0.1:$port" --product=cad --scenario="$scenario" \
    --clients="$clients" --duration="$duration" --server-pid="$pid" "${licbench_tls[@]}" \
    ${LICBENCH_ARGS:-} --json \
    | python3 -c '
import json, sys
j = json.load(sys.stdin); o = j["ops"]
main = {"renew": "renew", "hold": "renew", "cycle": "checkout", "contend": "checkout"}[j["scenario"]]
total = sum(o[k]["count"] for k in ("checkout", "renew", "release")) / j["seconds"]
assert j["seats"]["ok"], "seat check failed"
c = j["cpu"]
print("%.0f %.0f %.0f %.1f %.0f %.0f" % (total, o[main]["p50_us"], o[main]["p99_us"],
      c["server_us_per_op"], 100 * c["steal_share"], o[main]["at_socket"]["p99_us"]))'
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$data" "$keys" "$data.log"
}

results=$(mktemp)
trap 'rm -f "$results"' EXIT
for run in $(seq "$runs"); do
  for side in A B; do
    bin=$licd_a; [ $side = B ] && bin=$licd_b
    line=$(one_run "$bin")
    echo "$side run $run: ops/s p50_us p99_us licd_us/op steal% socket_p99_us = $line"
    echo "$side $line" >> "$results"
  done
done
python3 - "$results" "$scenario" "$clients" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
for side in ("A", "B"):
    r = [list(map(float, x[1:])) for x in rows if x[0] == side]
    med = [statistics.median(c) for c in zip(*r)]
    print(f"{side}: {sys.argv[2]} at {sys.argv[3]} clients, medians of {len(r)}: "
          f"{med[0]:.0f} ops/s, p50 {med[1]:.0f} us, p99 {med[2]:.0f} us, "
          f"licd CPU {med[3]:.1f} us per request, hypervisor steal {med[4]:.0f} %, "
          f"p99 to the reply's arrival at the socket {med[5]:.0f} us")
PY
