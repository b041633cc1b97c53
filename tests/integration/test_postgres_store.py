"""[store] backend = "postgres": two pushgwd instances (their own sockets)
sharing one PostgreSQL database (pg_rig.py: a throwaway server on loopback)
against one pushgw-sim. Suppression learned through one applies to sends
through the other within a second; the feedback change-feed is one; the
marketing frequency caps hold across instances; token states survive a
restart; the DSN's password is never logged."""
import os
import re
import socket
import time
import urllib.error
import urllib.request

import pytest

from harness import apns_token, free_port, metric, wait_until
from pg_rig import PgServer

# Part of the DSN: trust authentication ignores it, but it must never be logged.
SECRET = "pg-s3cret-do-not-log"
# "Within 1 s" is the contract; this is how long the tests give it.
FOLLOW_BOUND_S = 1.0


@pytest.fixture(scope="module")
def pg():
    server = PgServer()
    yield server
    server.stop()


_dbs = [0]


def new_dsn(pg):
    _dbs[0] += 1
    return pg.create_db("it_%d" % _dbs[0]) + " password=" + SECRET


def pg_config(rig, dsn, extra=""):
    text = rig.config(extra=extra)
    sqlite = '[store]\npath = "%s/pushgw.db"\n' % rig.dir
    assert sqlite in text
    return text.replace(sqlite, '[store]\nbackend = "postgres"\ndsn = "%s"\n' % dsn)


def send(d, tokens, campaign="spring-sale", **kw):
    n = {"platform": "apns", "app": "shop-ios", "tokens": tokens, "payload": {"aps": {"alert": "hi"}}}
    n.update(kw)
    r = d.request({"op": "send", "wait": True, "campaign": campaign, "notifications": [n]})
    assert r["ok"] is True, r
    return r


def statuses(resp):
    return [x["status"] for x in resp["results"]]


def sim_requests(rig):
    return rig.sim.stats()["requests"]


def test_suppression_learned_by_a_applies_to_sends_through_b(rig, pg):
    dsn = new_dsn(pg)
    a = rig.daemon(pg_config(rig, dsn), name="a")
    b = rig.daemon(pg_config(rig, dsn), name="b")
    dead, bad, good = apns_token(1, "410"), apns_token(2, "4000"), apns_token(3)
    assert statuses(send(a, [dead, bad, good])) == ["unsubscribed", "invalid", "delivered"]
    time.sleep(FOLLOW_BOUND_S)
    before = sim_requests(rig)
    r = send(b, [dead, bad, good])
    assert statuses(r) == ["suppressed", "suppressed", "delivered"]
    assert sim_requests(rig) == before + 1  # only `good` reached the provider
    assert b.request({"op": "stats"})["platforms"]["apns"]["suppressed"] == 2
    # Both see the token's stored state.
    for d in (a, b):
        t = d.request({"op": "token", "platform": "apns", "app": "shop-ios", "token": dead})
        assert t["state"] == "unsubscribed" and t["reason"] == "Unregistered"

    # A forget through B lifts the suppression on A as well.
    assert b.request({"op": "forget", "platform": "apns", "app": "shop-ios", "token": dead})["forgotten"] is True
    time.sleep(FOLLOW_BOUND_S)
    before = sim_requests(rig)
    assert statuses(send(a, [dead])) == ["unsubscribed"]  # sent again: the sim still answers 410
    assert sim_requests(rig) == before + 1
    for d in (a, b):
        assert SECRET not in d.logs()


def test_feedback_feed_is_identical_through_either_instance(rig, pg):
    dsn = new_dsn(pg)
    a = rig.daemon(pg_config(rig, dsn), name="a")
    b = rig.daemon(pg_config(rig, dsn), name="b")
    send(a, [apns_token(10 + i, "410") for i in range(3)], campaign="via-a")
    send(b, [apns_token(20 + i, "4000") for i in range(2)] + [apns_token(29)], campaign="via-b")
    send(a, [apns_token(30, "410")], campaign="via-a")
    fa = a.request({"op": "feedback", "id": "f", "since": 0, "limit": 1000})
    fb = b.request({"op": "feedback", "id": "f", "since": 0, "limit": 1000})
    assert fa == fb
    ev = fa["events"]
    assert len(ev) == 6
    seqs = [e["seq"] for e in ev]
    assert seqs == sorted(seqs) and len(set(seqs)) == 6
    assert [e["campaign"] for e in ev] == ["via-a"] * 3 + ["via-b"] * 2 + ["via-a"]
    assert fa["next"] == seqs[-1] + 1
    # Paging through alternating instances reproduces the same feed.
    got, since, turn = [], 0, 0
    while True:
        page = (a, b)[turn % 2].request({"op": "feedback", "since": since, "limit": 2})
        turn += 1
        if not page["events"]:
            assert page["next"] == since
            break
        got += page["events"]
        since = page["next"]
    assert got == ev
    # The campaign counters are shared too.
    ca = a.request({"op": "campaign", "campaign": "via-b"})
    cb = b.request({"op": "campaign", "campaign": "via-b"})
    assert ca == cb and ca["invalid"] == 2 and ca["delivered"] == 1


