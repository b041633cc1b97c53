"""Redis Streams ingest ([ingest.redis]): pushgwd instances consume a stream
with a consumer group beside the socket. Each test starts its own
redis-server (Debian package) on a free loopback port in its temp dir."""
import json
import os
import sys
import threading
import time
import urllib.request

import pytest

from harness import Rig, apns_token, free_port, wait_until
from redis_rig import RedisServer, fields, redis_section

STREAM = "pushgw:requests"
GROUP = "pushgw"


@pytest.fixture
def env():
    rig = Rig()
    redis = RedisServer(rig.dir)
    try:
        yield rig, redis
    finally:
        rig.close()
        redis.stop()


def send_line(tokens, rid=None, wait=False):
    req = {"op": "send", "wait": wait, "notifications": [
        {"platform": "apns", "app": "shop-ios", "tokens": tokens, "payload": {"aps": {"alert": "r"}}}]}
    if rid is not None:
        req["id"] = rid
    return json.dumps(req, separators=(",", ":"))


def xadd_all(r, lines, stream=STREAM):
    return r.pipeline([["XADD", stream, "*", "request", line] for line in lines])


def pending_count(r, stream=STREAM, group=GROUP):
    return r.call("XPENDING", stream, group)[0]


def read_stream(r, stream):
    """Every entry of a stream as (id, {field: value})."""
    return [(e[0], fields(e[1])) for e in r.call("XRANGE", stream, "-", "+")]


def test_entries_are_delivered_once_and_acknowledged(env):
    rig, redis = env
    d = rig.daemon(rig.config(extra=redis_section(redis.url, batch=7)))
    r = redis.client()
    tokens = [apns_token(i) for i in range(300)]
    xadd_all(r, [send_line(tokens[i:i + 10], rid="e%d" % i) for i in range(0, 300, 10)])
    assert wait_until(lambda: len(rig.sim.tokens("apns")) == 300, timeout=60)
    assert wait_until(lambda: pending_count(r) == 0, timeout=30)
    seen = rig.sim.tokens("apns")
    assert set(seen) == set(tokens) and max(seen.values()) == 1
    st = d.request({"op": "stats"})["redis"]
    assert st["read"] == 30 and st["acked"] == 30 and st["errors"] == 0 and st["in_flight"] == 0
    assert st["connected"] is True
    group = [fields(g) for g in r.call("XINFO", "GROUPS", STREAM)][0]
    assert group["name"] == GROUP and group["pending"] == 0
    assert d.terminate() == 0


def test_bad_entries_are_acknowledged_and_reported(env):
    rig, redis = env
    d = rig.daemon(rig.config(extra=redis_section(redis.url, results_stream="pushgw:results")))
    r = redis.client()
    ids = [
        r.call("XADD", STREAM, "*", "request", "{not json"),
        r.call("XADD", STREAM, "*", "request", json.dumps({"op": "stats", "id": "s"})),
        r.call("XADD", STREAM, "*", "request", json.dumps({"op": "send", "id": "b", "notifications": "nope"})),
        r.call("XADD", STREAM, "*", "payload", "no request field here"),
        r.call("XADD", STREAM, "*", "request", send_line(["zz", apns_token(1)], rid="good", wait=False)),
    ]
    assert wait_until(lambda: len(read_stream(r, "pushgw:results")) == 5, timeout=30)
    assert wait_until(lambda: pending_count(r) == 0, timeout=30)
    results = {f["id"]: json.loads(f["result"]) for _, f in read_stream(r, "pushgw:results")}
    assert set(results) == set(ids)
    assert results[ids[0]]["ok"] is False and results[ids[0]]["error"] == "parse_error"
    assert results[ids[1]]["error"] == "unknown_op" and results[ids[1]]["id"] == "s"
    assert results[ids[2]]["error"] == "bad_request" and results[ids[2]]["id"] == "b"
    assert results[ids[3]]["error"] == "bad_request" and "request" in results[ids[3]]["message"]
    good = results[ids[4]]
    assert good["ok"] is True and good["id"] == "good" and good["accepted"] == 1
    assert [x["error"] for x in good["rejected"]] == ["bad_token"]
    assert [x["status"] for x in good["results"]] == ["delivered"]
    assert rig.sim.tokens("apns") == {apns_token(1): 1}
    st = d.request({"op": "stats"})["redis"]
    assert st["errors"] == 4 and st["acked"] == 5 and st["results"] == 5
    assert d.terminate() == 0


