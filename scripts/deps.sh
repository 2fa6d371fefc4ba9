#!/usr/bin/env bash
# Installs everything licd needs to build and test, from Debian 12's packages. Run as root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
packages=(
  build-essential cmake ninja-build pkg-config
  libcaf-dev liblmdb-dev lmdb-utils libspdlog-dev libssl-dev libcpp-httplib-dev prometheus
  catch2 libcli11-dev nlohmann-json3-dev
  libbenchmark-dev netcat-openbsd faketime openssl curl libgoogle-perftools-dev gnuplot-nox
  zlib1g-dev tzdata
  libjs-chart.js chromium chromium-driver python3-selenium
  etcd-server etcd-client
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
