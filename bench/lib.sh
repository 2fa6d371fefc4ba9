# Steps the bench scripts share: a vendor key, a licd on a data dir, a license for it.
# Source this file after setting $build (the build dir with tools/ and bench/).

root_flag=()
[ "$(id -u)" = 0 ] && root_flag=(--allow-root) # licd refuses root unless told

# bench_keygen KEYS_DIR: a vendor key pair in KEYS_DIR.
bench_keygen() {
  "$build/tools/licgen" keygen --out="$1" 2> /dev/null
}

# bench_tls DATA_DIR: when $TLS is 1, a self-signed certificate for 127.0.0.1 in DATA_DIR, and
# the options that make licd serve TLS with it ($licd_tls) and licbench verify it ($licbench_tls);
# otherwise both empty (plain TCP).
bench_tls() {
  licd_tls=() licbench_tls=()
  [ "${TLS:-0}" = 1 ] || return 0
  "$build/tools/licd" --data-dir="$1" --make-tls-cert --tls-name=127.0.0.1 "${root_flag[@]}" \
    > /dev/null
  licd_tls=(--tls-cert="$1/tls.crt" --tls-key="$1/tls.key")
  licbench_tls=(--tls-ca="$1/tls.crt")
}

# bench_start_licd LICD DATA_DIR KEYS_DIR LOG [licd options...]: starts LICD in the background
# on any free port, without admin API or discovery, logging warnings to LOG; its pid in $pid.
bench_start_licd() {
  local licd=$1 data=$2 keys=$3 log=$4
  shift 4
  "$licd" --data-dir="$data" --port=0 --admin-port=0 --log-level=warn --discovery-port=0 \
    --vendor-key="$keys/vendor.pub" "${root_flag[@]}" "$@" > "$log" 2>&1 &
  pid=$!
}

# bench_wait_for_port DATA_DIR SECONDS: waits until licd (pid $pid) writes its port to licd.port
# (which holds 0 until then),
# then in $port. Fails if licd ends first or SECONDS pass.
bench_wait_for_port() {
  local i
  for ((i = 0; i < $2 * 100; ++i)); do
    port=$(cat "$1/licd.port" 2> /dev/null || true)
    if [ -n "$port" ] && [ "$port" != 0 ]; then # 0: not serving yet
      return 0
    fi
    kill -0 "$pid" 2> /dev/null || { echo "licd ended before it listened" >&2; return 1; }
    sleep 0.01
  done
  echo "licd did not listen within $2 s" >&2
  return 1
}

# bench_add_license DATA_DIR KEYS_DIR PRODUCT SEATS: installs a signed license code (trying
# again for up to 10 s: a cluster node's admin API starts just after it takes the lead).
bench_add_license() {
  local code i
  code=$("$build/tools/licgen" issue --key="$2/vendor.key" --product="$3" --seats="$4")
  for ((i = 0; i < 100; ++i)); do
    "$build/tools/licadmin" --data-dir="$1" licenses add "$code" > /dev/null 2>&1 && return 0
    sleep 0.1
  done
  "$build/tools/licadmin" --data-dir="$1" licenses add "$code" > /dev/null
}
