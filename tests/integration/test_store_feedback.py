"""Token store through the socket: feedback change-feed, suppression, token and
forget ops, persistence across restarts and kill -9."""
import os
import signal
import subprocess
import time

from harness import apns_token, free_port, metric, wait_until


def send(d, tokens, campaign="spring-sale", **kw):
    n = {"platform": "apns", "app": "shop-ios", "tokens": tokens, "payload": {"aps": {"alert": "hi"}}}
    n.update(kw)
    return d.request({"op": "send", "wait": True, "campaign": campaign, "notifications": [n]})


def test_events_kinds_campaign_and_paging(rig):
    d = rig.daemon()
    dead = [apns_token(i, "410") for i in range(3)]
    bad = [apns_token(10 + i, "4000") for i in range(2)]
    send(d, dead + bad + [apns_token(99)])
    fb = d.request({"op": "feedback", "since": 0, "limit": 1000})
    assert fb["ok"] is True
    ev = fb["events"]
    assert len(ev) == 5
    assert [e["seq"] for e in ev] == sorted(e["seq"] for e in ev)
    assert len({e["seq"] for e in ev}) == 5
    kinds = {e["token"]: e["kind"] for e in ev}
    assert all(kinds[t] == "unsubscribed" for t in dead)
    assert all(kinds[t] == "invalid" for t in bad)
    assert all(e["campaign"] == "spring-sale" and e["platform"] == "apns" and e["app"] == "shop-ios" for e in ev)
    assert fb["next"] == ev[-1]["seq"] + 1
    # Paging: two at a time reproduces the same feed.
    got, since = [], 0
    while True:
        page = d.request({"op": "feedback", "since": since, "limit": 2})
        got += page["events"]
        if not page["events"]:
            assert page["next"] == since
            break
        since = page["next"]
    assert [e["seq"] for e in got] == [e["seq"] for e in ev]
    # Sending to them again: suppressed, and the sim sees no new request.
    before = rig.sim.stats()["requests"]
    r = send(d, dead + bad)
    assert all(x["status"] == "suppressed" for x in r["results"])
    assert rig.sim.stats()["requests"] == before
    st = d.request({"op": "stats"})["platforms"]["apns"]
    assert st["suppressed"] == 5


def test_token_state_and_forget(rig):
    d = rig.daemon()
    dead = apns_token(1, "410")
    good = apns_token(2)
    send(d, [dead, good])
    t = d.request({"op": "token", "platform": "apns", "app": "shop-ios", "token": dead})
    assert t["ok"] and t["state"] == "unsubscribed" and t["reason"] == "Unregistered"
    assert t["sent"] >= 1
    g = d.request({"op": "token", "platform": "apns", "app": "shop-ios", "token": good})
    assert g["state"] == "active" and g["delivered"] == 1
    u = d.request({"op": "token", "platform": "apns", "app": "shop-ios", "token": apns_token(3)})
    assert u["state"] == "unknown"
    f = d.request({"op": "forget", "platform": "apns", "app": "shop-ios", "token": dead})
    assert f["ok"] is True
    assert d.request({"op": "token", "platform": "apns", "app": "shop-ios", "token": dead})["state"] == "unknown"
    # No longer suppressed: it goes to the sim again (which says 410 again).
    r = send(d, [dead])
    assert r["results"][0]["status"] == "unsubscribed"
    # Past events are kept; the new transition adds one.
    ev = d.request({"op": "feedback", "since": 0})["events"]
    assert len([e for e in ev if e["token"] == dead]) == 2


def test_registered_at_later_than_410_lifts_suppression(rig):
    d = rig.daemon()
    dead = apns_token(1, "410")
    send(d, [dead])
    r = send(d, [{"token": dead, "registered_at": "2000-01-01T00:00:00Z"}])
    assert r["results"][0]["status"] == "suppressed"
    future = int(time.time()) + 3600
    r = send(d, [{"token": dead, "registered_at": future}])
    assert r["results"][0]["status"] in ("unsubscribed", "delivered")
    assert r["results"][0]["status"] != "suppressed"


