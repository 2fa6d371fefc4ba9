#!/usr/bin/env bash
# Builds licd twice (Release, and ASan+UBSan) and runs every test in both builds with CTest.
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
echo "=== all tests passed in the Release and the ASan+UBSan builds"
