"""Campaign policy through the socket: notification classes, marketing
frequency caps (durable across restarts), cap override, expiry status."""
import time

from harness import apns_token

POLICY = """
[policy]
marketing_per_hour = %d
marketing_per_day = %d
allow_cap_override = %s
"""


def policy_config(rig, per_hour=2, per_day=0, allow_override=False):
    return rig.config(extra=POLICY % (per_hour, per_day, "true" if allow_override else "false"))


def send(d, tokens, cls=None, campaign="spring-sale", request_extra=None, **kw):
    n = {"platform": "apns", "app": "shop-ios", "tokens": tokens, "payload": {"aps": {"alert": "hi"}}}
    if cls is not None:
        n["class"] = cls
    n.update(kw)
    req = {"op": "send", "wait": True, "campaign": campaign, "notifications": [n]}
    req.update(request_extra or {})
    return d.request(req)


def statuses(resp):
    return [r["status"] for r in resp["results"]]


def test_marketing_cap_per_hour_and_no_request_when_capped(rig):
    d = rig.daemon(policy_config(rig, per_hour=2))
    tok, other = apns_token(1), apns_token(2)
    assert statuses(send(d, [tok], "marketing")) == ["delivered"]
    assert statuses(send(d, [tok], "marketing")) == ["delivered"]
    before = rig.sim.stats()["requests"]
    r = send(d, [tok, other], "marketing")
    assert statuses(r) == ["capped", "delivered"]
    assert r["results"][0]["reason"] == "capped"
    # Only `other` reached the provider.
    assert rig.sim.stats()["requests"] == before + 1
    st = d.request({"op": "stats"})["platforms"]["apns"]
    assert st["capped"] == 1


def test_transactional_is_never_capped(rig):
    d = rig.daemon(policy_config(rig, per_hour=1, per_day=1))
    tok = apns_token(3)
    assert statuses(send(d, [tok], "marketing")) == ["delivered"]
    # Default class and explicit transactional: never capped, and they do not count.
    for _ in range(3):
        assert statuses(send(d, [tok])) == ["delivered"]
        assert statuses(send(d, [tok], "transactional")) == ["delivered"]
    assert statuses(send(d, [tok], "marketing")) == ["capped"]


def test_cap_holds_across_restart(rig):
    cfg = policy_config(rig, per_hour=0, per_day=2)
    d = rig.daemon(cfg)
    tok = apns_token(4)
    assert statuses(send(d, [tok, tok], "marketing")) == ["delivered", "delivered"]
    assert d.terminate() == 0
    d2 = rig.daemon(cfg)
    before = rig.sim.stats()["requests"]
    assert statuses(send(d2, [tok], "marketing")) == ["capped"]
    assert rig.sim.stats()["requests"] == before
    # A different recipient is unaffected after the restart.
    assert statuses(send(d2, [apns_token(5)], "marketing")) == ["delivered"]


def test_cap_override_only_when_allowed(rig):
    d = rig.daemon(policy_config(rig, per_hour=1, allow_override=False))
    tok = apns_token(6)
    assert statuses(send(d, [tok], "marketing")) == ["delivered"]
    assert statuses(send(d, [tok], "marketing", request_extra={"cap": False})) == ["capped"]
    assert d.terminate() == 0
    d2 = rig.daemon(policy_config(rig, per_hour=1, allow_override=True))
    assert statuses(send(d2, [tok], "marketing", request_extra={"cap": False})) == ["delivered"]
    assert statuses(send(d2, [tok], "marketing")) == ["capped"]


def test_bad_class_and_cap_are_rejected(rig):
    d = rig.daemon(policy_config(rig))
    r = send(d, [apns_token(7)], "promo")
    assert r["accepted"] == 0 and r["rejected"][0]["error"] == "bad_request"
    r = d.request({"op": "send", "cap": "no", "notifications": []})
    assert r["ok"] is False and r["error"] == "bad_request"
    # Malformed scheduling fields reject the notification: never sent at the wrong time.
    before = rig.sim.stats()["requests"]
    r = send(d, [apns_token(7)], "marketing", send_at="tomorrow", schedule_key="cart-1")
    assert r["accepted"] == 0 and r["rejected"][0]["error"] == "bad_request"
    assert rig.sim.stats()["requests"] == before


def test_expired_notification_is_expired_and_never_sent(rig):
    d = rig.daemon(policy_config(rig))
    before = rig.sim.stats()["requests"]
    r = send(d, [apns_token(8), apns_token(9)], "marketing", expires_at=int(time.time()) - 5)
    assert statuses(r) == ["expired", "expired"]
    assert all(x["reason"] == "expired" for x in r["results"])
    assert rig.sim.stats()["requests"] == before
    # Expired marketing sends do not use up the cap.
    assert statuses(send(d, [apns_token(8)], "marketing")) == ["delivered"]
    assert d.request({"op": "stats"})["platforms"]["apns"]["expired"] == 2


