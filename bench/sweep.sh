#!/usr/bin/env bash
# The standard licbench sweep: every scenario at 1, 10, 100, 1,000 and 10,000 clients against a
# fresh licd on this machine, RUNS times each; writes results.csv (one row per run) and a PNG
# plot of throughput and p99 latency against clients (gnuplot, Debian package gnuplot-nox).
#
#   bench/sweep.sh [BUILD_DIR] [OUT_DIR]     (env: DURATION=5 RUNS=3 CLIENTS="1 10 100 1000 10000"
#                                             SCENARIOS="renew cycle hold contend" TLS=0; TLS=1:
#                                             licd serves TLS with a self-signed certificate)
set -euo pipefail
build=${1:-build}
out=${2:-bench-results}
duration=${DURATION:-5}
runs=${RUNS:-3}
clients_list=${CLIENTS:-"1 10 100 1000 10000"}
scenarios=${SCENARIOS:-"renew cycle hold contend"}
mkdir -p "$out"
data=$(mktemp -d)
keys=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$data" "$keys"' EXIT

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
bench_keygen "$keys"
bench_tls "$data"
# A 9 s TTL: hold renews every 3 s, so a few seconds of measurement see the paced load.
bench_start_licd "$build/tools/licd" "$data" "$keys" "$out/licd.log" --lease-ttl=9 \
  "${licd_tls[@]}"
bench_wait_for_port "$data" 10
bench_add_license "$data" "$keys" cad 20000
# contend: fewer seats than clients, on a product of its own
bench_add_license "$data" "$keys" few 50

echo "scenario,clients,run,ops_per_s,p50_us,p99_us,p999_us,max_us,denied,errors,server_peak_rss_mib,tls,server_us_per_op,steal_pct" > "$out/results.csv"
for scenario in $scenarios; do
  product=cad; [ "$scenario" = contend ] && product=few
  for clients in $clients_list; do
    for run in $(seq "$runs"); do
      json=$("$build/bench/licbench" --server="127.0.0.1:$port" --product=$product \
               --scenario="$scenario" --clients="$clients" --duration="$duration" \
               --server-pid="$pid" "${licbench_tls[@]}" --json)
      python3 - "$scenario" "$clients" "$run" "$json" >> "$out/results.csv" <<'PY'
import json, sys
scenario, clients, run, j = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
ops = j["ops"]
main = {"renew": "renew", "hold": "renew", "cycle": "checkout", "contend": "checkout"}[scenario]
total = sum(ops[k]["count"] for k in ("checkout", "renew", "release")) / j["seconds"]
errors = sum(sum(ops[k]["errors"].values()) for k in ops)
denied = sum(ops[k]["denied"] for k in ops)
def known(v, scale):  # CPU figures licbench could not read are null: an empty cell
    return "" if v is None else f"{v * scale:.1f}"
print(f'{scenario},{clients},{run},{total:.0f},{ops[main]["p50_us"]:.0f},{ops[main]["p99_us"]:.0f},'
      f'{ops[main]["p999_us"]:.0f},{ops[main]["max_us"]:.0f},{denied},{errors},'
      f'{j["server_peak_rss_bytes"] / 2**20:.1f},{int(j["tls"])},'
      f'{known(j["cpu"]["server_us_per_op"], 1)},{known(j["cpu"]["steal_share"], 100)}')
PY
      tail -1 "$out/results.csv"
    done
  done
done

# Medians per scenario and client count, then the plot.
python3 - "$out" <<'PY'
import csv, statistics, sys, collections
out = sys.argv[1]
rows = collections.defaultdict(list)
for r in csv.DictReader(open(f"{out}/results.csv")):
    rows[(r["scenario"], int(r["clients"]))].append(r)
with open(f"{out}/medians.dat", "w") as f:
    for scenario in ("renew", "cycle", "hold", "contend"):
        f.write(f"# {scenario}\n")
        for (s, clients), rs in sorted(rows.items()):
            if s == scenario:
                med = lambda k: statistics.median(float(r[k]) for r in rs)
                f.write(f"{clients} {med('ops_per_s'):.0f} {med('p99_us'):.0f}\n")
        f.write("\n\n")
PY
over=""; [ "${TLS:-0}" = 1 ] && over=", over TLS"
if command -v gnuplot > /dev/null; then
  gnuplot <<GP
set terminal pngcairo size 1200,500
set output "$out/sweep.png"
set multiplot layout 1,2 title "licbench sweep (medians of $runs runs, ${duration} s each$over)"
set logscale x
set xlabel "clients"
set key top left
set ylabel "operations/s"
plot for [i=0:3] "$out/medians.dat" index i using 1:2 with linespoints title word("renew cycle hold contend", i+1)
set logscale y
set ylabel "p99 latency (us)"
plot for [i=0:3] "$out/medians.dat" index i using 1:3 with linespoints title word("renew cycle hold contend", i+1)
unset multiplot
GP
  echo "plot: $out/sweep.png"
else
  echo "gnuplot not found (apt-get install gnuplot-nox): no plot, medians in $out/medians.dat"
fi