def test_results_and_feedback_streams(env):
    rig, redis = env
    d = rig.daemon(rig.config(extra=redis_section(redis.url, results_stream="pushgw:results",
                                                  feedback_stream="pushgw:feedback")))
    r = redis.client()
    good, gone = apns_token(5), apns_token(6, "410")
    entry = r.call("XADD", STREAM, "*", "request", send_line([good, gone], rid="mixed"))
    assert wait_until(lambda: len(read_stream(r, "pushgw:results")) == 1, timeout=30)
    (_, f), = read_stream(r, "pushgw:results")
    assert f["id"] == entry
    res = json.loads(f["result"])
    assert res["id"] == "mixed" and res["accepted"] == 2
    assert {(x["token"], x["status"]) for x in res["results"]} == {(good, "delivered"), (gone, "unsubscribed")}
    # The store's change-feed, copied once into the feedback stream.
    assert wait_until(lambda: len(read_stream(r, "pushgw:feedback")) == 1, timeout=30)
    (_, fb), = read_stream(r, "pushgw:feedback")
    ev = json.loads(fb["feedback"])
    assert ev["token"] == gone and ev["kind"] == "unsubscribed" and ev["seq"] >= 1 and fb["store"]
    # Published exactly once across a restart: the cursor lives in Redis.
    assert d.terminate() == 0
    d.start()
    time.sleep(2.5)  # two publishing rounds of the restarted daemon
    assert len(read_stream(r, "pushgw:feedback")) == 1
    assert d.request({"op": "stats"})["redis"]["feedback"] == 0
    assert d.terminate() == 0


def test_socket_still_works_beside_redis(env):
    rig, redis = env
    mport = free_port()
    d = rig.daemon(rig.config(extra=redis_section(redis.url), metrics="127.0.0.1:%d" % mport))
    r = redis.client()
    xadd_all(r, [send_line([apns_token(100 + i)]) for i in range(5)])
    resp = d.request(json.loads(send_line([apns_token(1)], rid="sock", wait=True)))
    assert resp["ok"] and resp["id"] == "sock" and resp["results"][0]["status"] == "delivered"
    assert wait_until(lambda: len(rig.sim.tokens("apns")) == 6, timeout=30)
    st = d.request({"op": "stats"})
    assert st["platforms"]["apns"]["accepted"] == 6 and st["redis"]["read"] == 5
    assert wait_until(lambda: d.request({"op": "stats"})["redis"]["acked"] == 5, timeout=30)
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % mport, timeout=10) as resp:
        metrics = resp.read().decode()
    assert 'pushgw_redis_entries_total{event="read"} 5' in metrics
    assert 'pushgw_redis_entries_total{event="acked"} 5' in metrics
    assert d.terminate() == 0


def test_starts_without_redis_and_connects_when_it_appears(env):
    rig, redis = env
    redis.stop()
    d = rig.daemon(rig.config(extra=redis_section("redis://:s3cret-pw@127.0.0.1:%d" % redis.port)))
    assert d.request({"op": "ping"})["ok"]
    assert d.request({"op": "stats"})["redis"]["connected"] is False
    # The daemon keeps trying (with backoff); a server appears on that port.
    later = RedisServer(rig.dir, port=redis.port)
    try:
        r = later.client()
        r.call("CONFIG", "SET", "requirepass", "s3cret-pw")
        r.call("AUTH", "s3cret-pw")
        r.call("XADD", STREAM, "*", "request", send_line([apns_token(9)]))
        assert wait_until(lambda: len(rig.sim.tokens("apns")) == 1, timeout=30)
        assert wait_until(lambda: pending_count(r) == 0, timeout=30)
        st = d.request({"op": "stats"})["redis"]
        assert st["connected"] is True and st["reconnects"] >= 1
        assert d.terminate() == 0
        assert "s3cret" not in d.logs()
    finally:
        later.stop()


