#!/usr/bin/env bash
# The cluster's cost (docs/BENCHMARKS.md, docs/CLUSTER.md): a licd leading a cluster on three
# etcd members on this machine against a single-machine licd, interleaved by bench/ab.sh in the
# same run, and etcd's own write rate (bench/etcd_load) measured beside them.
#
#   bench/cluster.sh [SCENARIO] [CLIENTS] [BUILD_DIR]   (default: cycle 1000 build;
#   env RUNS=3 DURATION=5 as for bench/ab.sh, ETCD_CLIENTS="64 256")
set -euo pipefail
scenario=${1:-cycle} clients=${2:-1000} build=${3:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  wait 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
initial="" urls=""
declare -a cports pports
for i in 0 1 2; do
  cports[$i]=$(free_port) pports[$i]=$(free_port)
  initial+="${initial:+,}e$i=http://127.0.0.1:${pports[$i]}"
  urls+="${urls:+,}http://127.0.0.1:${cports[$i]}"
done
for i in 0 1 2; do
  etcd --name "e$i" --data-dir "$work/e$i" \
    --listen-client-urls "http://127.0.0.1:${cports[$i]}" \
    --advertise-client-urls "http://127.0.0.1:${cports[$i]}" \
    --listen-peer-urls "http://127.0.0.1:${pports[$i]}" \
    --initial-advertise-peer-urls "http://127.0.0.1:${pports[$i]}" \
    --initial-cluster "$initial" --initial-cluster-state new > "$work/e$i.log" 2>&1 &
  pids+=($!)
done
for _ in $(seq 100); do
  healthy=0
  for i in 0 1 2; do
    curl -fs "http://127.0.0.1:${cports[$i]}/health" | grep -q '"true"' && healthy=$((healthy + 1))
  done
  [ "$healthy" = 3 ] && break
  sleep 0.2
done
[ "$healthy" = 3 ] || { echo "etcd did not become healthy" >&2; exit 1; }

# B: licd as the only node of a cluster (the standbys run on other machines in a real site);
# each run under a cluster name of its own, so that it starts on an empty cluster.
cat > "$work/licd-cluster" <<SH
#!/usr/bin/env bash
exec "$root/$build/tools/licd" "\$@" --cluster=etcd:$urls --cluster-name=bench\$RANDOM\$RANDOM \\
  --node-name=bench
SH
chmod +x "$work/licd-cluster"

echo "== licd single machine (A) against licd leading a cluster on 3 etcd members (B)"
(cd "$root" && bench/ab.sh "$root/$build/tools/licd" "$work/licd-cluster" "$scenario" "$clients" \
  "$build")
echo "== etcd's own write rate (fenced puts of 100 bytes, as a leader writes), same etcd"
for c in ${ETCD_CLIENTS:-64 256}; do
  for run in $(seq "${RUNS:-3}"); do
    echo "etcd_load clients=$c run $run: $("$root/$build/bench/etcd_load" --cluster="etcd:$urls" \
      --clients="$c" --duration="${DURATION:-5}")"
  done
done
