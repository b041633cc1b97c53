"""FCM HTTP v1 end to end: OAuth2 service-account flow against the sim's
/token, messages:send over HTTP/2, Google's error table, topic sends."""
import os

import pytest

from harness import FcmRig, wait_until


@pytest.fixture
def frig():
    r = FcmRig()
    yield r
    r.close()


def send(d, tokens=None, message=None, **kw):
    n = {"platform": "fcm", "app": "shop-android",
         "message": message or {"notification": {"title": "Hi", "body": "20% off"}, "data": {"sku": "123"}}}
    if tokens is not None:
        n["tokens"] = tokens
    n.update(kw)
    return d.request({"op": "send", "wait": True, "campaign": "c1", "notifications": [n]})


def test_thousand_sends_one_token_fetch(frig):
    d = frig.daemon(frig.config(apps=frig.fcm_section()))
    tokens = ["tok-%04d-" % i + "x" * 140 for i in range(1000)]
    r = send(d, tokens)
    assert r["accepted"] == 1000
    assert all(x["status"] == "delivered" for x in r["results"]), r["results"][:3]
    assert all(x["message_id"].startswith("projects/demo-project/messages/") for x in r["results"])
    st = frig.sim.stats()["fcm"]
    assert st["token_requests"] == 1
    assert st["delivered"] == 1000 and st["duplicate_delivered"] == 0


def test_verdicts_and_suppression(frig):
    d = frig.daemon(frig.config(apps=frig.fcm_section()))
    unreg = "unregistered-" + "a" * 100
    invalid = "invalid-" + "b" * 100
    mismatch = "mismatch-" + "c" * 100
    badpayload = "badpayload-" + "d" * 100
    thirdparty = "thirdparty-" + "e" * 100
    ok = "good-" + "f" * 100
    r = send(d, [unreg, invalid, mismatch, badpayload, thirdparty, ok])
    by = {x["token"]: x for x in r["results"]}
    assert by[unreg]["status"] == "unsubscribed" and by[unreg]["reason"] == "UNREGISTERED"
    assert by[invalid]["status"] == "invalid"
    assert by[mismatch]["status"] == "invalid" and by[mismatch]["reason"] == "SENDER_ID_MISMATCH"
    assert by[badpayload]["status"] == "failed" and by[badpayload]["reason"].startswith("INVALID_ARGUMENT")
    assert by[thirdparty]["status"] == "failed" and by[thirdparty]["reason"] == "THIRD_PARTY_AUTH_ERROR"
    assert by[ok]["status"] == "delivered"
    before = frig.sim.stats()["fcm"]["requests"]
    r2 = send(d, [unreg, invalid, mismatch])
    assert all(x["status"] == "suppressed" for x in r2["results"])
    assert frig.sim.stats()["fcm"]["requests"] == before
    ev = d.request({"op": "feedback", "since": 0})["events"]
    assert {e["token"]: e["kind"] for e in ev} == {unreg: "unsubscribed", invalid: "invalid", mismatch: "invalid"}


def test_retryable_errors_then_delivered(frig):
    d = frig.daemon(frig.config(apps=frig.fcm_section()))
    r = send(d, ["unavailable-" + "a" * 50, "internal-" + "b" * 50, "quota-" + "c" * 50])
    assert all(x["status"] == "delivered" for x in r["results"]), r["results"]
    assert d.request({"op": "stats"})["platforms"]["fcm"]["retried"] >= 3


def test_token_expiry_leads_to_exactly_one_refresh(frig):
    d = frig.daemon(frig.config(apps=frig.fcm_section()))
    send(d, ["first-" + "a" * 50])
    assert frig.sim.stats()["fcm"]["token_requests"] == 1
    frig.sim.admin("/expire-fcm-tokens", "")
    # The next sends hit 401, refresh once, and retry.
    r = send(d, ["after-%d-" % i + "b" * 50 for i in range(50)])
    assert all(x["status"] == "delivered" for x in r["results"]), r["results"][:3]
    assert frig.sim.stats()["fcm"]["token_requests"] == 2


def test_topic_and_condition_sends(frig):
    d = frig.daemon(frig.config(apps=frig.fcm_section()))
    r = d.request({"op": "send", "wait": True, "notifications": [
        {"platform": "fcm", "app": "shop-android", "topic": "news", "message": {"notification": {"title": "t"}}},
        {"platform": "fcm", "app": "shop-android", "condition": "'a' in topics && 'b' in topics",
         "message": {"data": {"k": "v"}}}]})
    assert r["accepted"] == 2
    assert [x["status"] for x in r["results"]] == ["delivered", "delivered"]


def test_message_with_target_or_too_big_is_rejected(frig):
    d = frig.daemon(frig.config(apps=frig.fcm_section()))
    r = d.request({"op": "send", "notifications": [
        {"platform": "fcm", "app": "shop-android", "tokens": ["t" * 20], "message": {"token": "x", "data": {}}},
        {"platform": "fcm", "app": "shop-android", "tokens": ["t" * 20], "message": {"data": {"big": "x" * 5000}}}]})
    errs = sorted((x["n"], x["error"]) for x in r["rejected"])
    assert errs == [(0, "bad_request"), (1, "payload_too_large")]
    assert r["accepted"] == 0


def test_personalized_message(frig):
    d = frig.daemon(frig.config(apps=frig.fcm_section()))
    r = send(d, [{"token": "p-" + "a" * 40, "vars": {"name": "Aiko \"the\" <b>"}}],
             message={"notification": {"title": "Hi {{name}}", "body": "x"}})
    assert r["results"][0]["status"] == "delivered"


def test_sends_during_a_token_outage_wait_and_are_delivered_once_it_ends(frig):
    """pushgwd starts while the OAuth token endpoint answers 503: FCM sends
    are accepted and wait for the credential (parked, no attempt used) while
    the refresher backs off and retries; once the endpoint is back, the new
    token sends every recipient, each exactly once."""
    frig.sim.admin("/faults", "token_unavailable\n")
    d = frig.daemon(frig.config(apps=frig.fcm_section()))
    tokens = ["outage-%04d-" % i + "x" * 100 for i in range(2000)]
    r = d.request({"op": "send", "wait": False, "notifications": [
        {"platform": "fcm", "app": "shop-android", "tokens": tokens,
         "message": {"notification": {"title": "Hi", "body": "back soon"}}}]})
    assert r["accepted"] == 2000, r
    assert wait_until(lambda: frig.sim.stats()["unavailable_answers"] >= 2)  # the refresher tried again
    assert frig.sim.stats()["fcm"]["requests"] == 0, "nothing is sent without a token"
    assert d.request({"op": "stats"})["platforms"]["fcm"]["failed"] == 0
    frig.sim.admin("/faults", "")
    assert wait_until(lambda: frig.sim.stats()["fcm"]["delivered"] == 2000, timeout=90)
    st = frig.sim.stats()["fcm"]
    assert st["duplicate_delivered"] == 0
    fcm = d.request({"op": "stats"})["platforms"]["fcm"]
    assert fcm["delivered"] == 2000 and fcm["failed"] == 0, fcm
