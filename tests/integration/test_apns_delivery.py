"""APNs end to end: pushgwd -> pushgw-sim over HTTP/2 + TLS, through the socket."""
from harness import apns_token, wait_until


def send_req(tokens, wait=True, **kw):
    n = {"platform": "apns", "app": kw.pop("app", "shop-ios"), "tokens": tokens,
         "payload": kw.pop("payload", {"aps": {"alert": {"title": "Hi", "body": "20% off"}}})}
    n.update(kw)
    return {"op": "send", "wait": wait, "campaign": "spring-sale", "notifications": [n]}


def test_thousand_tokens_each_delivered_exactly_once(rig):
    d = rig.daemon()
    tokens = [apns_token(i) for i in range(1000)]
    resp = d.request(send_req(tokens, push_type="alert", priority=10, collapse_id="sale"))
    assert resp["ok"] is True
    assert resp["accepted"] == 1000
    assert resp["rejected"] == []
    assert len(resp["results"]) == 1000
    assert all(r["status"] == "delivered" and r["http_status"] == 200 for r in resp["results"])
    assert all(len(r["apns_id"]) == 36 for r in resp["results"])
    assert sorted(r["token"] for r in resp["results"]) == sorted(tokens)
    seen = rig.sim.tokens("apns")
    assert set(seen) == set(tokens)
    assert all(c == 1 for c in seen.values())
    st = rig.sim.stats()["apns"]
    assert st["duplicate_delivered"] == 0
    stats = d.request({"op": "stats"})
    assert stats["platforms"]["apns"]["accepted"] == 1000
    assert stats["platforms"]["apns"]["delivered"] == 1000
    # One provider token signature verified for the whole run, not one per request.
    assert rig.sim.stats()["apns"]["jwt_verifications"] <= 2


def test_wait_false_answers_at_once_and_delivers(rig):
    d = rig.daemon()
    tokens = [apns_token(i) for i in range(50)]
    resp = d.request(send_req(tokens, wait=False))
    assert resp == {"id": resp["id"], "ok": True, "accepted": 50, "rejected": []}
    assert wait_until(lambda: d.request({"op": "stats"})["platforms"]["apns"]["delivered"] == 50)
    assert len(rig.sim.tokens("apns")) == 50


def test_mixed_good_and_bad_recipients(rig):
    d = rig.daemon()
    good = [apns_token(i) for i in range(3)]
    req = {"op": "send", "id": "b-17", "wait": True, "notifications": [
        {"platform": "apns", "app": "shop-ios", "tokens": [good[0], "zz", {"token": good[1], "vars": {"name": "Aiko"}}],
         "payload": {"aps": {"alert": {"title": "Hi {{name|there}}", "body": "x"}}}},
        {"platform": "apns", "app": "no-such-app", "tokens": [good[2]], "payload": {"aps": {}}},
        {"platform": "pager", "app": "x", "tokens": [good[2]], "payload": {}},
        {"platform": "apns", "app": "shop-ios", "tokens": [good[2]],
         "payload": {"aps": {"alert": "x" * 5000}}},
    ]}
    resp = d.request(req)
    assert resp["id"] == "b-17" and resp["ok"] is True
    assert resp["accepted"] == 2
    errs = {(r["n"], r["error"]) for r in resp["rejected"]}
    assert (0, "bad_token") in errs
    assert (1, "unknown_app") in errs
    assert (2, "unknown_platform") in errs
    assert (3, "payload_too_large") in errs
    assert [r for r in resp["rejected"] if r["n"] == 0][0]["token"] == "zz"
    assert sorted(r["token"] for r in resp["results"]) == sorted(good[:2])
    assert all(r["status"] == "delivered" for r in resp["results"])


def test_unregistered_and_bad_device_token_verdicts(rig):
    d = rig.daemon()
    dead = apns_token(1, "410")
    bad = apns_token(2, "4000")
    wrong_topic = apns_token(3, "4001")
    ok = apns_token(4)
    resp = d.request(send_req([dead, bad, wrong_topic, ok]))
    by = {r["token"]: r for r in resp["results"]}
    assert by[dead]["status"] == "unsubscribed" and by[dead]["http_status"] == 410
    assert by[dead]["reason"] == "Unregistered"
    assert by[bad]["status"] == "invalid" and by[bad]["reason"] == "BadDeviceToken"
    assert by[wrong_topic]["status"] == "invalid" and by[wrong_topic]["reason"] == "DeviceTokenNotForTopic"
    assert by[ok]["status"] == "delivered"


def test_retryable_answers_are_retried_then_delivered(rig):
    d = rig.daemon()
    flaky = apns_token(1, "5032")     # 503 twice, then 200
    limited = apns_token(2, "4291")   # 429 Retry-After: 1 once, then 200
    resp = d.request(send_req([flaky, limited]))
    by = {r["token"]: r for r in resp["results"]}
    assert by[flaky]["status"] == "delivered"
    assert by[limited]["status"] == "delivered"
    stats = d.request({"op": "stats"})
    assert stats["platforms"]["apns"]["retried"] >= 3
    assert rig.sim.tokens("apns")[flaky] == 1


def test_permanent_server_error_fails_after_attempts(rig):
    d = rig.daemon()
    broken = apns_token(1, "5000")  # always 500
    resp = d.request(send_req([broken]))
    r = resp["results"][0]
    assert r["status"] == "failed"
    assert r["reason"] == "InternalServerError"


def test_expired_provider_token_resigns_and_retries(rig):
    d = rig.daemon()
    tok = apns_token(1, "e0e0")  # 403 ExpiredProviderToken once
    resp = d.request(send_req([tok]))
    assert resp["results"][0]["status"] == "delivered"
