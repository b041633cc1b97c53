#!/usr/bin/env bash
# Quickstart demo: installs dependencies, builds the programs, generates a
# demo CA and credentials, starts pushgw-sim (the provider simulator) and
# pushgwd on loopback, sends a sample batch with pushgwctl and prints each
# recipient's outcome and the feedback change-feed. Everything lives in
# ./demo-run/ (PUSHGW_DEMO_DIR overrides it). Run it as root or as a user who
# may use sudo: install-deps.sh calls sudo itself when it has to install.
#   PUSHGW_SKIP_BUILD=1  use the programs already in $BUILD_DIR/bin (default build/)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
START=$SECONDS
timings=""
if [ -z "${PUSHGW_SKIP_BUILD:-}" ]; then
  t=$SECONDS
  ./scripts/install-deps.sh
  timings="packages $((SECONDS - t))s"
  t=$SECONDS
  ./scripts/build.sh programs
  timings="$timings, build $((SECONDS - t))s, "
fi
BUILD_DIR=${BUILD_DIR:-build}
case $BUILD_DIR in /*) BIN=$BUILD_DIR/bin ;; *) BIN=$ROOT/$BUILD_DIR/bin ;; esac
RUN=${PUSHGW_DEMO_DIR:-$ROOT/demo-run}
DEMO_START=$SECONDS
rm -rf "$RUN" && mkdir -p "$RUN"

echo "== generating a demo CA, server certificate and credentials in $RUN"
"$BIN/pushgw-sim" gen-ca --out "$RUN/pki"
"$BIN/pushgw-sim" gen-apns-key --out "$RUN/AuthKey_KEY1234567.p8"

# The sim picks a free port first; the service account and the Web Push
# subscriptions name it, so they are generated before the real start.
"$BIN/pushgw-sim" serve --listen 127.0.0.1:0 --cert "$RUN/pki/server.pem" --key "$RUN/pki/server.key" \
  --port-file "$RUN/probe.ports" >/dev/null 2>&1 &
PROBE=$!
for _ in $(seq 100); do [ -s "$RUN/probe.ports" ] && break; sleep 0.1; done
read -r PORT _ <"$RUN/probe.ports"
kill "$PROBE"; wait "$PROBE" 2>/dev/null || true
"$BIN/pushgw-sim" gen-service-account --out "$RUN/sa.json" --project demo-project \
  --token-uri "https://127.0.0.1:$PORT/token" >/dev/null
"$BIN/pushgw-sim" gen-vapid-key --out "$RUN/vapid.pem" >/dev/null
"$BIN/pushgw-sim" gen-subscriptions --count 2 --endpoint-base "https://127.0.0.1:$PORT/wp/" --out "$RUN/subs.json"

echo "== starting pushgw-sim on 127.0.0.1:$PORT"
"$BIN/pushgw-sim" serve --listen "127.0.0.1:$PORT" --admin 127.0.0.1:0 \
  --cert "$RUN/pki/server.pem" --key "$RUN/pki/server.key" --port-file "$RUN/sim.ports" \
  --apns-key "ABCDE12345:KEY1234567:$RUN/AuthKey_KEY1234567.p8" \
  --fcm-service-account "$RUN/sa.json" --webpush-subscriptions "$RUN/subs.json" >"$RUN/sim.log" 2>&1 &
SIM_PID=$!
PID_D=""
cleanup() {
  [ -n "$PID_D" ] && kill -TERM "$PID_D" 2>/dev/null && wait "$PID_D" 2>/dev/null || true
  # Waited for too: a sanitizer build may take a while to exit.
  kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null || true
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
listen = "127.0.0.1:0"

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

[[fcm]]
app = "shop-android"
service_account = "$RUN/sa.json"
endpoint = "https://127.0.0.1:$PORT"
connections = 2

[[webpush]]
app = "shop-web"
vapid_key_file = "$RUN/vapid.pem"
vapid_subject = "mailto:ops@example.com"
connections = 1
allow_private_endpoints = true   # the demo's push service is on loopback
endpoint_ports = [$PORT]         # ... on a port other than 443
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
SUB1=$(python3 -c "import json;s=json.load(open('$RUN/subs.json'))[0];print(json.dumps({'endpoint':s['endpoint'],'keys':s['keys'],'vars':{'name':'Aiko'}}))")
SUB2=$(python3 -c "import json;s=json.load(open('$RUN/subs.json'))[1];print(json.dumps({'endpoint':s['endpoint'].rsplit('/',1)[0]+'/gone-demo','keys':s['keys']}))")
cat >"$RUN/batch.json" <<JSON
{"op":"send","id":"demo-1","campaign":"spring-sale","wait":true,
 "notifications":[
  {"platform":"apns","app":"shop-ios",
   "tokens":["$GOOD1", {"token":"$GOOD2","vars":{"name":"Aiko"}}, "$DEAD", "$BAD", "zz-not-a-token"],
   "push_type":"alert","priority":10,"collapse_id":"sale",
   "payload":{"aps":{"alert":{"title":"Hi {{name|there}}","body":"20% off today"}}}},
  {"platform":"fcm","app":"shop-android",
   "tokens":[{"token":"fcm-demo-token-1","vars":{"name":"Ren"}}, "unregistered-demo-token", "invalid-demo-token"],
   "message":{"notification":{"title":"Hi {{name|there}}","body":"20% off"},"data":{"sku":"123"},
              "android":{"priority":"high"}}},
  {"platform":"webpush","app":"shop-web","subscriptions":[$SUB1, $SUB2],
   "ttl":86400,"urgency":"normal","topic":"sale",
   "payload":{"title":"Hi {{name|there}}","url":"https://shop.example/sale"}}
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
echo "== what the simulated Web Push service decrypted"
curl -s "http://127.0.0.1:$APORT/webpush/messages"; echo
echo
echo "== stats"
"$BIN/pushgwctl" stats
echo
echo "== engagement events reported by the app (pushgwctl event)"
"$BIN/pushgwctl" event --campaign spring-sale --platform apns --app shop-ios --token "$GOOD1" --kind open
"$BIN/pushgwctl" event --campaign spring-sale --platform apns --app shop-ios --token "$GOOD2" --kind open
"$BIN/pushgwctl" event --campaign spring-sale --platform apns --app shop-ios --token "$GOOD2" --kind click
"$BIN/pushgwctl" event --campaign spring-sale --platform fcm --app shop-android --token fcm-demo-token-1 --kind open
echo
echo "== campaign report (pushgwctl campaign spring-sale)"
"$BIN/pushgwctl" campaign spring-sale
echo
echo "== scheduled sends: one due in 3 s (key cart-demo), one in an hour (key cart-later), then cancelled"
NOW=$(date +%s)
cat >"$RUN/later.json" <<JSON
{"op":"send","id":"demo-later","campaign":"cart-reminder","wait":true,
 "notifications":[
  {"platform":"apns","app":"shop-ios","tokens":["$GOOD1"],"send_at":$((NOW + 3)),"schedule_key":"cart-demo",
   "payload":{"aps":{"alert":"You left something in your cart"}}},
  {"platform":"apns","app":"shop-ios","tokens":["$GOOD2"],"send_at":$((NOW + 3600)),"schedule_key":"cart-later",
   "payload":{"aps":{"alert":"Still thinking about it?"}}}
 ]}
JSON
"$BIN/pushgwctl" send "$RUN/later.json" || true
"$BIN/pushgwctl" scheduled cart-later
"$BIN/pushgwctl" cancel cart-later
sleep 4
echo "== campaign report (pushgwctl campaign cart-reminder): the due one was delivered, the cancelled one never sent"
"$BIN/pushgwctl" campaign cart-reminder
echo
total=$((SECONDS - START))
printf '== demo finished in %dm%02ds (%sdemo %ds); files in %s\n' $((total / 60)) $((total % 60)) "$timings" \
  $((SECONDS - DEMO_START)) "$RUN"
