"""The suspect-app guard (issue 16, "never prune good tokens because of a
config mistake"): an app section with a wrong topic makes the provider answer
DeviceTokenNotForTopic for every token. Those answers must not mark the
whole token base invalid: no feedback event, no suppression. Once the topic
is fixed and reloaded the same tokens are delivered. A few such answers in
ordinary traffic are still applied as before.

The sim's --apns-topic makes every device belong to com.example.shop: any
other topic gets 400 DeviceTokenNotForTopic, whatever the token."""
import urllib.request

from harness import Rig, apns_token, free_port, send_apns, statuses, wait_until

TOPIC = "com.example.shop"


def feedback(d):
    return d.request({"op": "feedback", "since": 0, "limit": 10000})["events"]


def metric(port, name):
    body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10).read().decode()
    return {line.split()[0]: float(line.split()[1]) for line in body.splitlines()
            if line.startswith(name + "{")}


def rig_and_config(topic):
    rig = Rig(sim_args=["--apns-topic", TOPIC])
    port = free_port()
    cfg = lambda t: rig.config(apps=rig.apns_section(topic=t), metrics="127.0.0.1:%d" % port)  # noqa: E731
    return rig, port, cfg


def test_wrong_topic_prunes_nothing_and_the_fixed_app_delivers_the_same_tokens():
    rig, port, cfg = rig_and_config("com.example.wrong")
    try:
        d = rig.daemon(cfg("com.example.wrong"))
        tokens = [apns_token(i, "5a5a") for i in range(200)]
        resp = send_apns(d, tokens)
        assert statuses(resp) == {"failed:suspect_config": 200}, statuses(resp)
        assert all(r.get("provider_reason") == "DeviceTokenNotForTopic" and r.get("http_status") == 400
                   for r in resp["results"])
        assert rig.sim.stats()["apns"]["wrong_topic"] == 200   # the provider really refused every one
        # Not applied: no feedback event, no token state, no suppression.
        assert feedback(d) == []
        for t in tokens[:5]:
            assert d.request({"op": "token", "platform": "apns", "app": "shop-ios", "token": t})["state"] != "invalid"
        stats = d.request({"op": "stats"})
        assert stats["platforms"]["apns"]["invalid"] == 0
        assert [(s["platform"], s["app"], s["reason"]) for s in stats["suspect"]] == \
            [("apns", "shop-ios", "DeviceTokenNotForTopic")]
        assert stats["suspect"][0]["since"].endswith("Z")
        assert metric(port, "pushgw_app_suspect") == {'pushgw_app_suspect{platform="apns",app="shop-ios"}': 1.0}
        logs = d.logs()
        assert "shop-ios is suspect" in logs and "topic" in logs, logs
        # While suspect, more of the same are not applied either.
        again = send_apns(d, tokens[:20])
        assert statuses(again) == {"failed:suspect_config": 20}
        assert feedback(d) == []

        # The operator fixes the topic and reloads: the app is no longer
        # suspect and the very same tokens are delivered, none suppressed.
        d.reload(cfg(TOPIC))
        assert wait_until(lambda: "changed apns app 'shop-ios'" in d.logs(), timeout=20)
        stats = d.request({"op": "stats"})
        assert stats["suspect"] == []
        assert metric(port, "pushgw_app_suspect") == {'pushgw_app_suspect{platform="apns",app="shop-ios"}': 0.0}
        resp = send_apns(d, tokens)
        assert statuses(resp) == {"delivered": 200}, statuses(resp)
        seen = rig.sim.tokens("apns")
        assert all(seen.get(t) == 1 for t in tokens)
        assert feedback(d) == []
    finally:
        rig.close()


def test_a_few_bad_tokens_in_ordinary_traffic_are_pruned_as_before():
    rig, port, cfg = rig_and_config(TOPIC)
    try:
        d = rig.daemon(cfg(TOPIC))
        good = [apns_token(i, "600d") for i in range(497)]
        bad = [apns_token(i, "4001") for i in range(3)]   # the sim answers DeviceTokenNotForTopic for these
        resp = send_apns(d, good[:250] + bad + good[250:])
        assert statuses(resp) == {"delivered": 497, "invalid": 3}, statuses(resp)
        invalid = [r["token"] for r in resp["results"] if r["status"] == "invalid"]
        assert sorted(invalid) == sorted(bad)
        assert all(r["reason"] == "DeviceTokenNotForTopic" and "provider_reason" not in r
                   for r in resp["results"] if r["status"] == "invalid")
        # Applied: each got a feedback event (the answer came after the hold,
        # so it was already durable) and is suppressed from now on.
        events = feedback(d)
        assert sorted(e["token"] for e in events) == sorted(bad)
        assert all(e["kind"] == "invalid" for e in events)
        resp = send_apns(d, bad)
        assert statuses(resp) == {"suppressed": 3}
        stats = d.request({"op": "stats"})
        assert stats["suspect"] == []
        assert metric(port, "pushgw_app_suspect") == {'pushgw_app_suspect{platform="apns",app="shop-ios"}': 0.0}
    finally:
        rig.close()
