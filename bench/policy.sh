#!/usr/bin/env bash
# The site policy's cost (docs/POLICY.md): licd without a policy (A) against the same licd with a
# policy of 1,000 rules over groups with 10,000 members in all (B), interleaved by bench/ab.sh,
# for `renew` and `cycle`. The policy gives every product (cad, the one licbench uses, and 199
# others) a reservation, a per-user and a group MAX and an EXCLUDE of a computer group, so cad's
# checkouts go through every kind of check and none refuses them (licbench's user is
# `licbench`, in no group).
#
#   bench/policy.sh [BUILD_DIR]      (env: CLIENTS=1000 RUNS=5 DURATION=5 SCENARIOS="renew cycle")
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
clients=${CLIENTS:-1000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work/site.policy" <<'PY'
import sys
lines = ["# bench/policy.sh: 1,000 rules, 10,000 group members"]
for g in range(20):  # 20 groups of 500 users
    members = " ".join(f"user-{g:02d}-{n:04d}" for n in range(500))
    lines.append(f"GROUP g{g} {members}")
for h in range(10):
    lines.append(f"HOST_GROUP h{h} render-{h}-* rn{h}??")
products = ["cad"] + [f"p{i:03d}" for i in range(199)]
rules = 0
for i, p in enumerate(products):
    g, h = i % 20, i % 10
    lines += [f"RESERVE 10 {p} GROUP g{g}", f"MAX 1000000 {p} USER *",
              f"MAX 20000 {p} GROUP g{(g + 1) % 20}", f"EXCLUDE {p} HOST_GROUP h{h}",
              f"EXCLUDE {p} USER intern-*"]
    rules += 5
assert rules == 1000
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY
licd=$PWD/$build/tools/licd
"$licd" --check-config --policy="$work/site.policy"
# B is the same binary, started with the policy.
printf '#!/bin/sh\nexec %q --policy=%q "$@"\n' "$licd" "$work/site.policy" > "$work/licd-with-policy"
chmod +x "$work/licd-with-policy"
for scenario in ${SCENARIOS:-renew cycle}; do
  echo "=== $scenario, $clients clients: A without a policy, B with 1,000 rules"
  RUNS=${RUNS:-5} DURATION=${DURATION:-5} bash bench/ab.sh "$licd" "$work/licd-with-policy" \
    "$scenario" "$clients" "$build"
done
