#!/usr/bin/env bash
# Refreshes the License Manager's pictures in docs/ui/ (README.md and docs/OPERATIONS.md show
# them): runs the browser suite (tests/browser/license_manager.py) against a build, which saves
# a screenshot of each page as it goes. The Usage picture draws two weeks made by gen-history,
# so the build needs the benchmarks:
#
#   scripts/screenshots.sh [BUILD_DIR]     (default: build, configured with -DLICD_BUILD_BENCH=ON)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
[ -x "$build/bench/gen-history" ] || {
  echo "$build/bench/gen-history is missing: configure $build with -DLICD_BUILD_BENCH=ON" >&2
  exit 1
}
cmake --build "$build"
/usr/bin/python3 tests/browser/license_manager.py "$build" docs/ui
ls -l docs/ui
