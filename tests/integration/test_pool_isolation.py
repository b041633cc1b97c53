"""One APNs endpoint that takes no request holds up no other app (issue 17's
build-ahead bound, issue 15's rule that no single peer may stall delivery for
others). Real pushgwd with one sender thread, two APNs apps: shop-ios on a
working pushgw-sim, stuck-ios on a sim of its own that accepts 10 streams
per connection and never answers them (`stall`). The sender builds at most
128 (kBuildAhead) requests ahead of stuck-ios's streams; its further jobs wait unbuilt
for that pool while the sender goes on with the others, so shop-ios's sends,
queued behind 3,000 of stuck-ios's in the same ring, are delivered before any
of stuck-ios's ends. stuck-ios's notifications end at their expiration."""
import os
import threading
import time

from harness import Rig, Sim, apns_token, send_apns, statuses, wait_until

DELIVERY = "\n".join([
    "max_attempts = 3",
    "max_retry_seconds = 60",
    # Nothing of stuck-ios's may end before its expiration but by its own
    # rules: no PING finds the silent connection dead, no stream times out.
    "request_timeout_ms = 20000",
    "stall_ping_ms = 60000",
    "ping_timeout_ms = 60000",
])


def stalled_sim(rig):
    """A pushgw-sim (its own folder and port) allowing 10 streams per
    connection, accepting requests and never answering them."""
    sub = os.path.join(rig.dir, "stuck")
    os.makedirs(sub)
    os.symlink(os.path.join(rig.dir, "pki"), os.path.join(sub, "pki"))
    return Sim(sub, ["--fault", "stall", "--max-streams", "10"])


def apns_counts(d):
    return d.request({"op": "stats"})["platforms"]["apns"]


def test_an_apns_endpoint_that_never_answers_holds_up_no_other_app_on_its_sender():
    rig = Rig()
    stuck = stalled_sim(rig)
    try:
        apps = rig.apns_section() + rig.apns_section(app="stuck-ios", connections=1).replace(
            rig.sim.origin, stuck.origin)
        d = rig.daemon(rig.config(apps=apps, workers=1, delivery=DELIVERY))
        expiration = int(time.time()) + 15
        stuck_tokens = [apns_token(i, "b") for i in range(3000)]
        answer = {}

        def send_stuck():
            answer["r"] = d.request({"op": "send", "wait": True, "notifications": [
                {"platform": "apns", "app": "stuck-ios", "tokens": stuck_tokens, "expiration": expiration,
                 "payload": {"aps": {"alert": "never answered"}}}]}, timeout=300)

        t = threading.Thread(target=send_stuck)
        t.start()
        try:
            # stuck-ios's jobs reached the sender (its 10 streams are taken)
            # before shop-ios's are queued behind them in the same ring.
            assert wait_until(lambda: stuck.stats()["max_concurrent_streams_seen"] == 10, timeout=60)
            shop_tokens = [apns_token(i) for i in range(50)]
            r = send_apns(d, shop_tokens, timeout=300)
            assert statuses(r) == {"delivered": 50}, statuses(r)
            # None of stuck-ios's 3,000 had ended (or been retried) when
            # shop-ios's batch was answered: it did not wait for them. With
            # one bound for the whole sender it went only once stuck-ios's
            # 128 (kBuildAhead) queued requests had failed at their expiration.
            counts = apns_counts(d)
            assert (counts["failed"], counts["expired"], counts["retried"]) == (0, 0, 0), counts
            assert sorted(rig.sim.tokens("apns")) == sorted(shop_tokens)
        finally:
            t.join(timeout=300)
        # stuck-ios's notifications end at their expiration: those that
        # waited unbuilt for the pool and the 128 (kBuildAhead) its queue held
        # (never sent; their deadline there is the expiration) as expired,
        # the 10 on the silent streams when their request timeout comes, failed.
        got = statuses(answer["r"])
        print("stuck-ios:", got)
        assert got.get("expired", 0) == 3000 - 10, got
        assert sum(got.values()) == 3000 and "delivered" not in got, got
        # The sender still serves shop-ios.
        assert statuses(send_apns(d, [apns_token(i) for i in range(50, 100)])) == {"delivered": 50}
        assert d.proc.poll() is None
    finally:
        stuck.stop()
        rig.close()
