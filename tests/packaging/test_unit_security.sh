#!/usr/bin/env bash
# The shipped unit's sandbox: `systemd-analyze security --offline=true` must
# rate systemd/pushgw.service at or below THRESHOLD (default 2.0), and the
# unit must keep what the daemon relies on (Type=notify, watchdog, reload,
# directories, dedicated user) without cutting off provider traffic.
#   usage: test_unit_security.sh SOURCE_DIR [THRESHOLD]
# Exit 77 (ctest SKIP_RETURN_CODE) when systemd-analyze cannot be had.
set -euo pipefail
SRC=${1:?usage: test_unit_security.sh SOURCE_DIR [THRESHOLD]}
THRESHOLD=${2:-2.0}
UNIT=$SRC/systemd/pushgw.service
fail() { echo "FAIL: $*" >&2; exit 1; }

if ! command -v systemd-analyze >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing systemd for systemd-analyze"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd >/dev/null ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd >/dev/null; }
  fi
  command -v systemd-analyze >/dev/null 2>&1 || { echo "SKIP: systemd-analyze not available"; exit 77; }
fi

out=$(systemd-analyze security --offline=true --no-pager "$UNIT" 2>&1) || fail "systemd-analyze failed: $out"
score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for pushgw.service: \([0-9.]*\).*/\1/p')
[ -n "$score" ] || fail "no overall exposure level in output:\n$out"
echo "exposure score: $score (threshold $THRESHOLD)"
awk -v s="$score" -v t="$THRESHOLD" 'BEGIN { exit !(s + 0 <= t + 0) }' ||
  { printf '%s\n' "$out" | grep '✗' >&2; fail "exposure $score > $THRESHOLD"; }
# The same verdict through systemd-analyze's own threshold (0..100 scale).
t100=$(awk -v t="$THRESHOLD" 'BEGIN { printf "%d", t * 10 }')
systemd-analyze security --offline=true --threshold="$t100" --no-pager "$UNIT" >/dev/null 2>&1 ||
  fail "systemd-analyze --threshold=$t100 rejected the unit"

# What the daemon depends on must still be there.
require() { grep -qxF -- "$1" "$UNIT" || fail "pushgw.service lacks '$1'"; }
require "Type=notify"
require "NotifyAccess=main"
require "WatchdogSec=30"
require 'ExecReload=/bin/kill -HUP $MAINPID'
require "ExecStart=/usr/bin/pushgwd --config /etc/pushgw/pushgw.toml"
require "Restart=on-failure"
require "RuntimeDirectory=pushgw"
require "StateDirectory=pushgw"
require "ConfigurationDirectory=pushgw"
require "User=pushgw"
require "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6"
require "MemoryDenyWriteExecute=yes"
# Providers are on the internet: no IP deny list, no private network.
if grep -Eq '^(IPAddressDeny|PrivateNetwork=yes)' "$UNIT"; then fail "unit cuts off provider traffic"; fi

SOCKET=$SRC/systemd/pushgw.socket
grep -qxF "ListenStream=/run/pushgw/pushgw.sock" "$SOCKET" || fail "pushgw.socket: wrong ListenStream"
grep -qxF "SocketMode=0660" "$SOCKET" || fail "pushgw.socket: wrong SocketMode"
# The socket path the unit creates is the config's default.
grep -q '^socket = "/run/pushgw/pushgw.sock"' "$SRC/conf/pushgw.toml" || fail "conf/pushgw.toml socket differs from pushgw.socket"
echo "ok: pushgw.service exposure $score <= $THRESHOLD"
