#!/usr/bin/env bash
# Builds licd three times (Release, ASan+UBSan, ThreadSanitizer) and runs every test in each build
# with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

build_and_test() {
  local dir=$1; shift
  echo "=== $dir: configure and build"
  cmake -S . -B "$dir" -G Ninja "$@" > "$dir.configure.log" 2>&1 || { cat "$dir.configure.log"; exit 1; }
  cmake --build "$dir" -j "$jobs"
  echo "=== $dir: test"
  (cd "$dir" && ctest --output-on-failure -j "$jobs")
}

mkdir -p build-ci
build_and_test build-ci/release -DCMAKE_BUILD_TYPE=Release -DLICD_BUILD_BENCH=ON
# halt_on_error: any sanitizer report fails the test that triggered it.
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
build_and_test build-ci/asan -DCMAKE_BUILD_TYPE=Debug -DLICD_SANITIZE=ON
unset ASAN_OPTIONS UBSAN_OPTIONS

# ThreadSanitizer, against a CAF built with it (scripts/caf-tsan.sh says why). Every process the
# tests start (licd, the tools, licbench) writes any report to tsan-reports/; one is a failure
# even when the test passed.
caf=$PWD/build-ci/caf-tsan
bash scripts/caf-tsan.sh "$caf"
reports=$PWD/build-ci/tsan-reports
rm -rf "$reports" && mkdir -p "$reports"
tsan_reported() { [ -n "$(ls -A "$reports")" ]; }
trap 'if tsan_reported; then echo "=== ThreadSanitizer reported:"; cat "$reports"/*; fi' EXIT
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 log_path=$reports/report"
build_and_test build-ci/tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLICD_TSAN=ON \
  -DCAF_CORE_LIBRARY="$caf/lib/libcaf_core.so" -DCAF_IO_LIBRARY="$caf/lib/libcaf_io.so"
if tsan_reported; then
  exit 1
fi
echo "=== all tests passed in the Release, ASan+UBSan and ThreadSanitizer builds"
