#!/usr/bin/env bash
# Installs everything pushgw needs to build, test, demo and benchmark, from
# Debian 12 packages. Safe to re-run: it skips apt-get when all are present.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config g++ git
  libnghttp2-dev libuv1-dev libssl-dev openssl
  libsimdjson-dev libjemalloc-dev libtomlplusplus-dev libsqlite3-dev sqlite3
  libsystemd-dev systemd
  libgtest-dev libgmock-dev libbenchmark-dev
  nghttp2-client nghttp2-server
  clang-14 libclang-rt-14-dev
  python3 python3-pytest procps curl
  prometheus gnuplot-nox dpkg-dev
  tzdata redis-server libhiredis-dev postgresql libpq-dev
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
