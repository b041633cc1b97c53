"""A stalled connection (issue 16, item 2): the peer answers 100 requests on a
connection, then stops forwarding bytes both ways (no response, no PING
ACK). The daemon finds out by PING within seconds and sends every request
that connection never completed again on another connection, without using
up attempts: nothing is lost, and the sim (which processed none of them)
sees each notification exactly once."""
import re
import time
import urllib.request

from harness import Rig, apns_token, free_port, send_apns, statuses


def retries_by_reason(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as r:
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        if line.startswith("pushgw_retries_total{"):
            m = re.search(r'reason="([^"]*)"', line)
            out[m.group(1)] = out.get(m.group(1), 0) + float(line.rsplit(" ", 1)[1])
    return out


def test_stalled_connection_is_found_by_ping_and_its_requests_delivered_once():
    rig = Rig(sim_args=["--fault", "stall_after=100:1"])
    try:
        port = free_port()
        # The defaults of [delivery] (request_timeout_ms = 10000) except the
        # rig's attempts: detection must come from the PING, not the timeout.
        d = rig.daemon(rig.config(metrics="127.0.0.1:%d" % port))
        tokens = [apns_token(i) for i in range(2000)]
        t0 = time.time()
        resp = send_apns(d, tokens)
        took = time.time() - t0
        assert statuses(resp) == {"delivered": 2000}
        seen = rig.sim.tokens("apns")
        assert sorted(seen) == sorted(tokens)
        assert max(seen.values()) == 1
        st = rig.sim.stats()
        assert st["apns"]["duplicate_delivered"] == 0
        assert st["connections_stalled"] == 1
        reasons = retries_by_reason(port)
        # The stall was found by the liveness PING, and its requests went
        # again as such: none waited out its request timeout.
        assert reasons.get("connection_stalled", 0) >= 1, reasons
        assert reasons.get("timeout", 0) == 0, reasons
        stats = d.request({"op": "stats"})["platforms"]["apns"]
        assert stats["delivered"] == 2000 and stats["failed"] == 0
        print("\nstall after 100 requests: 2000 delivered once each in %.2f s, %d re-sent"
              % (took, reasons.get("connection_stalled", 0)))
    finally:
        rig.close()


def test_a_peer_that_stalls_every_connection_still_ends_in_failed():
    # Every connection goes silent at once: the free re-sends are capped, the
    # circuit breaker holds what is left, and each recipient is answered when
    # its attempts or its retry window run out (not re-sent forever).
    rig = Rig(sim_args=["--fault", "stall_after=0"])
    try:
        d = rig.daemon(rig.config(
            delivery="max_attempts = 2\nmax_retry_seconds = 6\nstall_ping_ms = 200\nping_timeout_ms = 300"))
        resp = send_apns(d, [apns_token(i) for i in range(10)], timeout=60)
        assert statuses(resp) == {"failed:connection_stalled": 10}
        assert rig.sim.tokens("apns") == {}
    finally:
        rig.close()
