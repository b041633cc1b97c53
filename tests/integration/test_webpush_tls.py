"""A Web Push origin whose certificate cannot be verified (issue 16, item 3).

Anyone who subscribes chooses the origin, so a certificate that is
untrusted, or that names another host, is the origin's problem and will not
fix itself within a retry window. Such sends end quickly `tls_verify_failed`
(a short retry budget, not `max_retry_seconds`, 300 s by default), and a
message's TTL bounds its retries whatever the failure. Before the fix these
sends got no answer within 180 s. Real pushgwd, real pushgw-sim origins."""
import os
import time

import pytest

from harness import WebPushOriginsRig, binpath, sanitized_build, statuses


def webpush(d, subs, ttl, timeout):
    return d.request({"op": "send", "wait": True, "notifications": [
        {"platform": "webpush", "app": "shop-web", "subscriptions": subs, "payload": "x", "ttl": ttl}]},
        timeout=timeout)


def expect_tls_verify_failed(rig, d, origin):
    for ttl in (5, 60):
        t0 = time.monotonic()
        # 45 s is a liveness bound, not a performance figure: retrying for
        # the TTL (60 s) or the retry window (300 s) would miss it.
        r = webpush(d, rig.subs(origin, 2), ttl, timeout=45)
        print("ttl %d: final answer after %.2f s: %s" % (ttl, time.monotonic() - t0, statuses(r)))
        assert statuses(r) == {"failed:tls_verify_failed": 2}, r
    # No request reached the origin: the handshake is where it ended.
    assert origin.stats()["webpush"]["requests"] == 0
    assert d.proc.poll() is None


def test_an_untrusted_origin_ends_tls_verify_failed_within_its_ttl():
    rig = WebPushOriginsRig()
    try:
        untrusted = rig.origin(["bad_tls"])  # a self-signed certificate
        # The shipped retry window (max_retry_seconds = 300) stays: the
        # answer must not wait for it.
        d = rig.daemon(rig.config(apps=rig.apns_section() + rig.wp_section()))
        expect_tls_verify_failed(rig, d, untrusted)
    finally:
        rig.close()


@pytest.mark.skipif(sanitized_build(), reason="the LD_PRELOAD DNS seam does not mix with sanitizer runtimes")
def test_an_origin_whose_certificate_names_other_hosts_ends_tls_verify_failed():
    rig = WebPushOriginsRig()
    try:
        misnamed = rig.origin()                  # a good certificate, for other names
        misnamed.host = "push.elsewhere.test"    # not in its names (127.0.0.1, localhost, *.pushgw.test)
        dns = os.path.join(rig.dir, "dns.txt")
        with open(dns, "w") as f:
            f.write("push.elsewhere.test 127.0.0.1\n")
        env = {"LD_PRELOAD": binpath("libpushgw_test_dns_shim.so"), "PUSHGW_TEST_DNS_FILE": dns}
        d = rig.daemon(rig.config(apps=rig.apns_section() + rig.wp_section()), env=env)
        expect_tls_verify_failed(rig, d, misnamed)
    finally:
        rig.close()


def test_ttl_bounds_the_retries_of_an_origin_that_keeps_failing():
    rig = WebPushOriginsRig()
    try:
        down = rig.origin(["unavailable"])       # answers every send 503, no Retry-After
        # Attempts and the retry window (300 s) would allow retrying for
        # minutes; a 3 s TTL ends the message after accept + 3 s, like an
        # APNs expiration (liveness bound as above).
        d = rig.daemon(rig.config(apps=rig.apns_section() + rig.wp_section(), delivery="max_attempts = 100"))
        t0 = time.monotonic()
        r = webpush(d, rig.subs(down, 3), 3, timeout=45)
        print("ttl 3 against 503s: final answer after %.2f s: %s" % (time.monotonic() - t0, statuses(r)))
        # Final within the TTL: expired, or failed with the last answer when
        # the next retry would fall past accept + TTL (retry_policy).
        assert sum(statuses(r).get(k, 0) for k in ("expired", "failed:http_503")) == 3, r
        tried = down.stats()["unavailable_answers"]
        assert tried >= 3
        time.sleep(2)  # nothing is retried after the answer
        assert down.stats()["unavailable_answers"] == tried
        assert d.proc.poll() is None
    finally:
        rig.close()