def test_marketing_cap_holds_across_instances(rig, pg):
    dsn = new_dsn(pg)
    policy = "\n[policy]\nmarketing_per_hour = 1\n"
    a = rig.daemon(pg_config(rig, dsn, policy), name="a")
    b = rig.daemon(pg_config(rig, dsn, policy), name="b")
    t1, t2 = apns_token(40), apns_token(41)
    assert statuses(send(a, [t1], **{"class": "marketing"})) == ["delivered"]
    assert statuses(send(b, [t2], **{"class": "marketing"})) == ["delivered"]
    time.sleep(FOLLOW_BOUND_S)
    before = sim_requests(rig)
    assert statuses(send(b, [t1], **{"class": "marketing"})) == ["capped"]
    assert statuses(send(a, [t2], **{"class": "marketing"})) == ["capped"]
    assert sim_requests(rig) == before
    # Transactional sends are not capped, on either instance.
    assert statuses(send(b, [t1])) == ["delivered"]
    # A new instance rebuilds the windows from the shared table.
    c = rig.daemon(pg_config(rig, dsn, policy), name="c")
    assert statuses(send(c, [t1, t2], **{"class": "marketing"})) == ["capped", "capped"]
    assert sim_requests(rig) == before + 1


def test_restart_against_the_same_database_keeps_token_states(rig, pg):
    dsn = new_dsn(pg)
    a = rig.daemon(pg_config(rig, dsn), name="a")
    dead, good = apns_token(50, "410"), apns_token(51)
    assert statuses(send(a, [dead, good, good])) == ["unsubscribed", "delivered", "delivered"]
    assert a.terminate() == 0
    a2 = rig.daemon(pg_config(rig, dsn), name="a")
    assert re.search(r"schema v(\d+) \(was v\1\)", a2.logs())  # found the schema, nothing to migrate
    g = a2.request({"op": "token", "platform": "apns", "app": "shop-ios", "token": good})
    assert g["state"] == "active" and g["sent"] == 2 and g["delivered"] == 2
    d = a2.request({"op": "token", "platform": "apns", "app": "shop-ios", "token": dead})
    assert d["state"] == "unsubscribed"
    before = sim_requests(rig)
    assert statuses(send(a2, [dead])) == ["suppressed"]  # loaded from the table at start
    assert sim_requests(rig) == before
    fb = a2.request({"op": "feedback", "since": 0, "limit": 10})
    assert [e["token"] for e in fb["events"]] == [dead]
    assert a2.request({"op": "stats"})["store"]["unsubscribed"] == 1
    assert SECRET not in a2.logs()