def test_restart_keeps_events_and_states(rig):
    d = rig.daemon()
    dead = apns_token(1, "410")
    send(d, [dead])
    assert d.terminate() == 0
    d2 = rig.daemon(name="pushgwd")
    ev = d2.request({"op": "feedback", "since": 0})["events"]
    assert [e["token"] for e in ev] == [dead]
    r = send(d2, [dead])
    assert r["results"][0]["status"] == "suppressed"


def test_kill9_keeps_every_reported_verdict(rig):
    d = rig.daemon()
    dead = [apns_token(i, "410") for i in range(200)]
    r = send(d, dead)
    assert all(x["status"] == "unsubscribed" for x in r["results"])
    d.kill9()  # right after the response: verdicts must already be durable
    d2 = rig.daemon(name="pushgwd")
    ev = d2.request({"op": "feedback", "since": 0, "limit": 1000})["events"]
    assert {e["token"] for e in ev} == set(dead)


def test_kill9_in_the_middle_of_a_100k_load(rig):
    import threading
    d = rig.daemon()
    stop = threading.Event()

    def background():
        c = d.client()
        try:
            for b in range(100):
                if stop.is_set():
                    break
                c.request({"op": "send", "notifications": [{"platform": "apns", "app": "shop-ios",
                          "tokens": [apns_token(100000 + b * 1000 + i) for i in range(1000)],
                          "payload": {"aps": {}}}]})
        except (OSError, ConnectionError, ValueError):
            pass  # the daemon was killed under us
    t = threading.Thread(target=background)
    t.start()
    reported = set()
    c = d.client()
    for b in range(1000):
        dead = [apns_token(b * 20 + i, "410") for i in range(20)]
        r = c.request({"op": "send", "wait": True, "notifications": [
            {"platform": "apns", "app": "shop-ios", "tokens": dead, "payload": {"aps": {}}}]})
        reported |= {x["token"] for x in r["results"] if x["status"] == "unsubscribed"}
        if len(reported) >= 200 and d.request({"op": "stats"})["platforms"]["apns"]["delivered"] > 5000:
            break
    d.kill9()  # mid-load: background sends still queued and in flight
    stop.set()
    t.join()
    assert len(reported) >= 200
    d2 = rig.daemon(name="pushgwd")  # the store opens cleanly
    got, since = set(), 0
    while True:
        page = d2.request({"op": "feedback", "since": since, "limit": 1000})
        got |= {e["token"] for e in page["events"]}
        if not page["events"]:
            break
        since = page["next"]
    assert reported <= got
    assert d2.request({"op": "stats"})["ok"] is True


def test_stats_and_metrics_show_the_send_tally(rig):
    """stats.store.send_flushes / pending_send_tokens and their metrics: the
    tokens whose send counts wait in memory, then the flushes that wrote them."""
    port = free_port()
    base = rig.config(metrics="127.0.0.1:%d" % port)
    # send_flush_ms = 60 s: nothing is flushed while the daemon runs.
    d = rig.daemon(config_text=base.replace("[store]\n", "[store]\nsend_flush_ms = 60000\n", 1))
    send(d, [apns_token(i, "7a11") for i in range(3)])
    # The gauge follows the store thread's pass after the answer.
    assert wait_until(lambda: d.request({"op": "stats"})["store"]["pending_send_tokens"] == 3, timeout=30)
    assert d.request({"op": "stats"})["store"]["send_flushes"] == 0
    assert metric(port, "pushgw_store_pending_send_tokens") == 3
    assert metric(port, "pushgw_store_send_flushes_total") == 0
    assert d.terminate() == 0
    # send_flush_ms = 50: the tally empties into the store within moments.
    d2 = rig.daemon(config_text=base.replace("[store]\n", "[store]\nsend_flush_ms = 50\n", 1), name="pushgwd")
    send(d2, [apns_token(i, "7a11") for i in range(2)])

    def flushed():
        s = d2.request({"op": "stats"})["store"]
        return s["send_flushes"] >= 1 and s["pending_send_tokens"] == 0
    assert wait_until(flushed, timeout=60)
    assert metric(port, "pushgw_store_send_flushes_total") >= 1
    assert metric(port, "pushgw_store_pending_send_tokens") == 0
    q = {"op": "token", "platform": "apns", "app": "shop-ios", "token": apns_token(0, "7a11")}
    assert d2.request(q)["sent"] == 2