def test_spool_acknowledges_once_journaled_and_replays_after_kill9(env):
    rig, redis = env
    extra = '[spool]\npath = "%s/spool"\n' % rig.dir + redis_section(redis.url)
    d = rig.daemon(rig.config(extra=extra, delivery="max_attempts = 3\nmax_retry_seconds = 120"))
    rig.sim.admin("/faults", "refuse_for=60")  # nothing can be delivered
    r = redis.client()
    tokens = [apns_token(i, "a2") for i in range(40)]
    xadd_all(r, [send_line(tokens[i:i + 10]) for i in range(0, 40, 10)])
    # Acknowledged although nothing was delivered: the spool holds them.
    assert wait_until(lambda: d.request({"op": "stats"})["redis"]["acked"] == 4, timeout=30)
    assert pending_count(r) == 0 and rig.sim.tokens("apns") == {}
    d.kill9()
    rig.sim.admin("/faults", "")
    d.start()
    assert wait_until(lambda: len(rig.sim.tokens("apns")) == 40, timeout=60)
    seen = rig.sim.tokens("apns")
    assert set(seen) == set(tokens) and max(seen.values()) == 1
    assert d.request({"op": "stats"})["redis"]["read"] == 0  # replayed from the spool, not re-read
    assert d.terminate() == 0


def test_spool_with_results_acknowledges_at_journal_and_reports_at_the_end(env):
    rig, redis = env
    rig.sim.stop()
    from harness import Sim
    rig.sim = Sim(rig.dir, ["--slow-ms", "1500"], apns_keys=["%s:%s:%s" % (rig.TEAM, rig.KEY_ID, rig.apns_key)])
    extra = '[spool]\npath = "%s/spool"\n' % rig.dir + redis_section(redis.url, results_stream="pushgw:results")
    d = rig.daemon(rig.config(extra=extra))
    r = redis.client()
    entry = r.call("XADD", STREAM, "*", "request", send_line([apns_token(1, "de1a")], rid="slow"))
    # Journaled, so acknowledged while the provider still thinks.
    assert wait_until(lambda: d.request({"op": "stats"})["redis"]["acked"] == 1, timeout=30)
    assert pending_count(r) == 0 and read_stream(r, "pushgw:results") == []
    assert wait_until(lambda: len(read_stream(r, "pushgw:results")) == 1, timeout=30)
    (_, f), = read_stream(r, "pushgw:results")
    assert f["id"] == entry and json.loads(f["result"])["results"][0]["status"] == "delivered"
    assert d.terminate() == 0


def test_sigterm_leaves_unfinished_entries_pending_for_the_restart(env):
    rig, redis = env
    rig.sim.stop()
    from harness import Sim
    rig.sim = Sim(rig.dir, ["--slow-ms", "50", "--max-streams", "5"],
                  apns_keys=["%s:%s:%s" % (rig.TEAM, rig.KEY_ID, rig.apns_key)])
    # A stable consumer name: the restarted process reads its own pending
    # entries at once (no claim_idle_ms wait).
    cfg = rig.config(extra=redis_section(redis.url, consumer="node-1", batch=2, claim_idle_ms=600000), workers=1,
                     server_extra="drain_seconds = 1")
    d = rig.daemon(cfg)
    r = redis.client()
    tokens = [apns_token(i, "de1a") for i in range(2000)]
    xadd_all(r, [send_line(tokens[i:i + 50]) for i in range(0, len(tokens), 50)])
    assert wait_until(lambda: rig.sim.stats()["apns"]["delivered"] >= 200, timeout=60)
    assert d.terminate() == 0
    held = r.call("XPENDING", STREAM, GROUP, "-", "+", 1000, "node-1")
    assert 0 < len(held) < 40  # finished entries were acknowledged, interrupted ones stay pending
    d.start()
    assert wait_until(lambda: len(rig.sim.tokens("apns")) == len(tokens), timeout=120, interval=0.2)
    assert wait_until(lambda: pending_count(r) == 0, timeout=30)
    st = d.request({"op": "stats"})["redis"]
    assert st["redelivered"] == len(held)
    dups = sum(n - 1 for n in rig.sim.tokens("apns").values())
    assert dups <= len(held) * 50
    assert d.terminate() == 0


