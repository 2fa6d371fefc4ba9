#!/usr/bin/env bash
# Builds the Windows client with Debian's MinGW-w64, for people and for CI: installs what it
# needs (as root), builds OpenSSL for MinGW once per machine (cached in ~/.cache/licd), then
# configures and builds into DIR: licd.dll (with licd.lib/licd.def), licclient.exe, the examples
# and the test programs. Tests run them under Wine (tests/windows/run.sh).
#
#   scripts/build-windows.sh DIR
set -euo pipefail
dir=${1:?usage: build-windows.sh DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
packages=(g++-mingw-w64-x86-64-posix wine64 cmake ninja-build zip libcli11-dev nlohmann-json3-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
openssl_prefix=${LICD_CACHE:-$HOME/.cache/licd}/mingw-openssl
bash "$root/scripts/mingw-openssl.sh" "$openssl_prefix"
cmake -S "$root" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE="$root/cmake/mingw-w64.cmake" -DLICD_MINGW_OPENSSL="$openssl_prefix" \
  -DOPENSSL_ROOT_DIR="$openssl_prefix" -DLICD_WERROR=ON > /dev/null
cmake --build "$dir"
