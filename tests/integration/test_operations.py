"""Operations: SIGHUP reload, Prometheus /metrics, systemd notify + watchdog,
and logs free of secrets."""
import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request

import pytest

from harness import FcmRig, apns_token, free_port, wait_until


def send(d, app="shop-ios", n=10, base=0, prefix=""):
    toks = [apns_token(base + i, prefix) for i in range(n)]
    return d.request({"op": "send", "wait": True, "notifications": [
        {"platform": "apns", "app": app, "tokens": toks, "payload": {"aps": {"alert": "x"}}}]})


def test_reload_adds_app_and_keeps_connections_of_unchanged_apps(rig):
    d = rig.daemon()
    assert all(r["status"] == "delivered" for r in send(d)["results"])
    conns_before = rig.sim.stats()["connections_accepted"]
    cfg2 = rig.config(apps=rig.apns_section() + rig.apns_section(app="shop-ios-2", topic="com.example.two"))
    d.reload(cfg2)
    assert wait_until(lambda: "reload: added apns app 'shop-ios-2'" in d.logs(), timeout=10)
    r2 = send(d, app="shop-ios-2", base=100)
    assert all(r["status"] == "delivered" for r in r2["results"])
    conns_mid = rig.sim.stats()["connections_accepted"]
    assert send(d, base=200)["results"][0]["status"] == "delivered"
    # The unchanged app reused its open connections: only the new app connected.
    assert rig.sim.stats()["connections_accepted"] == conns_mid
    assert conns_mid > conns_before


def test_invalid_reload_is_rejected_and_old_config_keeps_serving(rig):
    d = rig.daemon()
    d.reload("[server]\nthis is not toml = = =\n")
    assert wait_until(lambda: "reload rejected" in d.logs(), timeout=10)
    assert d.proc.poll() is None
    assert send(d)["results"][0]["status"] == "delivered"
    # A config that parses but names an unknown key is rejected too.
    d.reload(rig.config(extra="[bogus]\nx = 1\n"))
    assert wait_until(lambda: d.logs().count("reload rejected") >= 2, timeout=10)
    assert send(d, base=50)["results"][0]["status"] == "delivered"


def test_bad_credentials_are_clear_errors_at_start_and_on_reload(rig):
    rsa = os.path.join(rig.dir, "AuthKey_RSA.p8")
    subprocess.run(["openssl", "genrsa", "-out", rsa, "2048"], check=True, capture_output=True)
    os.chmod(rsa, 0o600)
    missing = os.path.join(rig.dir, "AuthKey_missing.p8")
    good = rig.config()
    # At start: the daemon refuses to run and names the file and the problem.
    for path, why in ((rsa, "not an EC P-256 key"), (missing, "cannot read")):
        with pytest.raises(RuntimeError) as e:
            rig.daemon(good.replace(rig.apns_key, path), name="pushgwd-bad")
        assert "key_file" in str(e.value) and why in str(e.value) and path in str(e.value)
    # On reload: rejected with the same reason, the old credentials keep serving.
    d = rig.daemon()
    for n, (path, why) in enumerate(((rsa, "not an EC P-256 key"), (missing, "cannot read"))):
        d.reload(good.replace(rig.apns_key, path))
        assert wait_until(lambda: d.logs().count("reload rejected") >= n + 1, timeout=10)
        assert why in d.logs()
        assert send(d, base=300 + 10 * n)["results"][0]["status"] == "delivered"
    assert d.proc.poll() is None


def scrape(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as r:
        return r.read().decode()


def test_metrics_scraped_during_load_pass_promtool(rig):
    port = free_port()
    d = rig.daemon(rig.config(metrics="127.0.0.1:%d" % port))
    c = d.client()
    for b in range(5):
        c.request({"op": "send", "notifications": [{"platform": "apns", "app": "shop-ios",
                  "tokens": [apns_token(b * 1000 + i) for i in range(1000)], "payload": {"aps": {}}}]})
        text = scrape(port)  # during load
    assert wait_until(lambda: d.request({"op": "stats"})["platforms"]["apns"]["delivered"] == 5000)
    send(d, n=2, prefix="410")
    text = scrape(port)
    m = re.search(r'pushgw_notifications_total\{platform="apns",app="shop-ios",outcome="delivered",reason=""\} (\d+)', text)
    assert m and int(m.group(1)) == 5000
    assert re.search(r'pushgw_notifications_total\{[^}]*outcome="unsubscribed",reason="Unregistered"\} 2', text)
    assert "pushgw_provider_response_seconds_bucket" in text
    assert "pushgw_gateway_latency_seconds_count" in text
    assert re.search(r"^pushgw_queue_depth \d", text, re.M)
    with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=10) as r:
        assert r.status == 200
    promtool = shutil.which("promtool")
    if promtool:
        p = subprocess.run([promtool, "check", "metrics"], input=text.encode(), capture_output=True)
        assert p.returncode == 0, p.stdout.decode() + p.stderr.decode()


