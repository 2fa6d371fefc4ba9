#!/usr/bin/env bash
# Builds the Windows client with Debian's MinGW-w64, for people and for CI: installs what it
# needs (as root), builds OpenSSL for MinGW once per machine (cached in ~/.cache/licd), then
# configures and builds into DIR/bin: licd.dll (its import library licd.lib in DIR/client),
# licclient.exe, the two examples and the unit tests, and the zip for vendors
# (licd-client-VERSION-windows-x64.zip). tests/windows/run.py runs them under Wine.
#
#   scripts/build-windows.sh DIR
set -euo pipefail
dir=${1:?usage: build-windows.sh DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
# wine64 runs the tests (tests/windows/run.py); it is installed with what it recommends, as
# tested here.
packages=(g++-mingw-w64-x86-64-posix binutils-mingw-w64-x86-64 wine64 cmake ninja-build
          libcli11-dev nlohmann-json3-dev python3)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" > /dev/null
fi
openssl_prefix=${LICD_CACHE:-$HOME/.cache/licd}/mingw-openssl
bash "$root/scripts/mingw-openssl.sh" "$openssl_prefix"
cmake -S "$root" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE="$root/cmake/mingw-w64.cmake" -DLICD_MINGW_OPENSSL="$openssl_prefix" \
  -DOPENSSL_ROOT_DIR="$openssl_prefix" -DLICD_WERROR=ON > /dev/null
cmake --build "$dir"
(cd "$dir" && cpack -G ZIP > cpack.log) || { cat "$dir/cpack.log"; exit 1; }
ls "$dir"/licd-client-*-windows-x64.zip
