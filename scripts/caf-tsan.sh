#!/usr/bin/env bash
# Builds CAF 0.17.6 (libcaf_core, libcaf_io) with ThreadSanitizer into PREFIX, for the TSan build
# of licd. Debian's libcaf-dev is not instrumented: TSan cannot see the synchronisation inside it
# (its mailboxes and scheduler queues) and reports races that are not there. The source is
# Debian's own (the orig tarball of libcaf-dev 0.17.6), fetched by apt from the archive this
# machine's apt sources name (scripts/debian-source.sh; apt checks it against the signed index),
# and checked again against a pinned SHA-256; licd still compiles against Debian's CAF headers, which are the same
# apart from one include.
#
#   scripts/caf-tsan.sh PREFIX      (does nothing when PREFIX already holds the libraries)
set -euo pipefail
prefix=${1:?usage: caf-tsan.sh PREFIX}
if [ -e "$prefix/lib/libcaf_core.so" ] && [ -e "$prefix/lib/libcaf_io.so" ]; then
  exit 0
fi
tarball=actor-framework_0.17.6.orig.tar.gz
sha256=e2bf5bd243f08bb7d8adde197cfe3e6d71314ed3378fe0692f8932f4c3b3928c
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "=== CAF 0.17.6 with ThreadSanitizer -> $prefix"
# Debian's source, fetched and checked by apt (scripts/debian-source.sh), then against the pin.
fetched=$(bash "$(dirname "$0")/debian-source.sh" actor-framework "$work")
[ "$(basename "$fetched")" = "$tarball" ] || { echo "apt fetched $fetched, not $tarball"; exit 1; }
echo "$sha256  $work/$tarball" | sha256sum -c --quiet
tar -xzf "$work/$tarball" -C "$work"
# -include limits: receive_buffer.hpp uses std::numeric_limits without including <limits>
# (Debian patches the header it installs the same way).
cmake -S "$work/actor-framework-0.17.6" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_FLAGS="-fsanitize=thread -g -include limits" \
  -DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=thread -DCMAKE_INSTALL_PREFIX="$prefix" \
  -DCAF_NO_EXAMPLES=yes -DCAF_NO_TOOLS=yes -DCAF_NO_UNIT_TESTS=yes -DCAF_NO_OPENSSL=yes \
  -DCAF_NO_PYTHON=yes -DCAF_NO_OPENCL=yes -DCAF_NO_SUMMARY=yes > "$work/configure.log" 2>&1 \
  || { cat "$work/configure.log"; exit 1; }
cmake --build "$work/build" -j "$(nproc)" > "$work/build.log" 2>&1 || { tail -50 "$work/build.log"; exit 1; }
cmake --install "$work/build" > /dev/null