def test_watchdog_stops_when_a_sender_loop_is_stuck(rig):
    path = os.path.join(rig.dir, "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(0.2)
    d = rig.daemon(env={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "600000", "PUSHGW_TEST_HOOKS": "1"})

    def collect(seconds):
        msgs, end = [], time.time() + seconds
        while time.time() < end:
            try:
                msgs.append(sock.recv(4096).decode())
            except socket.timeout:
                pass
        return msgs

    first = collect(1.5)
    assert any("READY=1" in m for m in first)
    assert any("WATCHDOG=1" in m for m in first)
    # The stall starts at the sender's next housekeeping tick (<= 250 ms);
    # a check may still count the turn before it, so look after that.
    assert d.request({"op": "test_stall", "sender": 1, "ms": 3200})["ok"] is True
    collect(0.9)
    during = collect(1.5)
    assert not any("WATCHDOG=1" in m for m in during), during
    assert any("STATUS=" in m and "sender1" in m for m in during), during
    after = collect(2.5)
    assert any("WATCHDOG=1" in m for m in after)
    assert d.terminate() == 0
    assert any("STOPPING=1" in m for m in collect(0.5) + after)
    sock.close()


def assert_no_secrets(logs, toks, keys):
    assert "PRIVATE KEY" not in logs
    for key in keys:
        for line in key.splitlines():
            if len(line) > 20 and "-----" not in line:
                assert line not in logs
    for t in toks:
        assert t not in logs
    assert not re.search(r"eyJ[A-Za-z0-9_-]{10,}\.eyJ", logs), "a JWT leaked into the logs"
    assert not re.search(r"[Bb]earer [A-Za-z0-9._-]{8,}", logs), "a bearer token leaked into the logs"


@pytest.fixture
def frig():
    r = FcmRig()
    yield r
    r.close()


def secret_traffic(rig, log_format):
    """Runs traffic that touches every secret (the APNs key and its JWTs, the
    service account and its OAuth bearer token, full device tokens) at debug
    level, then a reload and a drain; returns the daemon's log and the tokens."""
    cfg = rig.config(apps=rig.apns_section() + rig.fcm_section(), delivery="max_attempts = 2\nmax_retry_seconds = 5")
    cfg = cfg.replace('level = "info"', 'level = "debug"\nformat = "%s"' % log_format)
    d = rig.daemon(cfg, name="pushgwd-" + log_format)
    toks = [apns_token(i, p) for i, p in enumerate(["", "410", "4000", "5000"])]
    fcm_toks = ["fcm-secret-token-%d-abcdefghijklmnop" % i for i in range(2)] + ["unregistered-secret-token-0123"]
    r = d.request({"op": "send", "wait": True, "notifications": [
        {"platform": "apns", "app": "shop-ios", "tokens": toks, "payload": {"aps": {}}},
        {"platform": "fcm", "app": "shop-android", "tokens": fcm_toks, "message": {"data": {"k": "v"}}}]})
    assert sum(x["status"] == "delivered" for x in r["results"]) == 3, r  # FCM really authenticated
    d.request({"op": "send", "notifications": [{"platform": "apns", "app": "shop-ios", "tokens": ["zz"],
                                                  "payload": {"aps": {}}}]})
    d.reload(cfg)  # a reload logs too
    assert wait_until(lambda: "reloaded" in d.logs(), timeout=10)
    assert d.terminate() == 0
    secrets = [open(rig.apns_key).read(), json.load(open(rig.sa))["private_key"]]
    return d.logs(), toks + fcm_toks, secrets


def test_logs_hold_no_key_material_and_no_full_token(frig):
    logs, toks, keys = secret_traffic(frig, "text")
    assert logs.strip() != ""
    assert all(line.startswith("<") for line in logs.splitlines()), "text lines keep the syslog prefix"
    assert_no_secrets(logs, toks, keys)


def test_json_logs_parse_line_by_line_and_hold_no_secret(frig):
    logs, toks, keys = secret_traffic(frig, "json")
    lines = logs.splitlines()
    assert len(lines) >= 5
    components, levels = set(), set()
    for line in lines:
        obj = json.loads(line)  # every line is one JSON object
        assert set(obj) == {"time", "level", "component", "message", "fields"}, line
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", obj["time"]), line
        assert obj["level"] in ("debug", "info", "warn", "error"), line
        assert isinstance(obj["fields"], dict) and isinstance(obj["message"], str), line
        components.add(obj["component"])
        levels.add(obj["level"])
    assert {"daemon", "ingest", "pool/shop-ios", "pool/shop-android", "oauth"} <= components, components
    assert "debug" in levels and "info" in levels
    assert any("draining" in json.loads(l)["message"] for l in lines)
    assert any("reloaded" in json.loads(l)["message"] for l in lines)
    # The same secrecy rules: on the raw text and on every decoded message.
    assert_no_secrets(logs, toks, keys)
    assert_no_secrets("\n".join(json.loads(l)["message"] for l in lines), toks, keys)
