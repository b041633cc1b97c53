"""Hostile or buggy requests (issue 15, items 5, 6, 8 and 9): memory and CPU
bombs sent through the socket to the real pushgwd. Each is answered within a
few seconds with a correct answer, `ping` on another connection keeps
answering meanwhile (the ingest loop is never frozen), peak memory stays
bounded over all of them, and the daemon keeps running and delivering.

The figures (answer times, ping latencies, VmHWM/VmPeak) are printed to
stderr; run with -s to see them."""
import calendar
import json
import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from harness import Client, Rig, apns_token, binpath, run, sanitized_build

MIB = 1 << 20
# The default max_line_bytes: every bomb fits in one request line.
MAX_LINE = 16 * MIB
# Generous liveness bounds (not benchmarks): the daemon answers these in well
# under a second when healthy; the code before issue 15 froze for 17 s to
# minutes. The bound leaves room for a machine busy with other builds (the
# figure itself is printed, and quoted from an idle machine).
SLOW = 5 if sanitized_build() else 1
PING_BOUND_S = 6.0 * SLOW
ANSWER_BOUND_S = 20.0 * SLOW


def status_kb(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def read_raw_line(sock, timeout):
    """One answer line as bytes (a bytearray: answers may be huge)."""
    sock.settimeout(timeout)
    buf = bytearray()
    while True:
        chunk = sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("daemon closed the connection")
        buf += chunk
        if b"\n" in chunk:
            return bytes(buf[:buf.index(b"\n")])


class Pinger:
    """Pings on its own connection every 50 ms and records each latency; a
    ping still unanswered when stopped counts with its time so far."""

    def __init__(self, d):
        self.client = Client(d.socket, timeout=900)
        self.latencies = []
        self.in_flight = None  # monotonic send time of the unanswered ping
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        try:
            while not self.stop_flag.is_set():
                self.in_flight = time.monotonic()
                r = self.client.request({"op": "ping"})
                self.latencies.append(time.monotonic() - self.in_flight)
                self.in_flight = None
                assert r["ok"] is True
                self.stop_flag.wait(0.05)
        except (OSError, ValueError):
            pass  # counted by stop() as still in flight

    def stop(self):
        self.stop_flag.set()
        self.thread.join(5)
        worst = max(self.latencies, default=0.0)
        started = self.in_flight
        if started is not None:
            worst = max(worst, time.monotonic() - started)
        self.client.close()
        return worst


def fire(d, line):
    """Sends one request line while pinging; returns (answer or None, answer
    bytes, seconds to the answer, worst ping latency)."""
    assert len(line) < MAX_LINE, len(line)
    pinger = Pinger(d)
    c = d.client()
    try:
        t0 = time.monotonic()
        c.send_raw(line + b"\n")
        raw = read_raw_line(c.sock, 600)
        seconds = time.monotonic() - t0
    finally:
        c.close()
        worst_ping = pinger.stop()
    answer = json.loads(raw) if len(raw) < 64 * MIB else None
    return answer, len(raw), seconds, worst_ping


def apns_line(tokens_json, payload_json, rid):
    return ('{"op":"send","id":"%s","notifications":[{"platform":"apns","app":"shop-ios","tokens":%s,'
            '"payload":%s}]}' % (rid, tokens_json, payload_json)).encode()


def placeholders(names):
    return "".join("{{%s}}" % n for n in names)


def junk_array(budget):
    """[0,0,...] of about `budget` bytes."""
    n = budget // 2
    return "[" + ",".join(["0"] * n) + "]", n


# ---- the bombs of issue 15 (and variants just under the caps) ----

def bomb_dense_vars_matrix():
    """200,001 token entries, 1 with vars, x 10,000 placeholders: today a
    reserve of entries x placeholders VarValues (+28.7 GB address space)."""
    payload = '{"aps":{"alert":"%s"}}' % placeholders("v%d" % i for i in range(10000))
    first = '{"token":"%s","vars":{"v0":"x"}}' % apns_token(1)
    tokens = "[" + first + ",0" * 200000 + "]"
    return "dense vars matrix (200,001 entries x 10,000 placeholders)", apns_line(tokens, payload, "b1"), 200001


def bomb_sparse_vars_under_cap():
    """20,000 valid tokens, the last one with vars, x 4,000 placeholders (under
    the cap): today a dense 20,000 x 4,000 matrix (~1 GB touched)."""
    payload = '{"aps":{"alert":"%s"}}' % placeholders("v%d" % i for i in range(4000))
    toks = ['"%s"' % apns_token(100000 + i) for i in range(19999)]
    toks.append('{"token":"%s","vars":{"v3999":"last"}}' % apns_token(120000))
    return "sparse vars (20,000 tokens, 1 with vars, x 4,000 placeholders)", \
        apns_line("[" + ",".join(toks) + "]", payload, "b1b"), 20000


def bomb_distinct_names():
    """100,000 distinct placeholders in one payload: today a linear-scan
    variable table (5*10^9 compares, 17.8 s)."""
    payload = '{"aps":{"alert":"%s"}}' % placeholders("n%d" % i for i in range(100000))
    return "100,000 distinct placeholders", apns_line('["%s"]' % apns_token(2), payload, "b2"), 1


def bomb_many_vars_per_recipient():
    """350 recipients each giving 4,000 vars for a 4,000-placeholder payload:
    today every var key is looked up by a linear scan (3*10^9 compares)."""
    names = ["k%d" % i for i in range(4000)]
    payload = '{"aps":{"alert":"%s"}}' % placeholders(names)
    vars_json = "{" + ",".join('"%s":""' % n for n in names) + "}"
    toks = ['{"token":"%s","vars":%s}' % (apns_token(200000 + i), vars_json) for i in range(350)]
    return "350 recipients x 4,000 vars", apns_line("[" + ",".join(toks) + "]", payload, "b2b"), 350


def bomb_big_var_many_refs():
    """A 1 MiB var referenced 100,000 times: today 10^11 byte scans (92 s)."""
    payload = '{"aps":{"alert":"%s"}}' % ("{{a}}" * 100000)
    tokens = '[{"token":"%s","vars":{"a":"%s"}}]' % (apns_token(3), "x" * MIB)
    return "1 MiB var x 100,000 references", apns_line(tokens, payload, "b3"), 1


def bomb_big_vars_under_cap():
    """10 recipients with a 1 MiB var each, referenced 4,000 times (under the
    cap): today 4*10^10 byte scans to find each payload too large."""
    payload = '{"aps":{"alert":"%s"}}' % ("{{a}}" * 4000)
    big = "x" * MIB
    toks = ['{"token":"%s","vars":{"a":"%s"}}' % (apns_token(300 + i), big) for i in range(10)]
    return "10 x 1 MiB var x 4,000 references", apns_line("[" + ",".join(toks) + "]", payload, "b3b"), 10


def bomb_junk_tokens():
    """A 16 MiB request of junk tokens: today ~8.4 M rejection records (1.3 GB)
    and a 712 MB answer line."""
    arr, n = junk_array(MAX_LINE - 4096)
    return "16 MiB of junk tokens", apns_line(arr, '{"aps":{"alert":"x"}}', "b4"), n


def bomb_junk_subscriptions():
    """A 16 MiB request of junk Web Push subscriptions: today an arena reserve
    of entries x 337 bytes (2.6 GiB) before rejecting them all."""
    arr, n = junk_array(MAX_LINE - 4096)
    line = ('{"op":"send","id":"b5","notifications":[{"platform":"webpush","app":"shop-web",'
            '"subscriptions":%s,"payload":"hi"}]}' % arr).encode()
    return "16 MiB of junk subscriptions", line, n


# ---- checks ----

def check_all_rejected(answer, entries, code):
    assert answer["ok"] is True, answer
    assert answer["accepted"] == 0
    listed = answer["rejected"]
    assert listed and all(r["error"] == code and r["n"] == 0 for r in listed), listed[:3]
    if entries > 1000:
        assert len(listed) == 1000
        assert answer["rejected_total"] == entries and answer["rejected_truncated"] is True
    else:
        assert len(listed) == entries
        assert "rejected_total" not in answer and "rejected_truncated" not in answer


def check_accepted(answer, entries):
    assert answer["ok"] is True, answer
    assert answer["accepted"] == entries and answer["rejected"] == [], answer["rejected"][:3]


EXPECT = {
    "b1": lambda a, n: check_all_rejected(a, n, "too_many_placeholders"),
    "b1b": check_accepted,
    "b2": lambda a, n: check_all_rejected(a, n, "too_many_placeholders"),
    "b2b": check_accepted,
    "b3": lambda a, n: check_all_rejected(a, n, "too_many_placeholders"),
    "b3b": lambda a, n: check_all_rejected(a, n, "payload_too_large"),
    "b4": lambda a, n: check_all_rejected(a, n, "bad_request"),
    "b5": lambda a, n: check_all_rejected(a, n, "bad_subscription"),
}

BOMBS = [bomb_dense_vars_matrix, bomb_sparse_vars_under_cap, bomb_distinct_names, bomb_many_vars_per_recipient,
         bomb_big_var_many_refs, bomb_big_vars_under_cap, bomb_junk_tokens, bomb_junk_subscriptions]


def bomb_rig():
    rig = Rig()
    vapid = os.path.join(rig.dir, "vapid.pem")
    run([binpath("pushgw-sim"), "gen-vapid-key", "--out", vapid])
    apps = rig.apns_section() + ('\n[[webpush]]\napp = "shop-web"\nvapid_key_file = "%s"\n'
                                 'vapid_subject = "mailto:ops@example.com"\nallow_private_endpoints = true\n' % vapid)
    return rig, rig.config(apps=apps)


def normal_send_delivered(d, tok):
    r = d.request({"op": "send", "wait": True, "notifications": [
        {"platform": "apns", "app": "shop-ios", "tokens": [{"token": tok, "vars": {"name": "Aiko"}}],
         "payload": {"aps": {"alert": "Hi {{name}}"}}}]})
    return r["ok"] and r["results"][0]["status"] == "delivered"


def test_bombs_are_answered_promptly_while_ping_answers_and_memory_stays_bounded():
    rig, cfg = bomb_rig()
    try:
        d = rig.daemon(cfg)
        pid = d.proc.pid
        assert normal_send_delivered(d, apns_token(9001))
        hwm0, peak0 = status_kb(pid, "VmHWM"), status_kb(pid, "VmPeak")
        figures = []
        for make in BOMBS:
            name, line, entries = make()
            rid = json.loads(line[:200].split(b',"notifications"')[0] + b"}")["id"]
            answer, size, seconds, worst_ping = fire(d, line)
            figures.append((name, len(line), seconds, worst_ping, size, status_kb(pid, "VmHWM"),
                            status_kb(pid, "VmPeak")))
            sys.stderr.write("bomb %-62s request %5.1f MiB: answered in %6.2f s (%9d bytes), worst ping %.3f s, "
                             "VmHWM %d MiB, VmPeak %d MiB\n" % (name, len(line) / MIB, seconds, size, worst_ping,
                                                                figures[-1][5] >> 10, figures[-1][6] >> 10))
            assert answer is not None and answer["id"] == rid
            EXPECT[rid](answer, entries)
            assert size < 2 * MIB, (name, size)  # bounded answer line
            assert worst_ping < PING_BOUND_S, (name, worst_ping)
            assert seconds < ANSWER_BOUND_S, (name, seconds)
            assert d.proc.poll() is None, name
        hwm1, peak1 = status_kb(pid, "VmHWM"), status_kb(pid, "VmPeak")
        sys.stderr.write("VmHWM %d -> %d MiB, VmPeak %d -> %d MiB\n" % (hwm0 >> 10, hwm1 >> 10, peak0 >> 10,
                                                                        peak1 >> 10))
        # pushgwctl prints a cut list sensibly: the total, then the rows listed.
        junk = os.path.join(rig.dir, "junk.json")
        with open(junk, "wb") as f:
            f.write(bomb_junk_tokens()[1])
        out = subprocess.run([binpath("pushgwctl"), "--socket", d.socket, "send", junk], capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        lines = out.stdout.splitlines()
        assert lines[0] == "accepted: 0  rejected: %d (first 1000 listed)" % junk_array(MAX_LINE - 4096)[1], lines[0]
        assert len(lines) == 1 + 1 + 1 + 1000 and lines[2].split()[:3] == ["N", "TOKEN", "ERROR"], lines[:4]
        # Never restarted: same process, still serving, still delivering.
        assert d.proc.poll() is None and d.proc.pid == pid
        assert d.request({"op": "ping"})["ok"] is True
        assert normal_send_delivered(d, apns_token(9002))
        if not sanitized_build():
            assert hwm1 - hwm0 < 400 * 1024, (hwm0, hwm1)
            assert peak1 - peak0 < 1024 * 1024, (peak0, peak1)
    finally:
        rig.close()


# ---- item 9: a held notification is not multiplied per time zone ----

CANDIDATE_ZONES = [
    "Pacific/Pago_Pago", "Pacific/Honolulu", "America/Anchorage", "America/Los_Angeles", "America/Denver",
    "America/Chicago", "America/New_York", "America/Caracas", "America/Halifax", "America/St_Johns",
    "America/Sao_Paulo", "America/Noronha", "Atlantic/Cape_Verde", "UTC", "Europe/London", "Europe/Berlin",
    "Europe/Athens", "Europe/Moscow", "Asia/Tehran", "Asia/Dubai", "Asia/Kabul", "Asia/Karachi", "Asia/Kolkata",
    "Asia/Kathmandu", "Asia/Dhaka", "Asia/Yangon", "Asia/Bangkok", "Asia/Shanghai", "Australia/Eucla",
    "Asia/Tokyo", "Australia/Darwin", "Australia/Brisbane", "Australia/Adelaide", "Pacific/Noumea",
    "Pacific/Auckland", "Pacific/Chatham", "Pacific/Tongatapu", "Pacific/Kiritimati", "Pacific/Marquesas"]
# A fixed instant whose minute (:07) is never 23:59 anywhere: every zone is
# inside quiet hours 00:00-23:59 and is released at its own 23:59.
HELD_AT = "2026-06-01T10:07:00"


def distinct_offset_zones(at):
    seen, zones = set(), []
    for z in CANDIDATE_ZONES:
        if not os.path.exists("/usr/share/zoneinfo/" + z):
            continue
        off = at.astimezone(ZoneInfo(z)).utcoffset()
        if off not in seen:
            seen.add(off)
            zones.append(z)
    return zones


def test_held_notification_is_not_copied_per_time_zone():
    rig = Rig()
    try:
        d = rig.daemon(rig.config(extra='[policy]\nquiet_hours = "00:00-23:59"\n'),
                       env={"PUSHGW_TEST_HOOKS": "1"})
        pid = d.proc.pid
        at = datetime.strptime(HELD_AT, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
        assert d.request({"op": "test_clock", "set_ms": calendar.timegm(at.timetuple()) * 1000})["ok"]
        zones = distinct_offset_zones(at)
        assert len(zones) >= 30
        hwm0, peak0 = status_kb(pid, "VmHWM"), status_kb(pid, "VmPeak")
        # One marketing notification, a 14 MiB extra field, one recipient per
        # UTC offset: today ~38 rows each repeating the 14 MiB (532 MB built
        # on the ingest loop and written to the store).
        toks = ",".join('{"token":"%s","tz":"%s"}' % (apns_token(700 + i), z) for i, z in enumerate(zones))
        line = ('{"op":"send","id":"held","wait":true,"notifications":[{"platform":"apns","app":"shop-ios",'
                '"class":"marketing",'
                '"schedule_key":"held-1","tokens":[%s],"payload":{"aps":{"alert":"hi"}},"extra":"%s"}]}'
                % (toks, "x" * (14 * MIB))).encode()
        answer, size, seconds, worst_ping = fire(d, line)
        assert answer["ok"] is True
        rows = {r["schedule_id"] for r in answer["results"]}
        sys.stderr.write("held 14 MiB notification x %d zones: answered in %.2f s, worst ping %.3f s, "
                         "accepted %d in %d rows, rejected %d\n" % (len(zones), seconds, worst_ping,
                                                                   answer["accepted"], len(rows),
                                                                   len(answer["rejected"])))
        # 64 MiB of held rows per request: 4 copies fit, the others are refused.
        assert all(r["status"] == "scheduled" and r["reason"] == "quiet_hours" for r in answer["results"])
        assert len(rows) == 4
        assert answer["accepted"] + len(answer["rejected"]) == len(zones)
        assert all(r["error"] == "payload_too_large" for r in answer["rejected"])
        # Listing loads at most 16 MiB of rows (+ one): not all of them.
        t0 = time.monotonic()
        listed = d.request({"op": "scheduled", "schedule_key": "held-1", "limit": 10000})
        list_s = time.monotonic() - t0
        hwm1, peak1 = status_kb(pid, "VmHWM"), status_kb(pid, "VmPeak")
        sys.stderr.write("scheduled listing: %d entries in %.2f s, truncated %s; VmHWM %d -> %d MiB, VmPeak %d -> %d MiB\n"
                         % (len(listed["scheduled"]), list_s, listed["truncated"], hwm0 >> 10, hwm1 >> 10,
                            peak0 >> 10, peak1 >> 10))
        assert listed["ok"] and listed["truncated"] is True
        assert len({e["id"] for e in listed["scheduled"]}) == 2  # rows 1 and 2 start below 16 MiB
        assert worst_ping < PING_BOUND_S and seconds < ANSWER_BOUND_S
        assert d.proc.poll() is None and d.request({"op": "ping"})["ok"] is True
        if not sanitized_build():
            assert hwm1 - hwm0 < 400 * 1024, (hwm0, hwm1)
    finally:
        rig.close()
