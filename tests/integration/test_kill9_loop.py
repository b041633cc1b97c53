"""kill -9 loop (issue 16, figures for items 5-7): pushgwd with a spool is
killed again and again while a client keeps sending; after the last restart
every verdict is in the feedback feed:

  - every invalid/unsubscribed verdict a client was told (wait:true);
  - every dead token of every acknowledged send (wait:false): the spool
    replays what was not final, and a recipient marked done in the spool
    must have its verdict committed by the store first (item 5), or the
    verdict and its feedback event are lost for good.

  - no scheduled send lost (item 7): sends with a send_at a little ahead,
    made before the loop and by a client during it, each acknowledged one
    is delivered at the sim after the last restart. A row is deleted only
    once what it sent is durable (its spool record), so a kill before that
    runs it again when its lease (60 s) ends: at least once. Duplicates are
    counted and bounded: only a row killed between its spool record and
    its delete, or a recipient in flight at a kill, may be sent twice.

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


class ScheduledLoad:
    """Scheduled sends of 5 good recipients each, send_at 0.3-3 s ahead,
    under their own schedule_key; wait:true and wait:false in turn. Records
    the tokens of every acknowledged one."""

    def __init__(self, d, first):
        self.d = d
        self.acked = {}   # token -> schedule_key
        self.keys = set()
        self.odd = []
        self.n = first
        self.stop = False
        self.rnd = random.Random(first)
        self.thread = None

    def request(self):
        self.n += 1
        k = self.n
        tokens = [apns_token(k * 10 + i, "5c4e") for i in range(5)]
        key = "k9-%d" % k
        return k % 2 == 0, key, tokens, {"op": "send", "wait": k % 2 == 0, "notifications": [
            {"platform": "apns", "app": "shop-ios", "tokens": tokens, "schedule_key": key,
             "send_at": round(time.time() + self.rnd.uniform(0.3, 3.0), 3),
             "payload": {"aps": {"alert": "s%d" % k}}}]}

    def one(self, c):
        wait, key, tokens, req = self.request()
        r = c.request(req)
        if not r.get("ok"):
            return
        statuses = [x["status"] for x in r["results"]] if wait else ["scheduled"] * r.get("scheduled", 0)
        if statuses != ["scheduled"] * len(tokens):
            self.odd.append(r)   # acknowledged, but not as scheduled
            return
        self.keys.add(key)
        for t in tokens:
            self.acked[t] = key

    def run(self):
        c = None
        while not self.stop:
            try:
                if c is None:
                    c = Client(self.d.socket, timeout=30)
                self.one(c)
            except (OSError, ValueError):
                c = None
                time.sleep(0.05)
                continue
            time.sleep(0.02)

    def start(self):
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def pending(self, keys=None):
        """Tokens the daemon still lists as scheduled (not yet run)."""
        out = set()
        for key in sorted(self.keys if keys is None else keys):
            out.update(e["token"] for e in self.d.request({"op": "scheduled", "schedule_key": key})["scheduled"])
        return out


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


def test_every_verdict_and_scheduled_send_survives_a_kill9_loop():
    rig = Rig()
    try:
        cfg = rig.config(extra='[spool]\npath = "%s/spool"\n' % rig.dir,
                         delivery="max_attempts = 5\nmax_retry_seconds = 120\nsuspect_hold_ms = 200")
        d = rig.daemon(cfg)
        sched = ScheduledLoad(d, 0)
        c = Client(d.socket, timeout=30)
        for _ in range(40):   # made before the loop, due during its first seconds
            sched.one(c)
        c.close()
        sched.start()
        load = Load(d)
        rnd = random.Random(16)
        t0 = time.time()
        for _ in range(KILLS):
            time.sleep(rnd.uniform(0.2, 1.0))
            d.kill9()
            d.start()
        load.stop = sched.stop = True
        load.thread.join(60)
        sched.thread.join(60)
        took = time.time() - t0
        # Replay finishes what was acknowledged and not final.
        assert wait_until(lambda: d.request({"op": "stats"})["spool"]["live_requests"] == 0, timeout=120)
        events = feed(d)
        in_feed = {e["token"]: e["kind"] for e in events}
        lost_reported = {t: s for t, s in load.reported.items() if in_feed.get(t) != s}
        lost_acked = sorted(t for t in load.acked_dead if t not in in_feed)
        seqs = [e["seq"] for e in events]
        # Scheduled rows left by a kill run again when their lease (60 s)
        # ends: wait for every acknowledged one to be sent or listed pending.
        def sched_state(keys=None):
            got = rig.sim.tokens("apns")
            pending = sched.pending(keys)
            missing = [t for t in sched.acked if t not in got and t not in pending]
            return got, pending, missing
        # Rows still stored now were claimed by a killed instance and run
        # again when their lease ends (counted: one already sent would be
        # sent twice).
        got0, pending0, _ = sched_state()
        watch = {sched.acked[t] for t in pending0}
        state = [None]

        def settled():
            state[0] = sched_state(watch)
            return not state[0][1] and not state[0][2]
        wait_until(settled, timeout=150, interval=1.0)
        time.sleep(1.0)   # a row run just now: its sends land
        got, pending, missing = sched_state()
        sched_dups = sorted(t for t in sched.acked if got.get(t, 0) > 1)
        relisted_sent = sorted(t for t in pending0 if got0.get(t))
        immediate = [t for t in got if t.startswith("600d")]
        print("\nkill -9 loop: %d kills in %.0f s, %d requests acknowledged, %d verdicts reported to clients, "
              "%d dead tokens of acknowledged sends, %d feedback events; missing: %d reported, %d acknowledged; "
              "scheduled: %d recipients acknowledged in %d sends, %d delivered, %d pending, %d missing, "
              "%d delivered twice or more (immediate sends: %d of %d); %d still stored after the loop, of them "
              "%d already sent"
              % (KILLS, took, load.acked, len(load.reported), len(load.acked_dead), len(events),
                 len(lost_reported), len(lost_acked), len(sched.acked), len(sched.keys),
                 sum(1 for t in sched.acked if got.get(t)), len(pending), len(missing), len(sched_dups),
                 sum(1 for t in immediate if got[t] > 1), len(immediate), len(pending0), len(relisted_sent)))
        assert load.acked > KILLS and load.reported and load.acked_dead
        assert lost_reported == {}
        assert lost_acked == [], lost_acked[:5]
        assert "is suspect" not in d.logs()
        assert seqs == sorted(set(seqs))   # strictly increasing: no seq reused across the kills
        assert len(sched.keys) > KILLS and sched.odd == [], sched.odd[:3]
        assert missing == [], missing[:5]  # no acknowledged scheduled send lost
        assert pending == set()            # and none left behind
        # Duplicates are not asserted: a recipient in flight at a kill is
        # sent again by the spool replay (at least once, as for immediate
        # sends; the provider does not deduplicate). See docs/faults.md.
    finally:
        rig.close()
