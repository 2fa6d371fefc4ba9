#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (Debian's clang package) and runs each for SECONDS
# (default 60), growing fuzz/corpus/TARGET. New corpus files are kept in the repository: the
# replay tests (ctest -R fuzz) run them in CI. A crash leaves crash-* files here and fails.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
command -v clang++ > /dev/null || { echo "fuzz/run.sh needs clang: apt-get install clang" >&2; exit 2; }
mkdir -p build-fuzz
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DLICD_FUZZ=ON -DLICD_BUILD_TESTS=OFF > build-fuzz/configure.log 2>&1 \
  || { cat build-fuzz/configure.log; exit 1; }
cmake --build build-fuzz --target fuzz_protocol fuzz_replies fuzz_codes fuzz_config
for target in protocol replies codes config; do
  echo "=== fuzz_$target for $seconds s"
  mkdir -p "fuzz/corpus/$target"
  # -max_len: requests are at most 1 KiB; codes and configs a few KiB.
  build-fuzz/fuzz/fuzz_$target -max_total_time="$seconds" -max_len=4096 -timeout=10 \
    -print_final_stats=1 "fuzz/corpus/$target"
done
# Keep the corpus small: only inputs that add coverage. Named files (seed-*, regression-*) stay.
for target in protocol replies codes config; do
  mkdir -p "build-fuzz/min-$target"
  rm -f "build-fuzz/min-$target"/*
  build-fuzz/fuzz/fuzz_$target -merge=1 "build-fuzz/min-$target" "fuzz/corpus/$target" 2> /dev/null
  find "fuzz/corpus/$target" -type f -regextype egrep -regex '.*/[0-9a-f]{40}' -delete
  cp "build-fuzz/min-$target"/* "fuzz/corpus/$target/"
  echo "corpus $target: $(ls "fuzz/corpus/$target" | wc -l) inputs"
done
