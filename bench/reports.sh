#!/usr/bin/env bash
# How fast licd answers its reports over a long history (docs/BENCHMARKS.md, "Reports").
#
# Writes a synthetic history with gen-history (DAYS days of a SEATS-seat product and USERS
# users, ending now), starts licd on it, and times each report through the admin API with curl,
# RUNS times, runs interleaved (day, user, ..., day, user, ...); prints every run and the
# medians. Times are the API's answer in full (curl's time_total), not licadmin's printing.
#
#   bench/reports.sh [BUILD_DIR]   (env: DAYS=365 SEATS=500 USERS=3000 RUNS=5)
set -euo pipefail
build=${1:-build}
days=${DAYS:-365} seats=${SEATS:-500} users=${USERS:-3000} runs=${RUNS:-5}
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

work=$(mktemp -d)
trap 'kill "$pid" 2> /dev/null || true; rm -rf "$work"' EXIT
pid=""
bench_keygen "$work/keys"
"$build/bench/gen-history" --data-dir="$work/data" --product=cad --seats="$seats" \
  --days="$days" --users="$users" --vendor-key="$work/keys/vendor.key"
echo "data dir: $(du -sh "$work/data" | cut -f1)"
"$build/tools/licd" --data-dir="$work/data" --port=0 --admin-port=0 --log-level=warn \
  --discovery-port=0 --vendor-key="$work/keys/vendor.pub" "${root_flag[@]}" \
  > "$work/licd.log" 2>&1 &
pid=$!
bench_wait_for_port "$work/data" 30
for ((i = 0; i < 3000; ++i)); do [ -s "$work/data/admin.url" ] && break; sleep 0.01; done
url=$(cat "$work/data/admin.url") token=$(cat "$work/data/admin.token")
from=$(date -u -d "$days days ago" +%Y-%m-%d)

declare -A queries=(
  [usage_by_day]="reports/usage?by=day&from=$from"
  [usage_by_month]="reports/usage?by=month&from=$from"
  [usage_by_hour]="reports/usage?by=hour&from=$from"
  [usage_by_user]="reports/usage?by=user&from=$from"
  [usage_by_computer]="reports/usage?by=computer&from=$from"
  [denials]="reports/denials?from=$from"
  [log_denials_last_100]="log?kind=denied&lines=100"
  [log_one_user_last_100]="log?user=user0001&lines=100"
)
names=(usage_by_day usage_by_month usage_by_hour usage_by_user usage_by_computer denials
       log_denials_last_100 log_one_user_last_100)
declare -A times
for ((r = 1; r <= runs; ++r)); do
  for name in "${names[@]}"; do
    read -r code secs bytes < <(curl -s -o /dev/null -H "Authorization: Bearer $token" \
      -w '%{http_code} %{time_total} %{size_download}\n' "$url/api/v1/${queries[$name]}")
    [ "$code" = 200 ] || { echo "$name: HTTP $code" >&2; exit 1; }
    echo "run $r $name: $secs s, $bytes bytes"
    times[$name]+="$secs "
  done
done
echo "medians of $runs ($days days, $seats seats, $users users):"
for name in "${names[@]}"; do
  # shellcheck disable=SC2086
  printf '  %-22s %s s\n' "$name" "$(printf '%s\n' ${times[$name]} | sort -n \
    | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
done
