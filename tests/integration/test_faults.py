"""Connection faults from the sim lose nothing and send nothing twice that the
peer never processed."""
import threading
import time

from harness import Rig, apns_token, sanitized_build, wait_until


def test_goaway_mid_batch_loses_nothing():
    rig = Rig(sim_args=["--fault", "goaway_after=100"])
    try:
        d = rig.daemon()
        tokens = [apns_token(i) for i in range(1000)]
        resp = d.request({"op": "send", "wait": True, "notifications": [
            {"platform": "apns", "app": "shop-ios", "tokens": tokens, "payload": {"aps": {"alert": "x"}}}]})
        statuses = [r["status"] for r in resp["results"]]
        assert statuses.count("delivered") == 1000
        seen = rig.sim.tokens("apns")
        assert set(seen) == set(tokens)
        assert max(seen.values()) == 1
        assert rig.sim.stats()["connections_accepted"] >= 2
    finally:
        rig.close()


def test_backpressure_against_slow_sim_loses_nothing_and_bounds_rss():
    # Every token is slow at the sim; the queue bound is small, so ingest must
    # stop reading while the senders catch up.
    rig = Rig(sim_args=["--slow-ms", "20"])
    try:
        cfg = rig.config(server_extra="max_queued = 2048", workers=2)
        d = rig.daemon(cfg)
        total = 0
        batches = 20
        per = 1000
        c = d.client()
        results = []

        def producer():
            for b in range(batches):
                toks = [apns_token(b * per + i, "de1a") for i in range(per)]
                r = c.request({"op": "send", "notifications": [
                    {"platform": "apns", "app": "shop-ios", "tokens": toks, "payload": {"aps": {"alert": "slow"}}}]})
                results.append(r)
        t = threading.Thread(target=producer)
        t.start()
        peak = 0
        while t.is_alive():
            peak = max(peak, d.rss_kb())
            time.sleep(0.05)
        t.join()
        total = sum(r["accepted"] for r in results)
        assert total == batches * per
        assert wait_until(lambda: d.request({"op": "stats"})["platforms"]["apns"]["delivered"] == total, timeout=300)
        seen = rig.sim.tokens("apns")
        assert len(seen) == total and max(seen.values()) == 1
        # Bounded: 20k accepted recipients must not all sit in memory at once.
        if not sanitized_build():
            assert d.hwm_kb() < 200 * 1024
    finally:
        rig.close()


def test_connection_refused_then_fails_with_reason():
    rig = Rig()
    try:
        # Point the app at a port nobody listens on.
        apps = rig.apns_section().replace(rig.sim.origin, "https://127.0.0.1:1")
        d = rig.daemon(rig.config(apps=apps, delivery="max_attempts = 2\nmax_retry_seconds = 5"))
        r = d.request({"op": "send", "wait": True, "notifications": [
            {"platform": "apns", "app": "shop-ios", "tokens": [apns_token(1)], "payload": {"aps": {}}}]})
        assert r["results"][0]["status"] == "failed"
        assert r["results"][0]["reason"] == "connect_failed"
    finally:
        rig.close()


def test_sigterm_drains_and_exits_zero(rig):
    d = rig.daemon()
    tokens = [apns_token(i) for i in range(500)]
    r = d.request({"op": "send", "notifications": [
        {"platform": "apns", "app": "shop-ios", "tokens": tokens, "payload": {"aps": {}}}]})
    assert r["accepted"] == 500
    assert d.terminate() == 0
    assert len(rig.sim.tokens("apns")) == 500
