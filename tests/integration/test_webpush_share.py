"""A Web Push origin that never answers cannot stop ingest for other apps
(docs/faults.md, "A stuck Web Push origin and the sender's share"). Real
pushgwd with one sender thread and a small [server] max_queued, and real
pushgw-sim processes: one is the APNs provider of shop-ios, the other is a
Web Push origin of shop-web with the `stall` fault (a tarpit: it accepts
connections and requests and never answers, not even a PING).

A campaign of 3,000 subscriptions on the tarpit, with a retry window and a
TTL of an hour, fills the sender's share (1,000). Before, those jobs held the
share until their window ended (an hour here): shop-ios's sends were not
even read meanwhile. Now the origin, observed answering nothing, keeps no
backlog: its jobs end failed (origin_busy, or the failure that opened its
breaker), ingest reads again, and shop-ios's sends are accepted and
delivered; every recipient of the campaign ends with a verdict."""
import threading
import time

from harness import WebPushOriginsRig, apns_token, send_apns, statuses, wait_until

DELIVERY = "\n".join([
    "max_attempts = 3",
    # Nothing may end by its retry window or expiry within the test.
    "max_retry_seconds = 3600",
    "webpush_origin_max_in_flight = 16",
])


def test_a_tarpit_web_push_origin_does_not_stop_ingest_for_other_apps():
    rig = WebPushOriginsRig()
    try:
        tarpit = rig.origin(["stall"])
        d = rig.daemon(rig.config(apps=rig.apns_section() + rig.wp_section(), workers=1, delivery=DELIVERY,
                                  server_extra="max_queued = 1000"))
        subs = rig.subs(tarpit, 3000)
        answer = {}
        started = time.time()

        def campaign():
            answer["r"] = d.request({"op": "send", "wait": True, "notifications": [
                {"platform": "webpush", "app": "shop-web", "subscriptions": subs, "payload": "x",
                 "ttl": 3600}]}, timeout=600)
            answer["after"] = time.time() - started

        # A daemon thread: when an assertion fails, rig.close() kills pushgwd,
        # which ends its wait.
        t = threading.Thread(target=campaign, daemon=True)
        t.start()
        # The tarpit took its 16 streams, and the share is full of its jobs.
        assert wait_until(lambda: tarpit.stats()["requests"] >= 16, timeout=60)
        assert wait_until(lambda: d.request({"op": "stats"})["queue_depth"] >= 1000, timeout=60)
        # Another app's send: before, it was not read until the tarpit's jobs
        # ended an hour later (here the request timed out, the queue still
        # held 2,998 of the campaign's recipients and shop-ios none).
        tokens = [apns_token(i) for i in range(50)]
        asked = time.time()
        r = send_apns(d, tokens, timeout=240)
        print("shop-ios answered %.1f s after it was sent, %.1f s after the campaign" %
              (time.time() - asked, time.time() - started))
        assert statuses(r) == {"delivered": 50}, statuses(r)
        assert sorted(rig.sim.tokens("apns")) == sorted(tokens)
        t.join(timeout=600)
        assert not t.is_alive(), "the campaign got no answer"
        got = statuses(answer["r"])
        print("tarpit campaign answered after %.1f s:" % answer["after"], got)
        assert sum(got.values()) == 3000, got
        # All failed: most origin_busy (waiting for the tarpit's share when it
        # was judged), the ones in flight, or held once its breaker opened,
        # with the failure that opened it (connection_stalled).
        assert all(k.startswith("failed:") for k in got), got
        assert got.get("failed:origin_busy", 0) > 0, got
        # The stats op counts what the backlog rule ended (the held ones with
        # the failure that opened the breaker among them).
        assert wait_until(lambda: d.request({"op": "stats"})["webpush_shed"] >= got["failed:origin_busy"])
        # Nothing is left: the queue is empty and the sender still serves shop-ios.
        assert wait_until(lambda: d.request({"op": "stats"})["queue_depth"] == 0, timeout=60)
        assert statuses(send_apns(d, [apns_token(i) for i in range(50, 100)])) == {"delivered": 50}
        assert d.proc.poll() is None
    finally:
        rig.close()