def test_campaign_report_counts_and_rates(rig):
    cfg = policy_config(rig, per_hour=1)
    d = rig.daemon(cfg)
    good = [apns_token(20 + i) for i in range(4)]
    dead, bad = apns_token(30, "410"), apns_token(31, "4000")
    r = send(d, good + [dead, bad], "marketing", campaign="spring-sale")
    assert sorted(statuses(r)) == sorted(["delivered"] * 4 + ["unsubscribed", "invalid"])
    # Capped (second marketing send within the hour) and suppressed (known dead).
    assert statuses(send(d, [good[0], dead], "marketing", campaign="spring-sale")) == ["capped", "suppressed"]
    # Expired before it was sent.
    assert statuses(send(d, [good[1]], campaign="spring-sale", expires_at=1)) == ["expired"]
    # Another campaign's outcomes do not leak into this one.
    send(d, [apns_token(40)], campaign="other")
    ev = {"campaign": "spring-sale", "platform": "apns", "app": "shop-ios"}
    r = d.request({"op": "event", "events": [dict(ev, token=good[0], kind="open"),
                                             dict(ev, token=good[1], kind="open", at="2026-11-22T10:00:00Z"),
                                             dict(ev, token=good[0], kind="click", at=1795000000)]})
    assert r["ok"] is True and r["recorded"] == 3
    r = d.request(dict(ev, op="event", token=good[2], kind="open"))
    assert r["ok"] is True and r["recorded"] == 1
    assert d.request(dict(ev, op="event", token=good[2], kind="click"))["recorded"] == 1
    assert d.request(dict(ev, op="event", token=good[2], kind="conversion"))["recorded"] == 1
    bad_ev = d.request(dict(ev, op="event", token=good[2], kind="like"))
    assert bad_ev["ok"] is False and bad_ev["error"] == "bad_request"

    def check(rep):
        assert rep["ok"] is True and rep["found"] is True and rep["campaign"] == "spring-sale"
        expect = {"sent": 6, "delivered": 4, "failed": 0, "invalid": 1, "unsubscribed": 1, "suppressed": 1,
                  "capped": 1, "expired": 1, "opened": 3, "clicked": 2, "converted": 1}
        assert {k: rep[k] for k in expect} == expect
        assert abs(rep["delivery_rate"] - 4 / 6) < 1e-9
        assert rep["open_rate"] == 0.75 and rep["ctr"] == 0.5 and rep["conversion_rate"] == 0.25
        assert abs(rep["unsubscribe_rate"] - 1 / 6) < 1e-9

    check(d.request({"op": "campaign", "campaign": "spring-sale"}))
    # Durable: the same report after a restart.
    assert d.terminate() == 0
    d2 = rig.daemon(cfg)
    check(d2.request({"op": "campaign", "campaign": "spring-sale"}))
    none = d2.request({"op": "campaign", "campaign": "nope"})
    assert none["ok"] is True and none["found"] is False and none["sent"] == 0 and none["open_rate"] == 0


def test_pushgwctl_event_and_campaign(rig):
    import json
    import subprocess
    from harness import binpath
    d = rig.daemon(policy_config(rig))
    toks = [apns_token(50 + i) for i in range(3)]
    tok = toks[0]
    send(d, toks, campaign="ctl-camp")
    base = [binpath("pushgwctl"), "--socket", d.socket]
    for kind in ("open", "click"):
        out = subprocess.run(base + ["event", "--campaign", "ctl-camp", "--platform", "apns", "--app", "shop-ios",
                                     "--token", tok, "--kind", kind, "--at", "1795000000"],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        assert "recorded:" in out.stdout
    out = subprocess.run(base + ["campaign", "ctl-camp"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    rows = dict(line.split(None, 1) for line in out.stdout.strip().splitlines())
    assert rows["sent:"].strip() == "3" and rows["delivered:"].strip() == "3"
    assert rows["opened:"].strip() == "1" and rows["clicked:"].strip() == "1"
    # Rates read as percentages with one decimal ...
    assert rows["ctr:"].strip() == "33.3%", out.stdout
    assert rows["open_rate:"].strip() == "33.3%"
    assert rows["delivery_rate:"].strip() == "100.0%"
    assert rows["unsubscribe_rate:"].strip() == "0.0%"
    # ... and --json keeps the daemon's full precision.
    js = subprocess.run(base + ["--json", "campaign", "ctl-camp"], capture_output=True, text=True, timeout=30)
    assert js.returncode == 0, js.stderr
    report = json.loads(js.stdout)
    assert abs(report["ctr"] - 1 / 3) < 1e-12 and report["delivery_rate"] == 1
    bad = subprocess.run(base + ["event", "--campaign", "x", "--platform", "apns", "--app", "shop-ios",
                                 "--token", tok, "--kind", "like"], capture_output=True, text=True, timeout=30)
    assert bad.returncode == 1