def test_unix_socket_url(env):
    rig, redis = env
    sock = os.path.join(rig.dir, "redis.sock")  # unixsocket cannot be set at run time: a second server
    later = RedisServer(rig.dir, extra_args=["--unixsocket", sock, "--unixsocketperm", "700"])
    try:
        d = rig.daemon(rig.config(extra=redis_section("unix:" + sock + "?db=3")))
        c = later.client()
        c.call("SELECT", "3")
        c.call("XADD", STREAM, "*", "request", send_line([apns_token(3)]))
        assert wait_until(lambda: len(rig.sim.tokens("apns")) == 1, timeout=30)
        assert wait_until(lambda: pending_count(c) == 0, timeout=30)
        assert d.terminate() == 0
    finally:
        later.stop()


def test_two_instances_kill9_one_the_other_takes_over(env):
    # Slow answers (de1a... tokens wait --slow-ms) so the kill lands mid-load.
    rig, redis = env
    rig.sim.stop()
    from harness import Sim
    rig.sim = Sim(rig.dir, ["--slow-ms", "20", "--max-streams", "50"],
                  apns_keys=["%s:%s:%s" % (rig.TEAM, rig.KEY_ID, rig.apns_key)])
    per_entry, entries = 100, 200  # 20,000 recipients
    section = lambda name: redis_section(redis.url, consumer=name, batch=5, claim_idle_ms=1000)
    cfg = lambda name: rig.config(extra=section(name), workers=2, server_extra="max_queued = 2000",
                                  delivery="max_attempts = 5\nmax_retry_seconds = 120")
    a = rig.daemon(cfg("a"), name="a")
    b = rig.daemon(cfg("b"), name="b")
    r = redis.client()
    tokens = [apns_token(i, "de1a") for i in range(per_entry * entries)]
    xadd_all(r, [send_line(tokens[i:i + per_entry]) for i in range(0, len(tokens), per_entry)])
    assert wait_until(lambda: rig.sim.stats()["apns"]["delivered"] >= 5000, timeout=120)
    a_stats = a.request({"op": "stats"})["redis"]
    a.kill9()
    # What the dead consumer held unacknowledged: the duplicate bound.
    held = r.call("XPENDING", STREAM, GROUP, "-", "+", 100000, "a")
    bound = len(held) * per_entry
    assert a_stats["read"] > 0 and len(held) > 0

    def all_delivered():
        seen = rig.sim.tokens("apns")
        return len(seen) == len(tokens)
    assert wait_until(all_delivered, timeout=300, interval=0.5)
    assert wait_until(lambda: pending_count(r) == 0, timeout=60)
    seen = rig.sim.tokens("apns")
    assert set(seen) == set(tokens)
    dups = sum(n - 1 for n in seen.values())
    st = b.request({"op": "stats"})["redis"]
    sys.stderr.write("two instances, kill -9 of one: %d recipients, a held %d entries (%d recipients) at the kill, "
                     "b claimed %d entries, duplicates %d (bound %d)\n"
                     % (len(tokens), len(held), bound, st["claimed"], dups, bound))
    assert st["claimed"] >= len(held)
    assert dups <= bound, (dups, bound)
    assert b.terminate() == 0


def test_back_pressure_keeps_memory_bounded(env):
    rig, redis = env
    rig.sim.stop()
    from harness import Sim
    rig.sim = Sim(rig.dir, ["--slow-ms", "50", "--max-streams", "10"],
                  apns_keys=["%s:%s:%s" % (rig.TEAM, rig.KEY_ID, rig.apns_key)])
    d = rig.daemon(rig.config(extra=redis_section(redis.url, batch=10), workers=1,
                              server_extra="max_queued = 1000\ndrain_seconds = 1"))
    r = redis.client()
    per_entry, entries = 100, 2000  # 200,000 recipients, far more than max_queued
    for start in range(0, entries, 200):
        xadd_all(r, [send_line([apns_token(i * per_entry + k, "de1a") for k in range(per_entry)])
                     for i in range(start, start + 200)])
    assert wait_until(lambda: d.request({"op": "stats"})["redis"]["read"] > 0, timeout=30)
    base = d.rss_kb()
    peak_read = 0
    for _ in range(20):
        time.sleep(0.25)
        st = d.request({"op": "stats"})
        peak_read = max(peak_read, st["redis"]["in_flight"])
        # Queued recipients stay within the ring and the in-flight window
        # (1024 each at this max_queued) plus one read batch.
        assert st["queue_depth"] <= 2 * 1024 + 10 * per_entry, st["queue_depth"]
    rss = d.rss_kb()
    st = d.request({"op": "stats"})["redis"]
    lag = entries - st["read"]
    sys.stderr.write("back-pressure: read %d of %d entries, at most %d held, RSS %d -> %d kB\n"
                     % (st["read"], entries, peak_read, base, rss))
    assert lag > entries // 2  # most of the stream is still waiting in Redis
    assert peak_read <= 2 * 1024 // per_entry + 2 * 10
    assert rss - base < 64 * 1024
    d.terminate()


