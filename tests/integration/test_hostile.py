"""Hostile Web Push origins (issue 15, items 2 and 3): anyone who subscribes
chooses the origin, so each may misbehave on purpose. Real pushgwd, real
pushgw-sim processes: one sim is the APNs provider of another app, and each
hostile origin is a sim of its own with a fault.

  - oversized answers (big_headers, big_body) end the send failed
    (response_too_large) instead of filling response buffers;
  - a peer that stops reading while it drips PINGs we must acknowledge is cut
    off once our unsent bytes pass the write backlog cap;
  - a temporary DNS failure of an origin (EAI_AGAIN) is retried, not a
    refusal: once the name resolves again, sends to it are delivered.

Meanwhile the APNs app keeps delivering and the daemon's memory stays
bounded."""
import json
import os
import threading
import time

import pytest

from harness import WebPushOriginsRig as HostileRig, apns_token, binpath, sanitized_build, statuses, wait_until


def apns_batch(d, n, start):
    return d.request({"op": "send", "wait": True, "notifications": [
        {"platform": "apns", "app": "shop-ios", "tokens": [apns_token(start + i) for i in range(n)],
         "payload": {"aps": {"alert": "other app"}}}]}, timeout=300)


def webpush(d, subs, payload="x", ttl=60, timeout=300):
    return d.request({"op": "send", "wait": True, "notifications": [
        {"platform": "webpush", "app": "shop-web", "subscriptions": subs, "payload": payload, "ttl": ttl}]},
        timeout=timeout)


def test_oversized_answers_fail_the_send_and_keep_memory_bounded():
    rig = HostileRig()
    try:
        fat_headers = rig.origin(["big_headers=48000"])
        fat_body = rig.origin(["big_body=300000"])
        d = rig.daemon(rig.config(apps=rig.apns_section() + rig.wp_section()))
        hwm0 = d.hwm_kb()
        r = webpush(d, rig.subs(fat_headers, 300) + rig.subs(fat_body, 300))
        # Each answer passed a cap (16 KiB of headers, 64 KiB of body): the
        # stream was reset and the send failed at once (asking again would
        # only fetch the same answer).
        assert statuses(r) == {"failed:response_too_large": 600}, statuses(r)
        assert statuses(apns_batch(d, 500, 0)) == {"delivered": 500}
        grown_mib = (d.hwm_kb() - hwm0) / 1024
        print("VmHWM %d -> %d KiB (+%.1f MiB)" % (hwm0, d.hwm_kb(), grown_mib))
        if not sanitized_build():
            # Without the caps each of the 300 answers with bodies of
            # 300 KB kept 64 KiB, and each with 48 KB of headers kept those.
            assert grown_mib < 64, grown_mib
        assert d.proc.poll() is None
    finally:
        rig.close()


def test_peer_that_stops_reading_while_dripping_pings_is_cut_off():
    rig = HostileRig()
    try:
        # A drip in bursts of 100 (below nghttp2's own flood limit of 1000 unsent
        # acknowledgements) keeps bytes coming, so PING liveness would not
        # find the peer; the requests we keep writing (each timed-out one is
        # tried again) and 10,000 PING ACKs a second pile up: only the
        # write backlog cap can stop them (within about a minute).
        # nghttp2 counts the unsent ACKs of everything one socket read
        # brings, not of one burst: a sender loop that stalls 100 ms (under
        # ASan, encrypting a thousand Web Push requests) reads 1000 PINGs at
        # once and cuts every connection off as a flood before the cap is
        # reached. There the drip is 2,000 a second: only a stall of half a
        # second does that (in one ASan run the first connection's, not the
        # later ones'), and the cap takes longer.
        drip = "drip_ping=10:20" if sanitized_build() else "drip_ping=10:100"
        deaf = rig.origin(["stop_reading", drip])
        delivery = ("max_attempts = 3\nmax_retry_seconds = 120\nrequest_timeout_ms = 2000\n"
                    "stall_ping_ms = 60000\nping_timeout_ms = 60000")
        d = rig.daemon(rig.config(apps=rig.apns_section() + rig.wp_section(), delivery=delivery))
        rss0 = d.rss_kb()
        result = {}
        hostile = threading.Thread(target=lambda: result.update(
            r=webpush(d, rig.subs(deaf, 10000), payload="p" * 3500, timeout=900)))
        hostile.start()
        try:
            time.sleep(2)
            assert statuses(apns_batch(d, 500, 0)) == {"delivered": 500}
            assert wait_until(lambda: "peer not reading" in d.logs(), timeout=600 if sanitized_build() else 240), \
                d.logs()[-3000:]
        finally:
            hostile.join(900)
        assert not hostile.is_alive()
        r = result["r"]
        assert sum(statuses(r).values()) == 10000 and "delivered" not in statuses(r), statuses(r)
        grown_mib = (d.hwm_kb() - rss0) / 1024
        print("RSS %d KiB before, VmHWM %d KiB after (+%.1f MiB)" % (rss0, d.hwm_kb(), grown_mib))
        if not sanitized_build():
            assert grown_mib < 256, grown_mib
        assert statuses(apns_batch(d, 500, 500)) == {"delivered": 500}
        assert d.proc.poll() is None
    finally:
        rig.close()


@pytest.mark.skipif(sanitized_build(), reason="the LD_PRELOAD DNS seam does not mix with sanitizer runtimes")
def test_temporary_dns_failure_of_an_origin_is_retried_not_refused():
    rig = HostileRig()
    try:
        probe = rig.origin()
        port = probe.port
        probe.stop()
        flaky = rig.origin(host="flaky.pushgw.test", port=port, count=2)
        subs = [{"endpoint": s["endpoint"], "keys": s["keys"]}
                for s in json.load(open(os.path.join(flaky.dir, "subs.json")))]
        dns = os.path.join(rig.dir, "dns.txt")
        with open(dns, "w") as f:
            f.write("flaky.pushgw.test again\n")
        env = {"LD_PRELOAD": binpath("libpushgw_test_dns_shim.so"), "PUSHGW_TEST_DNS_FILE": dns}
        delivery = "max_attempts = 1\nmax_retry_seconds = 60\nwebpush_dns_negative_ttl_seconds = 1"
        d = rig.daemon(rig.config(apps=rig.apns_section() + rig.wp_section(), delivery=delivery), env=env)
        r1 = webpush(d, subs[:1])
        # EAI_AGAIN says nothing about the endpoint: a retryable failure, not
        # endpoint_refused (which would stand until restart).
        assert statuses(r1) == {"failed:dns_temporary_failure": 1}, r1
        with open(dns, "w") as f:
            f.write("flaky.pushgw.test 127.0.0.1\n")
        time.sleep(1.5)  # past the negative TTL: the name is asked again
        r2 = webpush(d, subs[:1])
        assert statuses(r2) == {"delivered": 1}, r2
        assert flaky.stats()["webpush"]["requests"] == 1
        assert d.proc.poll() is None
    finally:
        rig.close()
