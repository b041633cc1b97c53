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
