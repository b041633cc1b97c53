"""Many Web Push origins that never answer cannot take the sender's whole
in-flight window (docs/faults.md, "Many tarpit origins"). Real pushgwd with
one sender thread (its window: 8,192 requests), real pushgw-sim processes:
the APNs provider of shop-ios, and four Web Push origins of shop-web with
the `stall` fault (they accept connections and requests and never answer).

Each origin's own share is 2,048 requests (a quarter of the window), so
four tarpits used to fill all of it: with the PING and request timeouts at
10 minutes, no other app's send could go for that long. Now all Web Push
origins together have half the window; shop-ios's sends are delivered
while the tarpits hold theirs."""
import threading

from harness import WebPushOriginsRig, apns_token, send_apns, statuses, wait_until

WINDOW = 8192
DELIVERY = "\n".join([
    "max_attempts = 3",
    "max_retry_seconds = 3600",
    "webpush_origin_max_in_flight = 2048",
    # The tarpits' requests stay in flight for the whole test.
    "request_timeout_ms = 600000",
    "stall_ping_ms = 600000",
    "ping_timeout_ms = 600000",
])


def test_many_tarpit_origins_leave_half_the_window_to_other_apps():
    rig = WebPushOriginsRig()
    try:
        tarpits = [rig.origin(["stall"], args=["--max-streams", "2048"]) for _ in range(4)]
        d = rig.daemon(rig.config(apps=rig.apns_section() + rig.wp_section(), workers=1, delivery=DELIVERY,
                                  server_extra="max_queued = 40000"))
        subs = []
        for t in tarpits:
            subs += rig.subs(t, 2200)

        def campaign():
            d.request({"op": "send", "notifications": [
                {"platform": "webpush", "app": "shop-web", "subscriptions": subs, "payload": "x",
                 "ttl": 3600}]}, timeout=600)

        threading.Thread(target=campaign, daemon=True).start()

        def tarpit_requests():
            return sum(t.stats()["requests"] for t in tarpits)

        # The tarpits take their part of the window and hold it (what is not
        # on their streams waits in their pools' queues: 1,000 streams a
        # connection, 2 connections an origin).
        assert wait_until(lambda: tarpit_requests() >= 3500, timeout=120), tarpit_requests()
        tokens = [apns_token(i) for i in range(50)]
        r = send_apns(d, tokens, timeout=120)
        assert statuses(r) == {"delivered": 50}, statuses(r)
        assert sorted(rig.sim.tokens("apns")) == sorted(tokens)
        # Still no more than half the window at the tarpits (before: all of
        # it, 2,048 a origin).
        held = tarpit_requests()
        print("requests at the tarpits:", [t.stats()["requests"] for t in tarpits])
        assert held <= WINDOW // 2, held
        assert d.proc.poll() is None
    finally:
        rig.close()