def test_redis_bench_smoke():
    """tools/bench/redis_bench.py runs end to end (tiny load, its own rig)."""
    import subprocess
    from harness import BIN
    here = os.path.dirname(os.path.abspath(__file__))
    out = subprocess.run([sys.executable, os.path.join(here, "../../tools/bench/redis_bench.py"), "--bin-dir", BIN,
                          "--sink", "sim", "--recipients", "3000", "--batch", "100", "--runs", "1",
                          "--instances", "1,2", "--vs-socket"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-2000:]
    summary = json.loads(out.stdout[out.stdout.index('{\n'):])["summary"]
    assert set(summary) == {"socket x1", "redis x1", "redis x2"}
    assert all(v["notifications_per_s"] > 0 for v in summary.values())


# ---- poison entries (issue 15, item 10): an entry delivered max_deliveries times
# without finishing (each crash of a consumer holding it counts) is
# dead-lettered, acknowledged with a result saying why, never sent again.

def held_by_dead_consumer(r, line, deliveries):
    """An entry a crashed consumer read `deliveries` times and never acknowledged."""
    entry = r.call("XADD", STREAM, "*", "request", line)
    r.call("XREADGROUP", "GROUP", GROUP, "crashed-1", "COUNT", "1", "STREAMS", STREAM, ">")
    r.call("XCLAIM", STREAM, GROUP, "crashed-1", "0", entry, "RETRYCOUNT", str(deliveries), "IDLE", "600000")
    return entry


@pytest.mark.parametrize("own", [False, True], ids=["claimed", "own_pending"])
def test_entry_delivered_max_deliveries_times_is_dead_lettered(env, own):
    rig, redis = env
    r = redis.client()
    r.call("XGROUP", "CREATE", STREAM, GROUP, "$", "MKSTREAM")
    poison_tok, ok_tok = apns_token(1), apns_token(2)
    # Own pending list: the daemon's consumer name is the crashed one's (a
    # restart with a fixed [ingest.redis] consumer); else it claims them.
    consumer = "crashed-1" if own else None
    poison = held_by_dead_consumer(r, send_line([poison_tok], rid="poison", wait=True), 5)
    fine = held_by_dead_consumer(r, send_line([ok_tok], rid="fine", wait=True), 2)
    section = redis_section(redis.url, consumer=consumer, claim_idle_ms=500, results_stream="pushgw:results")
    d = rig.daemon(rig.config(extra=section + "max_deliveries = 5\n"))
    assert wait_until(lambda: len(r.call("XRANGE", "pushgw:results", "-", "+")) == 2, timeout=60)
    results = {fields(e[1])["id"]: json.loads(fields(e[1])["result"]) for e in r.call("XRANGE", "pushgw:results", "-", "+")}
    assert results[poison]["ok"] is False and results[poison]["error"] == "dead_letter", results[poison]
    assert "max_deliveries" in results[poison]["message"]
    assert results[fine]["ok"] is True and results[fine]["results"][0]["status"] == "delivered"
    assert wait_until(lambda: r.call("XPENDING", STREAM, GROUP)[0] == 0, timeout=30)
    assert rig.sim.tokens("apns") == {ok_tok: 1}  # the poison entry was never sent
    assert d.request({"op": "stats"})["redis"]["dead_lettered"] == 1
    assert "dead-lettered" in d.logs()
