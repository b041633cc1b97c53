"""A broken or hostile Redis server (issue 15: "Socket, Redis and HTTP
clients may be buggy or hostile"): what it declares must not make pushgwd
allocate without bound. hiredis 0.14 callocs an array header's declared
count up front and buffers a bulk until all of it is in; pushgwd refuses a
reply over the bound (README "Limits": max_read_bytes + server.max_line_bytes
+ 1 KiB per batch entry, and max(65,536, 64 x batch) elements), logs it,
counts it, drops the connection and reconnects with backoff.

A fake Redis (fake_redis.py) answers the source's blocking XREADGROUP with
the hostile reply, again after each reconnect. Meanwhile socket ingest
delivers to pushgw-sim, and the daemon's memory stays bounded.

With a real redis-server: legitimate entries too large to come in one read
are refused once, then read one by one, none lost or dead-lettered."""
import json

import pytest

from fake_redis import FakeRedis, send_then_stream
from harness import Rig, apns_token, free_port, metric, sanitized_build, statuses, send_apns, wait_until
from redis_rig import redis_section

PASSWORD = "s3cret-pw"
MAX_READ_BYTES = 65536
MAX_LINE_BYTES = 65536
BATCH = 100
# reply_limits(): what one reply may hold, and what the reader may buffer unparsed.
BOUND = MAX_READ_BYTES + MAX_LINE_BYTES + BATCH * 1024

# The start of an XREADGROUP answer: one stream, one entry whose request is
# the bulk that follows.
ENTRY_HEAD = b"*1\r\n*2\r\n$4\r\nreqs\r\n*1\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$7\r\nrequest\r\n"

HOSTILE = {
    # 14 bytes that, unbounded, calloc 16 GB (the address space shows it).
    "huge_array": lambda: send_then_stream(b"*2000000000\r\n", b"", 0),
    # A declared huge array then filled: unbounded, each 4 bytes sent cost
    # a reply object and a pointer (about 18 x in memory).
    "huge_array_filled": lambda: send_then_stream(b"*1000000000\r\n", b":1\r\n" * 4096, 32 << 20),
    # Nested headers: each level another 64 MB calloc for 11 bytes.
    "nested_arrays": lambda: send_then_stream(b"*8000000\r\n" * 7, b"", 0),
    # A bulk declared 4 GB, then streamed: unbounded, hiredis buffers it all.
    "huge_bulk": lambda: send_then_stream(ENTRY_HEAD + b"$4000000000\r\n", b"x" * 65536, 256 << 20),
}


