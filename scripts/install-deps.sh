#!/usr/bin/env bash
# Installs everything pushgw needs to build, test, demo and benchmark, from
# Debian 12 packages. Run it as root or as a user who may use sudo (it calls
# sudo itself); it does nothing when every package is present. apt-get's
# output goes to logs/install-deps.log; the terminal gets one line per step.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

PKGS=(
  build-essential cmake pkg-config g++ git ccache
  libnghttp2-dev libuv1-dev libssl-dev openssl
  libsimdjson-dev libjemalloc-dev libtomlplusplus-dev libsqlite3-dev sqlite3
  libsystemd-dev systemd
  libgtest-dev libgmock-dev libbenchmark-dev
  nghttp2-client nghttp2-server
  clang-14 libclang-rt-14-dev
  python3 python3-pytest python3-yaml procps curl tmux
  prometheus gnuplot-nox dpkg-dev lintian man-db
  tzdata redis-server libhiredis-dev postgresql libpq-dev
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  step "packages: all ${#PKGS[@]} present"
  exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install-deps: ${#missing[@]} packages are missing, and this user is neither root nor has sudo." >&2
    echo "install-deps: run it as root, or install: ${missing[*]}" >&2
    exit 1
  fi
  SUDO=(sudo)
  sudo -v  # asks for the password here, not in the middle of apt's output
fi

LOG=$LOG_DIR/install-deps.log
: >"$LOG"
start=$SECONDS
what="${#missing[@]} packages"
[ ${#missing[@]} -eq 1 ] && what="1 package"
step "installing $what… (apt-get output: ${LOG#"$PWD"/})"
# sudo resets the environment: pass the frontend setting on the command line.
apt=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o Dpkg::Use-Pty=0)
run_logged "$LOG" "${apt[@]}" update
run_logged "$LOG" "${apt[@]}" install -y --no-install-recommends "${missing[@]}"
step "installed $what in $(elapsed $((SECONDS - start)))"
