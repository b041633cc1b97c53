#!/usr/bin/env bash
# Quickstart demo: installs dependencies, builds, generates a demo CA and
# credentials, starts pushgw-sim (the provider simulator) and pushgwd on
# loopback, sends a sample batch with pushgwctl and prints each recipient's
# outcome and the feedback change-feed. Everything lives in ./demo-run/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
if [ -z "${PUSHGW_SKIP_BUILD:-}" ]; then
  ./scripts/install-deps.sh
  ./scripts/build.sh
fi
BIN=$ROOT/build/bin
RUN=$ROOT/demo-run
rm -rf "$RUN" && mkdir -p "$RUN"

echo "== generating a demo CA, server certificate and credentials in $RUN"
"$BIN/pushgw-sim" gen-ca --out "$RUN/pki"
"$BIN/pushgw-sim" gen-apns-key --out "$RUN/AuthKey_KEY1234567.p8"

echo "== starting pushgw-sim"
"$BIN/pushgw-sim" serve --listen 127.0.0.1:0 --admin 127.0.0.1:0 \
  --cert "$RUN/pki/server.pem" --key "$RUN/pki/server.key" --port-file "$RUN/sim.ports" \
  --apns-key "ABCDE12345:KEY1234567:$RUN/AuthKey_KEY1234567.p8" >"$RUN/sim.log" 2>&1 &
SIM_PID=$!
PID_D=""
cleanup() {
  [ -n "$PID_D" ] && kill -TERM "$PID_D" 2>/dev/null && wait "$PID_D" 2>/dev/null || true
  kill "$SIM_PID" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 100); do [ -s "$RUN/sim.ports" ] && break; sleep 0.1; done
read -r PORT APORT <"$RUN/sim.ports"

cat >"$RUN/pushgw.toml" <<TOML
[server]
socket = "$RUN/pushgw.sock"
socket_mode = "0600"
workers = 2

[store]
path = "$RUN/pushgw.db"

[metrics]
listen = ""

[tls]
ca_file = "$RUN/pki/ca.pem"

[[apns]]
app = "shop-ios"
team_id = "ABCDE12345"
key_id = "KEY1234567"
key_file = "$RUN/AuthKey_KEY1234567.p8"
topic = "com.example.shop"
environment = "production"
endpoint = "https://127.0.0.1:$PORT"
connections = 2
TOML

echo "== checking the config"
"$BIN/pushgwd" --check-config --config "$RUN/pushgw.toml"
echo "== starting pushgwd"
"$BIN/pushgwd" --config "$RUN/pushgw.toml" >"$RUN/pushgwd.log" 2>&1 &
PID_D=$!
for _ in $(seq 100); do [ -S "$RUN/pushgw.sock" ] && break; sleep 0.1; done
export PUSHGW_SOCKET=$RUN/pushgw.sock

# Tokens: the sim answers by prefix (410... unregistered, 4000... bad token).
GOOD1=a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90
GOOD2=a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f91
DEAD=4101c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90
BAD=4000c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90
cat >"$RUN/batch.json" <<JSON
{"op":"send","id":"demo-1","campaign":"spring-sale","wait":true,
 "notifications":[
  {"platform":"apns","app":"shop-ios",
   "tokens":["$GOOD1", {"token":"$GOOD2","vars":{"name":"Aiko"}}, "$DEAD", "$BAD", "zz-not-a-token"],
   "push_type":"alert","priority":10,"collapse_id":"sale",
   "payload":{"aps":{"alert":{"title":"Hi {{name|there}}","body":"20% off today"}}}}
 ]}
JSON

echo "== sending a sample batch (pushgwctl send --wait)"
"$BIN/pushgwctl" send "$RUN/batch.json" || true
echo
echo "== feedback change-feed (tokens to prune)"
"$BIN/pushgwctl" feedback --since 0
echo
echo "== sending the same batch again: dead tokens are now suppressed"
"$BIN/pushgwctl" send "$RUN/batch.json" || true
echo
echo "== stats"
"$BIN/pushgwctl" stats
