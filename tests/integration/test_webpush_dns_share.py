"""Web Push names whose DNS fails for now cannot hold a sender's share
(docs/faults.md, "Slow or failing Web Push names"). The subscriber chooses
the endpoint's name and so its DNS server, which may fail for now on every
try (EAI_AGAIN, here from the LD_PRELOAD DNS seam). Real pushgwd with one
sender thread and [server] max_queued = 1000 (a share of 1,024 jobs, the
smallest ring), a negative DNS TTL of 10 minutes and a retry window of an
hour.

Before, each of a campaign's jobs for such a name waited to retry for the
negative TTL, up to max_attempts times, holding the share meanwhile: another
app's sends were not even read for 10 minutes. Now, once the name has failed,
the jobs waiting for names hold at most a quarter of the share (256): the
other 1,744 of a 2,000-recipient campaign end at once
failed:dns_temporary_failure, and shop-ios's sends are read and delivered."""
import threading
import types

import pytest

from harness import (WebPushOriginsRig, apns_token, binpath, sanitized_build, send_apns, statuses,
                     wait_until)

DELIVERY = "\n".join([
    "max_attempts = 3",
    "max_retry_seconds = 3600",
    "webpush_dns_negative_ttl_seconds = 600",
])


@pytest.mark.skipif(sanitized_build(), reason="the LD_PRELOAD DNS seam does not mix with sanitizer runtimes")
def test_jobs_for_a_failing_web_push_name_hold_at_most_a_quarter_of_the_share():
    rig = WebPushOriginsRig()
    try:
        # A port for the Web Push app's endpoint_ports; the name never resolves,
        # so nothing connects to it.
        origin = rig.origin()
        failing = types.SimpleNamespace(host="dnsfail.pushgw.test", port=origin.port)
        dns = rig.dir + "/dns.txt"
        with open(dns, "w") as f:
            f.write("dnsfail.pushgw.test again\n")
        env = {"LD_PRELOAD": binpath("libpushgw_test_dns_shim.so"), "PUSHGW_TEST_DNS_FILE": dns}
        d = rig.daemon(rig.config(apps=rig.apns_section() + rig.wp_section(), workers=1, delivery=DELIVERY,
                                  server_extra="max_queued = 1000"), env=env)
        subs = rig.subs(failing, 2000)

        def campaign():
            # Answered only when every recipient ended (the waiting ones in
            # 10 minutes): rig.close() kills pushgwd, which ends the wait.
            try:
                d.request({"op": "send", "wait": True, "notifications": [
                    {"platform": "webpush", "app": "shop-web", "subscriptions": subs, "payload": "x",
                     "ttl": 3600}]}, timeout=900)
            except ConnectionError:
                pass

        threading.Thread(target=campaign, daemon=True).start()
        # 1,744 of the campaign's jobs ended at once; the other 256 wait to retry.
        assert wait_until(lambda: d.request({"op": "stats"})["webpush_shed"] == 1744, timeout=60), \
            d.request({"op": "stats"})["webpush_shed"]
        assert wait_until(lambda: d.request({"op": "stats"})["queue_depth"] == 256, timeout=60), \
            d.request({"op": "stats"})["queue_depth"]
        web = [a for a in d.request({"op": "stats"})["apps"] if a["app"] == "shop-web"][0]
        assert (web["accepted"], web["failed"], web["delivered"]) == (2000, 1744, 0), web
        # Another app's sends are read and delivered meanwhile (before: not
        # read until the campaign's jobs ended, 10 minutes later).
        tokens = [apns_token(i) for i in range(50)]
        assert statuses(send_apns(d, tokens, timeout=60)) == {"delivered": 50}
        assert sorted(rig.sim.tokens("apns")) == sorted(tokens)
        assert d.request({"op": "stats"})["queue_depth"] == 256  # the name's jobs still wait
        assert d.proc.poll() is None
    finally:
        rig.close()
