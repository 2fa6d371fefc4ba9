#!/usr/bin/env bash
# Builds OpenSSL's libraries (libcrypto, libssl; static, 64-bit) for Windows with Debian's
# MinGW-w64 into PREFIX, for the Windows client (scripts/build-windows.sh). Debian ships no MinGW
# build of OpenSSL, so this is Debian's own source of the libssl-dev the Linux build uses,
# fetched by apt (scripts/debian-source.sh). Windows' own CNG has no Ed25519.
#
#   scripts/mingw-openssl.sh PREFIX      (does nothing when PREFIX already holds the libraries)
set -euo pipefail
prefix=${1:?usage: mingw-openssl.sh PREFIX}
if [ -e "$prefix/lib/libcrypto.a" ] && [ -e "$prefix/lib/libssl.a" ]; then
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tarball=$(bash "$(dirname "$0")/debian-source.sh" openssl "$work")
echo "=== OpenSSL for MinGW-w64 from $(basename "$tarball") -> $prefix"
tar -xf "$tarball" -C "$work"
src=$(find "$work" -maxdepth 1 -type d -name "openssl-*" | head -1)
# no-shared: linked into licd.dll and licclient.exe, which then import only Windows' DLLs.
(cd "$src" && ./Configure mingw64 --cross-compile-prefix=x86_64-w64-mingw32- no-shared no-tests \
   --prefix="$prefix" --libdir=lib > "$work/configure.log" 2>&1) \
  || { cat "$work/configure.log"; exit 1; }
make -C "$src" -j "$(nproc)" build_libs > "$work/build.log" 2>&1 || { tail -50 "$work/build.log"; exit 1; }
make -C "$src" install_dev > "$work/install.log" 2>&1 || { tail -50 "$work/install.log"; exit 1; }
echo "=== OpenSSL for MinGW-w64 in $prefix"