def test_token_counts_are_current_at_once_and_survive_a_clean_restart(rig):
    # send_flush_ms = 60 s: the counters reach the file only when the daemon
    # stops, so what `token` shows before comes from memory and what it shows
    # after the restart proves the stop wrote them.
    cfg = rig.config().replace("[store]\n", "[store]\nsend_flush_ms = 60000\n", 1)
    d = rig.daemon(config_text=cfg)
    good, dead = apns_token(2), apns_token(1, "410")
    send(d, [good], campaign="first")
    send(d, [good, dead], campaign="second")
    q = {"op": "token", "platform": "apns", "app": "shop-ios"}
    g = d.request(dict(q, token=good))
    assert g["ok"] and g["state"] == "active"
    assert g["sent"] == 2 and g["delivered"] == 2
    t = d.request(dict(q, token=dead))
    assert t["state"] == "unsubscribed" and t["sent"] == 1 and t["delivered"] == 0
    assert d.terminate() == 0
    d2 = rig.daemon(config_text=cfg, name="pushgwd")
    g2 = d2.request(dict(q, token=good))
    assert g2["state"] == "active" and g2["sent"] == 2 and g2["delivered"] == 2
    assert d2.request(dict(q, token=dead))["sent"] == 1
    # Counted on top of what the file holds.
    send(d2, [good], campaign="third")
    assert d2.request(dict(q, token=good))["sent"] == 3


def test_send_counts_in_the_send_log_survive_kill9_and_reach_the_rows(rig):
    """Flushed send counts are in the send log (SQLite) until the store is
    idle; a kill -9 loses none of them, and the next start writes them into
    the token rows."""
    port = free_port()
    cfg = rig.config(metrics="127.0.0.1:%d" % port).replace("[store]\n", "[store]\nsend_flush_ms = 50\n", 1)
    d = rig.daemon(config_text=cfg)
    tokens = [apns_token(i, "5e11") for i in range(40)]
    send(d, tokens, campaign="first")
    send(d, tokens[:10], campaign="second")
    # Flushed: nothing pending in memory. (The log may already be compacted:
    # either way the counts are on disk.)
    def flushed():
        s = d.request({"op": "stats"})["store"]
        return s["pending_send_tokens"] == 0 and s["send_log_tokens"] + s["tokens"] >= 40
    assert wait_until(flushed, timeout=30)
    assert metric(port, "pushgw_store_send_log_tokens") is not None
    d.kill9()
    d2 = rig.daemon(config_text=cfg, name="pushgwd")
    q = {"op": "token", "platform": "apns", "app": "shop-ios"}
    t0 = d2.request(dict(q, token=tokens[0]))
    assert t0["state"] == "active" and t0["sent"] == 2 and t0["delivered"] == 2
    t30 = d2.request(dict(q, token=tokens[30]))
    assert t30["sent"] == 1 and t30["delivered"] == 1
    # Idle: the log reaches the rows (stats.store.tokens counts rows).
    assert wait_until(lambda: d2.request({"op": "stats"})["store"]["tokens"] == 40, timeout=30)
    assert d2.request({"op": "stats"})["store"]["send_log_tokens"] == 0
    assert metric(port, "pushgw_store_send_log_tokens") == 0
    assert d2.request(dict(q, token=tokens[0]))["sent"] == 2
