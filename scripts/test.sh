#!/usr/bin/env bash
# Builds licd and runs its tests with CTest, in one build or in all of them:
#
#   scripts/test.sh [release|windows|asan|tsan|all] [CTEST OPTION...]
#
#   release  Release, with the benchmarks                        -> build-ci/release
#   windows  the Windows client (MinGW-w64), tested under Wine
#            against the Release licd                            -> build-ci/windows
#   asan     AddressSanitizer + UndefinedBehaviorSanitizer, -O1  -> build-ci/asan
#   tsan     ThreadSanitizer, against a CAF built with it         -> build-ci/tsan
#   all      each in turn (the default, and what CI runs)
#
# Warnings are errors in every build (LICD_WERROR). Options after the mode go to CTest, e.g.
# `scripts/test.sh release -L unit` or `scripts/test.sh asan -LE slow`; the labels are unit,
# actors, e2e and slow (each test has one). The time of each phase is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-all}
[ $# -gt 0 ] && shift
case $mode in
  release | windows | asan | tsan | all) ;;
  *) echo "usage: scripts/test.sh [release|windows|asan|tsan|all] [CTEST OPTION...]" >&2; exit 2 ;;
esac
ctest_args=("$@")
jobs=$(nproc)
started=$SECONDS
phases=()
report_times() {
  [ "$BASHPID" = "$$" ] || return 0 # not from a subshell
  echo "=== time per phase"
  for p in "${phases[@]}"; do echo "    $p"; done
  echo "    total: $((SECONDS - started)) s"
}
trap report_times EXIT

# phase NAME COMMAND...: runs it, and records how long it took.
phase() {
  local name=$1 t0=$SECONDS rc=0
  shift
  echo "=== $name"
  "$@" || rc=$?
  phases+=("$name: $((SECONDS - t0)) s$([ "$rc" = 0 ] || echo ", FAILED")")
  return "$rc"
}

configure_and_build() {
  local dir=$1
  shift
  cmake -S . -B "$dir" -G Ninja -DLICD_WERROR=ON "$@" > "$dir.configure.log" 2>&1 \
    || { cat "$dir.configure.log"; exit 1; }
  cmake --build "$dir" -j "$jobs"
}

run_tests() {
  (cd "$1" && ctest --output-on-failure -j "$jobs" "${ctest_args[@]}")
}

mkdir -p build-ci

if [ "$mode" = release ] || [ "$mode" = windows ] || [ "$mode" = all ]; then
  phase "release: build" configure_and_build build-ci/release -DCMAKE_BUILD_TYPE=Release \
    -DLICD_BUILD_BENCH=ON
  [ "$mode" = windows ] || phase "release: test" run_tests build-ci/release
fi

if [ "$mode" = windows ] || [ "$mode" = all ]; then
  # OpenSSL for MinGW is built once per machine (scripts/mingw-openssl.sh), like CAF for TSan.
  export LICD_CACHE=${LICD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/licd}
  phase "windows: build (OpenSSL for MinGW cached in $LICD_CACHE)" \
    bash scripts/build-windows.sh build-ci/windows
  phase "windows: test under Wine" python3 tests/windows/run.py build-ci/windows build-ci/release
fi

if [ "$mode" = asan ] || [ "$mode" = all ]; then
  # -O1: ASan's own advice, and twice as fast as -O0 here; the reports stay exact.
  phase "asan: build" configure_and_build build-ci/asan -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_C_FLAGS_DEBUG="-g -O1" -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" -DLICD_SANITIZE=ON
  # halt_on_error: any sanitizer report fails the test that triggered it.
  export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  phase "asan: test" run_tests build-ci/asan
  unset ASAN_OPTIONS UBSAN_OPTIONS
fi

if [ "$mode" = tsan ] || [ "$mode" = all ]; then
  # CAF built with TSan (scripts/caf-tsan.sh says why), once per machine: it does not change
  # with licd's sources.
  caf=${LICD_CAF_TSAN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/licd/caf-0.17.6-tsan}
  phase "tsan: CAF with ThreadSanitizer (cached in $caf)" bash scripts/caf-tsan.sh "$caf"
  # Every process the tests start (licd, the tools, licbench) writes any report to
  # tsan-reports/; one is a failure even when the test passed.
  reports=$PWD/build-ci/tsan-reports
  rm -rf "$reports" && mkdir -p "$reports"
  tsan_reported() { [ -n "$(ls -A "$reports")" ]; }
  trap 'if tsan_reported; then echo "=== ThreadSanitizer reported:"; cat "$reports"/*; fi; report_times' EXIT
  phase "tsan: build" configure_and_build build-ci/tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DLICD_TSAN=ON -DCAF_CORE_LIBRARY="$caf/lib/libcaf_core.so" \
    -DCAF_IO_LIBRARY="$caf/lib/libcaf_io.so"
  export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 log_path=$reports/report"
  phase "tsan: test" run_tests build-ci/tsan
  unset TSAN_OPTIONS
  if tsan_reported; then
    exit 1
  fi
fi
echo "=== all tests passed ($mode)"
