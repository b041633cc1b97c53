"""Campaign policy scheduling through the socket: send_at (fires within
+-1 s, measured at the provider simulator), schedule keys with ops "cancel"
and "scheduled", durability across restarts and kill -9 (with the spool),
expiry, quiet hours in the recipient's time zone (with the daemon's test
clock), and transactional sends that are never held."""
import calendar
import subprocess
import sys
import threading
import time

from harness import Rig, apns_token, binpath, wait_until

HOOKS = {"PUSHGW_TEST_HOOKS": "1"}


def utc(s):
    """'2026-06-15T23:00:00' -> epoch ms."""
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%S")) * 1000


def notif(tokens, **kw):
    n = {"platform": "apns", "app": "shop-ios", "tokens": tokens, "payload": {"aps": {"alert": "later"}}}
    n.update(kw)
    return n


def send(d, notifications, wait=True, campaign="spring-sale", **kw):
    req = {"op": "send", "wait": wait, "campaign": campaign, "notifications": notifications}
    req.update(kw)
    return d.request(req)


def by_token(resp):
    return {r["token"]: r for r in resp["results"]}


class Arrivals:
    """Polls the simulator and records when each token first arrived."""

    def __init__(self, sim, interval=0.01):
        self.sim, self.interval = sim, interval
        self.first, self.counts = {}, {}
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop_flag.is_set():
            seen = self.sim.tokens("apns")
            now = time.time()
            for tok, n in seen.items():
                self.first.setdefault(tok, now)
            self.counts = seen
            time.sleep(self.interval)

    def stop(self):
        self.stop_flag.set()
        self.thread.join(10)


def test_send_at_fires_within_one_second_of_its_time(rig):
    d = rig.daemon()
    arrivals = Arrivals(rig.sim)
    try:
        tok, tok2 = apns_token(1), apns_token(2)
        send_at = round(time.time() + 2.5, 3)
        r = send(d, [notif([tok], send_at=send_at)])
        assert r["ok"] and r["accepted"] == 1 and r["rejected"] == []
        res = r["results"][0]
        assert res["status"] == "scheduled" and res["reason"] == "send_at" and len(res["schedule_id"]) == 16
        assert res["send_at"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(send_at)))
        # RFC 3339 works too, and wait:false answers with a count.
        send_at2 = send_at + 1
        r2 = send(d, [notif([tok2], send_at=time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(send_at2))) +
                            (".%03dZ" % round((send_at2 % 1) * 1000)))], wait=False)
        assert r2["ok"] and r2["accepted"] == 1 and r2["scheduled"] == 1
        assert tok not in rig.sim.tokens("apns")
        assert wait_until(lambda: tok2 in arrivals.first, timeout=10)
        for t, at in ((tok, send_at), (tok2, send_at2)):
            early_late = arrivals.first[t] - at
            sys.stderr.write("send_at: arrived at the sim %+.3f s from send_at\n" % early_late)
            assert -1.0 <= early_late <= 1.0, (t, early_late)
        time.sleep(0.5)
        assert arrivals.counts[tok] == 1 and arrivals.counts[tok2] == 1
        assert d.request({"op": "stats"})["platforms"]["apns"]["delivered"] == 2
    finally:
        arrivals.stop()


def test_cancel_by_key_prevents_every_send_and_scheduled_lists_them(rig):
    d = rig.daemon()
    cart = [apns_token(10 + i) for i in range(3)]
    other = apns_token(20)
    send_at = int(time.time()) + 3
    r = send(d, [notif(cart[:2], send_at=send_at, schedule_key="cart-123"),
                 notif([cart[2]], send_at=send_at + 60, schedule_key="cart-123", expires_at=send_at + 3600),
                 notif([other], send_at=send_at, schedule_key="cart-999")])
    assert [x["status"] for x in r["results"]] == ["scheduled"] * 4
    listed = d.request({"op": "scheduled", "schedule_key": "cart-123"})
    assert listed["ok"] and listed["truncated"] is False
    entries = listed["scheduled"]
    assert [e["token"] for e in entries] == cart  # earliest first
    assert entries[0]["id"] == entries[1]["id"] != entries[2]["id"]  # one row per notification and time
    assert all(e["platform"] == "apns" and e["app"] == "shop-ios" and e["campaign"] == "spring-sale"
               for e in entries)
    assert entries[0]["send_at"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(send_at))
    assert "expires_at" in entries[2] and entries[0]["reason"] == "send_at"
    assert len(d.request({"op": "scheduled", "schedule_key": "cart-123", "limit": 2})["scheduled"]) == 2
    assert d.request({"op": "scheduled", "schedule_key": "cart-123", "limit": 2})["truncated"] is True
    c = d.request({"op": "cancel", "schedule_key": "cart-123"})
    assert c == {"id": c["id"], "ok": True, "cancelled": 3}
    assert d.request({"op": "cancel", "schedule_key": "cart-123"})["cancelled"] == 0
    assert d.request({"op": "scheduled", "schedule_key": "cart-123"})["scheduled"] == []
    bad = d.request({"op": "cancel"})
    assert bad["ok"] is False and bad["error"] == "bad_request"
    # The other key still fires; the cancelled ones never reach the provider.
    assert wait_until(lambda: other in rig.sim.tokens("apns"), timeout=10)
    time.sleep(1.0)
    assert not set(cart) & set(rig.sim.tokens("apns"))


