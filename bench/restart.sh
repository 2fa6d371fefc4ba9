#!/usr/bin/env bash
# How fast licd serves again after `kill -9` with many live leases (the "back within 3 s with a
# million leases" target in docs/BENCHMARKS.md).
#
# Grants LEASES leases (licbench `hold` over CLIENTS connections, one computer per lease, kept),
# kills licd with SIGKILL, then starts each given licd binary RUNS times on a fresh copy of that
# data dir, runs interleaved (A, B, A, B, ...), and times each from its start until a STATUS
# answers with all LEASES in use. Prints every run and the medians.
#
#   bench/restart.sh LEASES [BUILD_DIR] [LICD_A [LICD_B]]   (env: RUNS=5 CLIENTS=1000)
#
# LICD_A defaults to BUILD_DIR's licd (BUILD_DIR: build). Needs about 0.5 KiB of disk per lease
# per copy, and about 70 s to grant a million leases on a 2-core machine.
set -euo pipefail
leases=$1
build=${2:-build}
binaries=("${3:-$build/tools/licd}")
[ -n "${4:-}" ] && binaries+=("$4")
runs=${RUNS:-5}
clients=${CLIENTS:-1000}
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
keys=$work/keys pristine=$work/pristine
mkdir -p "$keys" "$pristine"
bench_keygen "$keys"

start_licd() { # LICD DATA_DIR -> pid in $pid, port in $port
  bench_start_licd "$1" "$2" "$keys" "$2.log" --lease-ttl=600
  bench_wait_for_port "$2" 30 || { cat "$2.log"; exit 1; }
}

status_line() { # PORT -> the STATUS reply for cad (waits for it)
  exec 3<> "/dev/tcp/127.0.0.1/$1"
  printf 'HELLO 1 version=1 computer=restart-probe user=bench\nSTATUS 2 cad\n' >&3
  local line
  while IFS= read -r -t 60 line <&3; do
    case $line in "OK 2 "*) echo "${line%$'\r'}"; break ;; esac
  done
  exec 3<&-
}

echo "granting $leases leases over $clients connections..."
start_licd "${binaries[0]}" "$pristine"
bench_add_license "$pristine" "$keys" cad "$leases"
"$build/bench/licbench" --server="127.0.0.1:$port" --product=cad --scenario=hold \
  --clients="$clients" --computers="$leases" --duration=1 --keep-leases --json > "$work/grant.json"
kill -9 "$pid"; wait "$pid" 2> /dev/null || true
rm -f "$pristine/licd.port"

declare -A times
for run in $(seq "$runs"); do
  for i in "${!binaries[@]}"; do
    data=$work/run
    rm -rf "$data" && cp -a "$pristine" "$data"
    sync
    t0=$(date +%s%N)
    start_licd "${binaries[$i]}" "$data"
    line=$(status_line "$port")
    t1=$(date +%s%N)
    rss=$(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$pid/status")
    kill "$pid"; wait "$pid" 2> /dev/null || true
    [ "$line" = "OK 2 cad=$leases/$leases" ] || { echo "run $run: got '$line'" >&2; exit 1; }
    secs=$(awk -v d=$((t1 - t0)) 'BEGIN {printf "%.2f", d / 1e9}')
    times[$i]+="$secs "
    echo "${binaries[$i]} run $run: serving with all $leases leases after $secs s (peak RSS $rss MiB)"
  done
done
for i in "${!binaries[@]}"; do
  median=$(tr ' ' '\n' <<< "${times[$i]}" | grep . | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
  echo "${binaries[$i]}: median of $runs: $median s"
done
