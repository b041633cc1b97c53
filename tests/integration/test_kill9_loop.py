"""kill -9 loop (issue 16, figures for items 5-7): pushgwd with a spool is
killed again and again while a client keeps sending; after the last restart
every verdict is in the feedback feed:

  - every invalid/unsubscribed verdict a client was told (wait:true);
  - every dead token of every acknowledged send (wait:false): the spool
    replays what was not final, and a recipient marked done in the spool
    must have its verdict committed by the store first (item 5), or the
    verdict and its feedback event are lost for good.

Dead tokens are the sim's 410 (Unregistered: applied at once) and a few
4000 (BadDeviceToken: held by the suspect guard first, too few to trip it).
The hold is shortened to 200 ms: with the default 2 s and a kill every
0.6 s, held answers would never be applied before the next kill, and the
replay after the last one, made of little else, would rightly look like a
config mistake to the guard.
PUSHGW_KILLS sets the number of kills (default 50); tools/bench has the long
variant."""
import os
import random
import threading
import time

from harness import Client, Rig, apns_token, wait_until

KILLS = int(os.environ.get("PUSHGW_KILLS", "50"))


def feed(d):
    events, since = [], 0
    while True:
        page = d.request({"op": "feedback", "since": since, "limit": 10000})
        events += page["events"]
        if not page["events"]:
            return events
        since = page["next"]


class Load:
    """Sends requests of 20 recipients (2 dead) until stopped; every fourth
    waits for its results. Records what the daemon acknowledged or reported."""

    def __init__(self, d):
        self.d = d
        self.acked_dead = set()      # dead tokens of acknowledged sends
        self.reported = {}           # token -> status a client was told
        self.acked = 0
        self.stop = False
        self.n = 0
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def request(self):
        self.n += 1
        k = self.n
        good = [apns_token(k * 100 + i, "600d") for i in range(18)]
        dead = [apns_token(k, "410"), apns_token(k, "4000") if k % 5 == 0 else apns_token(k + 10**7, "410")]
        wait = k % 4 == 0
        return wait, dead, {"op": "send", "wait": wait, "notifications": [
            {"platform": "apns", "app": "shop-ios", "tokens": good + dead, "payload": {"aps": {"alert": "k"}}}]}

    def run(self):
        c = None
        while not self.stop:
            wait, dead, req = self.request()
            try:
                if c is None:
                    c = Client(self.d.socket, timeout=30)
                r = c.request(req)
            except (OSError, ValueError):
                c = None       # the daemon was killed: this one may or may not count
                time.sleep(0.05)
                continue
            if not r.get("ok"):
                continue
            self.acked += 1
            if wait:
                for res in r["results"]:
                    if res["status"] in ("invalid", "unsubscribed"):
                        self.reported[res["token"]] = res["status"]
            else:
                self.acked_dead.update(dead)
            time.sleep(0.002)


def test_every_verdict_survives_a_kill9_loop():
    rig = Rig()
    try:
        cfg = rig.config(extra='[spool]\npath = "%s/spool"\n' % rig.dir,
                         delivery="max_attempts = 5\nmax_retry_seconds = 120\nsuspect_hold_ms = 200")
        d = rig.daemon(cfg)
        load = Load(d)
        rnd = random.Random(16)
        t0 = time.time()
        for _ in range(KILLS):
            time.sleep(rnd.uniform(0.2, 1.0))
            d.kill9()
            d.start()
        load.stop = True
        load.thread.join(60)
        took = time.time() - t0
        # Replay finishes what was acknowledged and not final.
        assert wait_until(lambda: d.request({"op": "stats"})["spool"]["live_requests"] == 0, timeout=120)
        events = feed(d)
        in_feed = {e["token"]: e["kind"] for e in events}
        lost_reported = {t: s for t, s in load.reported.items() if in_feed.get(t) != s}
        lost_acked = sorted(t for t in load.acked_dead if t not in in_feed)
        seqs = [e["seq"] for e in events]
        print("\nkill -9 loop: %d kills in %.0f s, %d requests acknowledged, %d verdicts reported to clients, "
              "%d dead tokens of acknowledged sends, %d feedback events; missing: %d reported, %d acknowledged"
              % (KILLS, took, load.acked, len(load.reported), len(load.acked_dead), len(events),
                 len(lost_reported), len(lost_acked)))
        assert load.acked > KILLS and load.reported and load.acked_dead
        assert lost_reported == {}
        assert lost_acked == [], lost_acked[:5]
        assert "is suspect" not in d.logs()
        assert seqs == sorted(set(seqs))   # strictly increasing: no seq reused across the kills
    finally:
        rig.close()
