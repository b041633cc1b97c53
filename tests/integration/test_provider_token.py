"""APNs provider-token rejection (issue 16, item 1): a rejected current token
is replaced at once, once per (team, key), and its notifications are sent
again; a fresh token rejected too fails them with a clear reason, without a
loop and without a storm of re-signs.

The sim counts the distinct provider tokens (JWTs) that verified
(apns.jwts_accepted): that is the daemon's number of signatures."""
import time

from harness import Rig, apns_token, send_apns, statuses


def apns_sim(rig):
    return rig.sim.stats()["apns"]


def test_rejected_current_token_is_resigned_once_and_the_batch_delivered():
    rig = Rig()
    try:
        d = rig.daemon()
        warm = [apns_token(i, "ca11") for i in range(3)]
        assert statuses(send_apns(d, warm)) == {"delivered": 3}
        assert apns_sim(rig)["jwts_accepted"] == 1
        # The token the daemon signed moments ago is now refused by the provider.
        rig.sim.admin("/faults", "reject_jwt=current")
        tokens = [apns_token(i) for i in range(5)]
        t0 = time.time()
        resp = send_apns(d, tokens)
        took = time.time() - t0
        assert statuses(resp) == {"delivered": 5}
        sim = apns_sim(rig)
        assert sim["jwt_rejections"] >= 1   # the fault really hit this batch
        assert sim["jwts_accepted"] == 2    # exactly one re-sign, whatever the streams and threads
        seen = rig.sim.tokens("apns")
        assert all(seen.get(t) == 1 for t in tokens)
        # The re-sends did not use up attempts, and no retry waited out a backoff.
        stats = d.request({"op": "stats"})["platforms"]["apns"]
        assert stats["delivered"] == 8 and stats["failed"] == 0
        print("\nExpiredProviderToken: rejection to delivery of 5 in %.3f s, %d re-sign(s), %d rejected requests"
              % (took, sim["jwts_accepted"] - 1, sim["jwt_rejections"]))
    finally:
        rig.close()


def test_every_token_rejected_fails_with_a_clear_reason_and_no_resign_storm():
    rig = Rig(sim_args=["--fault", "reject_jwt=all", "--fault", "reject_jwt_reason=InvalidProviderToken"])
    try:
        d = rig.daemon()
        tokens = [apns_token(i) for i in range(5)]
        # Bounded: the harness fails the request if no answer comes in 30 s
        # (the retry window is 60 s: a retry loop would not answer in time).
        resp = send_apns(d, tokens, timeout=30)
        assert statuses(resp) == {"failed:credential_rejected": 5}
        assert all(r["http_status"] == 403 for r in resp["results"])
        assert apns_sim(rig)["jwts_accepted"] == 2   # the first token and one fresh one, no more
        # Later sends of the same broken credential fail too, and sign nothing new
        # (the next signature waits for Apple's 20-minute schedule).
        for _ in range(3):
            more = send_apns(d, [apns_token(i, "b0b0") for i in range(5)], timeout=30)
            assert statuses(more) == {"failed:credential_rejected": 5}
        assert apns_sim(rig)["jwts_accepted"] == 2
        assert rig.sim.tokens("apns") == {}
        # The likely cause is logged once, not per notification.
        logs = d.logs()
        assert logs.count("rejected right after it was renewed") == 1, logs
        assert "clock" in logs and "key" in logs
    finally:
        rig.close()
