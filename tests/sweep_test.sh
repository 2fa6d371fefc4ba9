#!/usr/bin/env bash
# bench/sweep.sh cut down to two client counts and one 1 s run each: every scenario gives a row
# per client count with operations and no errors, the medians file has every scenario, and the
# plot is a real PNG. Then two scenarios again with TLS=1: their rows say TLS and have no errors.
#
#   tests/sweep_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
if ! CLIENTS="1 10" DURATION=1 RUNS=1 bash "$src/bench/sweep.sh" "$build" "$out" \
     > "$out/sweep.log" 2>&1; then
  cat "$out/sweep.log"
  exit 1
fi
python3 - "$out" <<'PY'
import csv, sys
out = sys.argv[1]
rows = list(csv.DictReader(open(f"{out}/results.csv")))
scenarios = ("renew", "cycle", "hold", "contend")
got = sorted((r["scenario"], r["clients"]) for r in rows)
want = sorted((s, c) for s in scenarios for c in ("1", "10"))
assert got == want, f"rows for {got}, want {want}"
for r in rows:
    assert float(r["ops_per_s"]) > 0, f"no operations: {r}"
    assert int(r["errors"]) == 0, f"errors: {r}"
    assert float(r["server_peak_rss_mib"]) > 0, f"no server RSS: {r}"
    assert r["tls"] == "0", f"plain sweep row says TLS: {r}"
    assert float(r["steal_pct"]) >= 0, f"no steal share: {r}"
    # licd's CPU per request: renew and cycle keep it busy even with one client.
    if r["scenario"] in ("renew", "cycle"):
        assert float(r["server_us_per_op"]) > 0, f"no server CPU per request: {r}"
medians = open(f"{out}/medians.dat").read()
blocks = {b.split("\n", 1)[0]: b.split("\n")[1:] for b in medians.split("# ")[1:]}
for s in scenarios:
    clients = [line.split()[0] for line in blocks.get(s, []) if line.strip()]
    assert clients == ["1", "10"], f"medians for {s}: {clients}\n{medians}"
png = open(f"{out}/sweep.png", "rb").read()
assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10000, "sweep.png is not a plot"
print(f"{len(rows)} rows, medians for {', '.join(scenarios)}, a {len(png)}-byte PNG")
PY
if ! TLS=1 SCENARIOS="renew cycle" CLIENTS="1 10" DURATION=1 RUNS=1 \
     bash "$src/bench/sweep.sh" "$build" "$out/tls" > "$out/sweep-tls.log" 2>&1; then
  cat "$out/sweep-tls.log"
  exit 1
fi
python3 - "$out/tls" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(f"{sys.argv[1]}/results.csv")))
got = sorted((r["scenario"], r["clients"]) for r in rows)
want = sorted((s, c) for s in ("renew", "cycle") for c in ("1", "10"))
assert got == want, f"TLS rows for {got}, want {want}"
for r in rows:
    assert r["tls"] == "1", f"not over TLS: {r}"
    assert float(r["ops_per_s"]) > 0 and int(r["errors"]) == 0, f"TLS row: {r}"
print(f"{len(rows)} rows over TLS")
PY