def test_pushgwctl_scheduled_and_cancel(rig):
    d = rig.daemon()
    toks = [apns_token(30), apns_token(31)]
    send(d, [notif(toks, send_at=int(time.time()) + 3600, schedule_key="ctl-key")], wait=False)
    base = [binpath("pushgwctl"), "--socket", d.socket]
    out = subprocess.run(base + ["scheduled", "ctl-key"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    rows = out.stdout.strip().splitlines()
    assert rows[0].split() == ["ID", "SEND_AT", "REASON", "PLATFORM", "APP", "TOKEN", "CAMPAIGN"]
    assert len(rows) == 3 and all("send_at" in r and "shop-ios" in r for r in rows[1:])
    assert rows[1].split()[5] == toks[0][:16] + "\u2026" and rows[2].split()[5] == toks[1][:16] + "\u2026"
    out = subprocess.run(base + ["cancel", "ctl-key"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["cancelled:", "2"]
    out = subprocess.run(base + ["cancel"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 2  # usage


def test_scheduled_sends_survive_a_restart_and_expire_while_stored(rig):
    cfg = rig.config()
    d = rig.daemon(cfg)
    tok, late = apns_token(40), apns_token(41)
    now = time.time()
    r = send(d, [notif([tok], send_at=int(now) + 4),
                 notif([late], send_at=int(now) + 3, expires_at=int(now) + 5)], campaign="restart-camp")
    assert [x["status"] for x in r["results"]] == ["scheduled", "scheduled"]
    assert d.terminate() == 0
    assert rig.sim.tokens("apns") == {}
    time.sleep(max(0.0, now + 6 - time.time()))  # the second one expires while the daemon is down
    d2 = rig.daemon(cfg)
    assert wait_until(lambda: tok in rig.sim.tokens("apns"), timeout=10)
    time.sleep(0.5)
    assert rig.sim.tokens("apns") == {tok: 1}
    rep = d2.request({"op": "campaign", "campaign": "restart-camp"})
    assert rep["delivered"] == 1 and rep["expired"] == 1
    assert d2.request({"op": "stats"})["platforms"]["apns"]["expired"] == 1


def test_expires_before_send_at_is_expired_at_once(rig):
    d = rig.daemon()
    now = int(time.time())
    r = send(d, [notif([apns_token(50), apns_token(51)], send_at=now + 60, expires_at=now + 30)],
             campaign="exp-camp")
    assert [(x["status"], x["reason"]) for x in r["results"]] == [("expired", "expired")] * 2
    assert d.request({"op": "campaign", "campaign": "exp-camp"})["expired"] == 2
    assert rig.sim.stats()["requests"] == 0


def test_quiet_hours_hold_then_release_in_each_recipients_zone(rig):
    cfg = rig.config(extra='[policy]\nquiet_hours = "22:00-08:00"\ndefault_tz = "UTC"\n')
    d = rig.daemon(cfg, env=HOOKS)
    assert d.request({"op": "test_clock", "set_ms": utc("2026-06-15T23:00:00")})["ok"]
    utc_tok, ist_tok, ny_tok, tx_tok, bad_tok, exp_tok = (apns_token(60 + i) for i in range(6))
    r = send(d, [notif([utc_tok, {"token": ist_tok, "tz": "Asia/Kolkata"},
                        {"token": ny_tok, "tz": "America/New_York"}, {"token": bad_tok, "tz": "Mars/Olympus"}],
                       **{"class": "marketing", "schedule_key": "night"}),
                 notif([tx_tok]),  # transactional: never held
                 notif([exp_tok], expires_at=utc("2026-06-16T01:00:00") // 1000, **{"class": "marketing"})],
             campaign="quiet-camp")
    assert r["accepted"] == 5
    assert [(x["token"], x["error"]) for x in r["rejected"]] == [(bad_tok, "bad_request")]
    res = by_token(r)
    assert res[ny_tok]["status"] == "delivered" and res[tx_tok]["status"] == "delivered"  # 19:00 in New York
    assert res[utc_tok]["status"] == "scheduled" and res[utc_tok]["reason"] == "quiet_hours"
    assert res[utc_tok]["send_at"] == "2026-06-16T08:00:00Z"
    assert res[ist_tok]["send_at"] == "2026-06-16T02:30:00Z"  # 08:00 in Kolkata
    assert res[exp_tok]["status"] == "expired"  # its expiry comes before the window ends
    assert set(rig.sim.tokens("apns")) == {ny_tok, tx_tok}
    listed = d.request({"op": "scheduled", "schedule_key": "night"})["scheduled"]
    assert sorted((e["token"], e["reason"]) for e in listed) == sorted([(utc_tok, "quiet_hours"),
                                                                      (ist_tok, "quiet_hours")])
    # Just before 08:00 in Kolkata nothing moves; just after, only Kolkata's.
    d.request({"op": "test_clock", "set_ms": utc("2026-06-16T02:29:58")})
    time.sleep(1.2)
    assert set(rig.sim.tokens("apns")) == {ny_tok, tx_tok}
    d.request({"op": "test_clock", "set_ms": utc("2026-06-16T02:30:00") + 200})
    assert wait_until(lambda: ist_tok in rig.sim.tokens("apns"), timeout=5)
    assert utc_tok not in rig.sim.tokens("apns")
    d.request({"op": "test_clock", "set_ms": utc("2026-06-16T08:00:00") + 200})
    assert wait_until(lambda: utc_tok in rig.sim.tokens("apns"), timeout=5)
    time.sleep(0.5)
    assert rig.sim.tokens("apns") == {ny_tok: 1, tx_tok: 1, ist_tok: 1, utc_tok: 1}
    rep = d.request({"op": "campaign", "campaign": "quiet-camp"})
    assert rep["delivered"] == 4 and rep["expired"] == 1


def test_transactional_sends_are_never_held_capped_or_delayed(rig):
    cfg = rig.config(extra='[policy]\nquiet_hours = "00:00-23:59"\ndefault_tz = "UTC"\nmarketing_per_hour = 1\n')
    d = rig.daemon(cfg, env=HOOKS)
    d.request({"op": "test_clock", "set_ms": utc("2026-06-15T12:00:00")})  # inside the window everywhere
    tok = apns_token(90)
    for cls in (None, "transactional", None):
        n = notif([tok, {"token": apns_token(91), "tz": "Pacific/Auckland"}])
        if cls:
            n["class"] = cls
        r = send(d, [n])
        assert [x["status"] for x in r["results"]] == ["delivered", "delivered"]
    # The same recipients as marketing are held.
    r = send(d, [notif([tok], **{"class": "marketing"})])
    assert r["results"][0]["status"] == "scheduled" and r["results"][0]["reason"] == "quiet_hours"
    assert rig.sim.tokens("apns")[tok] == 3


def test_send_at_landing_in_quiet_hours_is_held_again(rig):
    cfg = rig.config(extra='[policy]\nquiet_hours = "22:00-08:00"\ndefault_tz = "Europe/Berlin"\n')
    d = rig.daemon(cfg, env=HOOKS)
    d.request({"op": "test_clock", "set_ms": utc("2026-06-15T12:00:00")})  # 14:00 in Berlin
    tok, tx = apns_token(70), apns_token(71)
    send_at = utc("2026-06-15T21:00:00") // 1000  # 23:00 in Berlin
    r = send(d, [notif([tok], send_at=send_at, schedule_key="k70", **{"class": "marketing"}),
                 notif([tx], send_at=send_at, schedule_key="k70")])
    assert [x["status"] for x in r["results"]] == ["scheduled", "scheduled"]
    d.request({"op": "test_clock", "set_ms": utc("2026-06-15T21:00:00") + 100})
    assert wait_until(lambda: tx in rig.sim.tokens("apns"), timeout=5)  # transactional goes at send_at
    time.sleep(1.0)
    assert tok not in rig.sim.tokens("apns")
    listed = d.request({"op": "scheduled", "schedule_key": "k70"})["scheduled"]
    assert [(e["token"], e["reason"], e["send_at"]) for e in listed] == [(tok, "quiet_hours", "2026-06-16T06:00:00Z")]
    d.request({"op": "test_clock", "set_ms": utc("2026-06-16T06:00:00") + 100})
    assert wait_until(lambda: tok in rig.sim.tokens("apns"), timeout=5)


def test_quiet_hours_config_is_checked(rig):
    bad = rig.config(extra='[policy]\nquiet_hours = "22:00-08:00"\ndefault_tz = "Mars/Olympus"\n')
    out = subprocess.run([binpath("pushgwd"), "--check-config", "--config", "/dev/stdin"], input=bad,
                         capture_output=True, text=True, timeout=30)
    assert out.returncode != 0 and "default_tz" in out.stderr


def test_scheduled_send_with_the_spool_survives_kill9():
    rig = Rig()
    try:
        cfg = rig.config(extra='[spool]\npath = "%s/spool"\n' % rig.dir,
                         delivery="max_attempts = 3\nmax_retry_seconds = 120")
        d = rig.daemon(cfg)
        rig.sim.admin("/faults", "refuse_for=60")  # the immediate one cannot be delivered yet
        now_tok, later_tok = apns_token(80), apns_token(81)
        send_at = int(time.time()) + 4
        r = send(d, [notif([now_tok]), notif([later_tok], send_at=send_at)], wait=False)
        assert r["ok"] and r["accepted"] == 2 and r["scheduled"] == 1
        d.kill9()
        rig.sim.admin("/faults", "")
        d.start()
        # The journaled immediate recipient is replayed; the scheduled one is
        # neither lost nor duplicated by the replay.
        assert wait_until(lambda: now_tok in rig.sim.tokens("apns"), timeout=30)
        assert wait_until(lambda: later_tok in rig.sim.tokens("apns"), timeout=30)
        assert time.time() >= send_at - 1
        time.sleep(1.0)
        assert rig.sim.tokens("apns") == {now_tok: 1, later_tok: 1}
        # Once sent, nothing is left to replay or to claim.
        d.kill9()
        d.start()
        time.sleep(1.5)
        assert rig.sim.tokens("apns") == {now_tok: 1, later_tok: 1}
        assert d.terminate() == 0
    finally:
        rig.close()


def test_a_claimed_scheduled_send_survives_kill9_before_its_outcome():
    """Without a spool, a due row is deleted only once its outcome is
    committed: a kill -9 while the provider cannot be reached leaves it in
    the store, and after the restart it is sent (issue 16, item 7)."""
    rig = Rig()
    try:
        cfg = rig.config(delivery="max_attempts = 10\nmax_retry_seconds = 120")
        d = rig.daemon(cfg, env=HOOKS)
        rig.sim.admin("/faults", "refuse_for=60")  # claimed and queued, but not delivered
        tok = apns_token(90)
        send_at = int(time.time()) + 2
        r = send(d, [notif([tok], send_at=send_at, schedule_key="crash-1")], wait=False)
        assert r["ok"] and r["scheduled"] == 1
        # Claimed: the row leaves the listing (it is being sent) ...
        assert wait_until(lambda: d.request({"op": "scheduled", "schedule_key": "crash-1"})["scheduled"] == [],
                          timeout=20)
        time.sleep(0.5)  # ... its recipient waits on a sender that cannot connect
        assert tok not in rig.sim.tokens("apns")
        d.kill9()
        rig.sim.admin("/faults", "")
        d.start()
        # The lease the dead process took ends (the test clock jumps past
        # it): the row is claimed again and sent, once.
        assert d.request({"op": "test_clock", "advance_ms": 120_000})["ok"]
        assert wait_until(lambda: tok in rig.sim.tokens("apns"), timeout=30)
        time.sleep(1.0)
        assert rig.sim.tokens("apns") == {tok: 1}
        # Delivered and committed: the row is gone, a restart sends nothing.
        d.kill9()
        d.start()
        assert d.request({"op": "test_clock", "advance_ms": 120_000})["ok"]
        time.sleep(1.5)
        assert rig.sim.tokens("apns") == {tok: 1}
        assert d.terminate() == 0
    finally:
        rig.close()