def test_check_config_requires_a_dsn_and_never_prints_it(rig, pg):
    import subprocess

    from harness import binpath
    text = rig.config().replace('[store]\npath = "%s/pushgw.db"\n' % rig.dir, '[store]\nbackend = "postgres"\n')
    path = rig.dir + "/nodsn.toml"
    open(path, "w").write(text)
    r = subprocess.run([binpath("pushgwd"), "--check-config", "--config", path], capture_output=True, text=True)
    assert r.returncode != 0
    assert "store.backend: backend \"postgres\" needs a non-empty dsn" in r.stdout + r.stderr
    ok = pg_config(rig, new_dsn(pg))
    open(path, "w").write(ok)
    r = subprocess.run([binpath("pushgwd"), "--check-config", "--config", path], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert SECRET not in r.stdout + r.stderr


def test_scheduled_send_fires_exactly_once_with_two_instances(rig, pg):
    # Both instances poll the shared `scheduled` table; a due row is claimed
    # by exactly one of them (FOR UPDATE SKIP LOCKED), so every recipient
    # reaches the provider once. A cancel through the other instance reaches
    # rows written through the first.
    from harness import wait_until
    dsn = new_dsn(pg)
    a = rig.daemon(pg_config(rig, dsn), name="a")
    b = rig.daemon(pg_config(rig, dsn), name="b")
    toks = [apns_token(700 + i) for i in range(40)]
    send_at = int(time.time()) + 3
    r = send(a, toks, campaign="cart", send_at=send_at, schedule_key="cart-pg-1")
    assert statuses(r) == ["scheduled"] * len(toks)
    gone = [apns_token(800 + i) for i in range(5)]
    send(a, gone, campaign="cart", send_at=send_at, schedule_key="cart-pg-2")
    listed = b.request({"op": "scheduled", "schedule_key": "cart-pg-2"})
    assert len(listed["scheduled"]) == len(gone)
    assert b.request({"op": "cancel", "schedule_key": "cart-pg-2"})["cancelled"] == len(gone)

    def arrived():
        seen = rig.sim.tokens("apns")
        return all(t in seen for t in toks)
    assert wait_until(arrived, timeout=15)
    time.sleep(3)  # a second claim (by either instance) would show up by now
    seen = rig.sim.tokens("apns")
    assert all(seen[t] == 1 for t in toks), {t: seen[t] for t in toks if seen[t] != 1}
    assert not any(t in seen for t in gone)
    assert a.request({"op": "scheduled", "schedule_key": "cart-pg-1"})["scheduled"] == []


def http_get(port, path):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_a_store_outage_refuses_sends_keeps_the_loops_and_recovers(rig, pg):
    """PostgreSQL stopped under a running daemon (issue 16, item 9): the loops
    keep turning (WATCHDOG=1 goes on), sends are refused store_unavailable,
    STATUS=, /healthz (503 with the reason) and pushgw_store_available show
    it; once PostgreSQL is back, commits resume and sends are accepted."""
    dsn = new_dsn(pg)
    port = free_port()
    text = rig.config(metrics="127.0.0.1:%d" % port)
    sqlite = '[store]\npath = "%s/pushgw.db"\n' % rig.dir
    text = text.replace(sqlite, '[store]\nbackend = "postgres"\ndsn = "%s"\n' % dsn)
    path = os.path.join(rig.dir, "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(0.2)

    def collect(seconds):
        msgs, end = [], time.time() + seconds
        while time.time() < end:
            try:
                msgs.append(sock.recv(4096).decode())
            except socket.timeout:
                pass
        return msgs

    a = rig.daemon(text, name="a", env={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "1000000"})
    try:
        assert statuses(send(a, [apns_token(60)])) == ["delivered"]
        assert http_get(port, "/healthz")[0] == 200
        assert metric(port, "pushgw_store_available") == 1
        collect(0.5)
        pg.halt()
        try:
            # The daemon learns of the outage when a commit fails: these
            # outcomes cannot be recorded (they wait, nothing is lost).
            r = a.request({"op": "send", "wait": False, "notifications": [
                {"platform": "apns", "app": "shop-ios", "tokens": [apns_token(61)],
                 "payload": {"aps": {"alert": "during"}}}]})
            assert r["ok"] is True, r
            assert wait_until(lambda: a.request({"op": "stats"})["store"]["available"] is False, timeout=30)
            refused = a.request({"op": "send", "wait": True, "notifications": [
                {"platform": "apns", "app": "shop-ios", "tokens": [apns_token(62)],
                 "payload": {"aps": {"alert": "refused"}}}]})
            assert refused["ok"] is False and refused["error"] == "store_unavailable", refused
            code, body = http_get(port, "/healthz")
            assert code == 503 and "store unavailable" in body, (code, body)
            assert metric(port, "pushgw_store_available") == 0
            during = collect(3.0)
            assert any("WATCHDOG=1" in m for m in during), during  # every loop still turns
            assert any("STATUS=" in m and "store unavailable" in m for m in during), during
            assert a.proc.poll() is None
        finally:
            pg.resume()
        assert wait_until(lambda: a.request({"op": "stats"})["store"]["available"] is True, timeout=60)
        assert statuses(send(a, [apns_token(63)])) == ["delivered"]
        assert http_get(port, "/healthz")[0] == 200
        assert metric(port, "pushgw_store_available") == 1
        # What was accepted before the outage was noticed is recorded too.
        t = a.request({"op": "token", "platform": "apns", "app": "shop-ios", "token": apns_token(61)})
        assert t["ok"] is True and t["delivered"] == 1, t
        assert a.terminate() == 0
    finally:
        sock.close()