def vm_kb(d, key):
    with open("/proc/%d/status" % d.proc.pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


@pytest.mark.parametrize("mode", sorted(HOSTILE))
def test_hostile_redis_reply_is_refused_with_memory_bounded(mode):
    rig = Rig()
    fake = FakeRedis()
    try:
        port = free_port()
        url = "redis://:%s@127.0.0.1:%d" % (PASSWORD, fake.port)
        cfg = rig.config(extra=redis_section(url, batch=BATCH) + "max_read_bytes = %d\n" % MAX_READ_BYTES,
                         server_extra="max_line_bytes = %d" % MAX_LINE_BYTES,
                         metrics="127.0.0.1:%d" % port)
        d = rig.daemon(cfg)
        # Connected, the group there, the blocking read out: the baseline.
        assert wait_until(lambda: fake.reads_held >= 1, timeout=30), d.logs()[-2000:]
        assert statuses(send_apns(d, [apns_token(i) for i in range(200)])) == {"delivered": 200}
        hwm0, peak0 = vm_kb(d, "VmHWM"), vm_kb(d, "VmPeak")

        fake.arm(HOSTILE[mode]())
        # Refused, dropped, reconnected, read again, refused again: a few
        # rounds (unbounded, the first answer is swallowed whole meanwhile
        # and the memory checks below tell).
        wait_until(lambda: d.request({"op": "stats"})["redis"]["replies_refused"] >= 3, timeout=60)
        # Socket ingest is served meanwhile.
        assert statuses(send_apns(d, [apns_token(1000 + i) for i in range(200)])) == {"delivered": 200}
        assert d.proc.poll() is None

        hwm, peak = vm_kb(d, "VmHWM"), vm_kb(d, "VmPeak")
        sent_mib = max(fake.sent) / 1048576
        print("%s: VmHWM %d -> %d KiB, VmPeak %d -> %d KiB, most sent in one answer %.1f MiB, bound %d bytes"
              % (mode, hwm0, hwm, peak0, peak, sent_mib, BOUND))
        if not sanitized_build():
            # The bound is BOUND (228 KiB) of buffer and as much of reply,
            # plus 65,536 elements (~7 MiB): far below what each answer
            # would cost unbounded (measured without the bound: address
            # space +20 GB for the array, the nested headers 7 x 64 MB;
            # resident +450 MB for the filled array, +530 MB for the bulk).
            assert (hwm - hwm0) / 1024 < 48, (hwm0, hwm)
            assert (peak - peak0) / 1024 < 128, (peak0, peak)
        if mode == "huge_bulk":
            # Dropped soon after BOUND arrived (the kernel's socket buffers
            # hold a few MiB more), not after the 256 MiB the server had.
            assert sent_mib < 32, fake.sent

        st = d.request({"op": "stats"})["redis"]
        assert st["replies_refused"] >= 3 and st["read"] == 0 and st["errors"] == 0, st
        assert wait_until(lambda: fake.hostile_answers >= 4, timeout=60)  # it reconnects and reads again
        assert metric(port, "pushgw_redis_replies_refused_total") >= 3
        logs = d.logs()
        assert "reply refused" in logs and "dropping the connection" in logs, logs[-3000:]
        assert PASSWORD not in logs
        assert d.terminate() == 0
    finally:
        fake.close()
        rig.close()


def test_entries_too_large_together_are_read_one_by_one_after_a_refusal():
    """Legitimate entries that grew: the first read (COUNT 100, learnt from
    nothing yet) would hold 20 entries of ~60 KB, over the bound (228 KiB).
    It is refused, and the next reads take one entry each: every entry is
    delivered once, nothing is dead-lettered."""
    from redis_rig import RedisServer
    rig = Rig()
    redis = RedisServer(rig.dir)
    try:
        cfg = rig.config(extra=redis_section(redis.url, batch=BATCH) + "max_read_bytes = %d\n" % MAX_READ_BYTES,
                         server_extra="max_line_bytes = %d" % MAX_LINE_BYTES)
        r = redis.client()
        tokens = [apns_token(i) for i in range(20 * 900)]
        lines = []
        for k in range(20):
            lines.append(json.dumps({"op": "send", "id": "big%d" % k, "notifications": [
                {"platform": "apns", "app": "shop-ios", "tokens": tokens[k * 900:(k + 1) * 900],
                 "payload": {"aps": {"alert": "big"}}}]}, separators=(",", ":")))
        assert all(55000 < len(x) < MAX_LINE_BYTES for x in lines)
        assert sum(len(x) for x in lines) > 4 * BOUND
        r.pipeline([["XADD", "pushgw:requests", "*", "request", x] for x in lines])
        d = rig.daemon(cfg)
        assert wait_until(lambda: len(rig.sim.tokens("apns")) == len(tokens), timeout=120), d.logs()[-3000:]
        assert wait_until(lambda: r.call("XPENDING", "pushgw:requests", "pushgw")[0] == 0, timeout=60)
        assert max(rig.sim.tokens("apns").values()) == 1
        st = d.request({"op": "stats"})["redis"]
        assert st["replies_refused"] >= 1 and st["dead_lettered"] == 0 and st["errors"] == 0, st
        assert st["read"] + st["redelivered"] == 20, st
        assert "reply refused" in d.logs()
        assert d.terminate() == 0
    finally:
        rig.close()
        redis.stop()


def test_huge_bulk_with_the_default_config_stays_under_the_stated_bound():
    """README "Limits": per connection under 3 x the byte bound + 4 MiB +
    100 bytes per element, 250 MiB with the default config (byte bound
    64 MiB + 16 MiB + 100 KiB, 65,536 elements)."""
    rig = Rig()
    fake = FakeRedis()
    try:
        d = rig.daemon(rig.config(extra=redis_section(fake.url)))
        assert wait_until(lambda: fake.reads_held >= 1, timeout=30), d.logs()[-2000:]
        hwm0 = vm_kb(d, "VmHWM")
        fake.arm(send_then_stream(ENTRY_HEAD + b"$4000000000\r\n", b"x" * 65536, 1 << 30))
        # Under TSan each refused 80 MiB answer took about a minute to read.
        wait_until(lambda: d.request({"op": "stats"})["redis"]["replies_refused"] >= 3,
                   timeout=600 if sanitized_build() else 120)
        grown_mib = (vm_kb(d, "VmHWM") - hwm0) / 1024
        print("defaults: VmHWM +%.1f MiB, most sent in one answer %.1f MiB" % (grown_mib, max(fake.sent) / 1048576))
        if not sanitized_build():
            byte_bound = (64 << 20) + (16 << 20) + 100 * 1024
            assert grown_mib < (3 * byte_bound + (4 << 20) + 100 * 65536) / 1048576, grown_mib
        assert d.request({"op": "stats"})["redis"]["replies_refused"] >= 3
        assert max(fake.sent) < 1 << 30  # cut off, not swallowed whole
        assert d.terminate() == 0
    finally:
        fake.close()
        rig.close()
