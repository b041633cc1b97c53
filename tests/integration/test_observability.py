"""What operators look at on the box: the stats fields beyond the contract
(max_queued, per-app counters, circuit breakers) and `pushgwctl top` driven
under tmux during a load."""
import os
import re
import shutil
import subprocess
import threading

import pytest

from harness import apns_token, binpath, observed_daemon, wait_until


class Load:
    """Keeps sending to shop-ios (every 10th token unregistered, every 25th
    invalid) until stopped, plus one send to the app whose provider is down."""

    def __init__(self, d):
        self.d, self.stop_flag, self.batches, self.error = d, threading.Event(), 0, None
        d.request({"op": "send", "notifications": [{"platform": "apns", "app": "dead-ios",
                                                      "tokens": [apns_token(9_000_000 + i) for i in range(3)],
                                                      "payload": {"aps": {}}}]})
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        try:
            c = self.d.client()
            while not self.stop_flag.is_set():
                n = self.batches
                toks = [apns_token(n * 200 + k, "410" if k % 10 == 0 else "4000" if k % 25 == 1 else "")
                        for k in range(200)]
                c.request({"op": "send", "wait": True, "notifications": [
                    {"platform": "apns", "app": "shop-ios", "tokens": toks, "payload": {"aps": {"alert": "x"}}}]})
                self.batches += 1
        except Exception as e:  # surfaced by stop()
            self.error = e

    def stop(self):
        self.stop_flag.set()
        self.thread.join(120)
        assert self.error is None, self.error


def test_stats_adds_max_queued_per_app_counters_and_breakers(rig):
    d = observed_daemon(rig)
    toks = [apns_token(i) for i in range(20)] + [apns_token(1, "410")]
    d.request({"op": "send", "wait": True, "notifications": [
        {"platform": "apns", "app": "shop-ios", "tokens": toks, "payload": {"aps": {}}},
        {"platform": "apns", "app": "dead-ios", "tokens": [apns_token(5)], "payload": {"aps": {}}}]})
    st = d.request({"op": "stats"})
    assert st["max_queued"] == 50000
    apps = {(a["platform"], a["app"]): a for a in st["apps"]}
    shop, dead = apps[("apns", "shop-ios")], apps[("apns", "dead-ios")]
    assert shop["accepted"] == 21 and shop["delivered"] == 20 and shop["unsubscribed"] == 1 and shop["failed"] == 0
    assert shop["latency_ms"]["provider"]["count"] == 21 and shop["latency_ms"]["provider"]["p99"] > 0
    assert dead["accepted"] == 1 and dead["failed"] == 1 and dead["retried"] >= 1
    assert dead["latency_ms"]["provider"]["count"] == 0
    # The per-platform counters of the contract agree with the per-app ones.
    assert st["platforms"]["apns"]["delivered"] == shop["delivered"] + dead["delivered"]
    breakers = [b for b in st["breakers"] if b["app"] == "dead-ios"]
    assert breakers and breakers[0]["opens"] >= 1 and breakers[0]["state"] in ("open", "half_open", "closed")
    assert not [b for b in st["breakers"] if b["app"] == "shop-ios"]
    # The gateway's share split by stage: every first attempt was taken from
    # the ring and submitted (22); the 21 the sim answered got a stream, the
    # one to the dead origin never did.
    lat = st["latency_ms"]
    assert lat["queue"]["count"] == 22 and lat["build"]["count"] == 22
    assert lat["stream_wait"]["count"] == 21 and lat["gateway"]["count"] == 21
    for stage in ("queue", "build", "stream_wait"):
        assert 0 < lat[stage]["p50"] <= lat[stage]["p99"] <= lat[stage]["p999"]
    # Each thread is named for top -H and for pushgw-bench's scheduler-delay split.
    names = set()
    for tid in os.listdir("/proc/%d/task" % d.proc.pid):
        with open("/proc/%d/task/%s/comm" % (d.proc.pid, tid)) as f:
            names.add(f.read().strip())
    assert {"pgw-send-0", "pgw-store", "pgw-spool"} <= names, names


def kernel_honours_custom_slices():
    """EEVDF custom slices (sched_attr.sched_runtime of a fair thread): Linux 6.12+."""
    major, minor = (int(x) for x in re.match(r"(\d+)\.(\d+)", os.uname().release).groups())
    return (major, minor) >= (6, 12)


def threads_of(pid):
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
            out.setdefault(f.read().strip(), []).append(int(tid))
    return out


def slice_ns(tid):
    with open("/proc/%d/sched" % tid) as f:
        for line in f:
            if line.startswith("se.slice"):
                return int(line.split(":")[1])
    return None


def test_ingest_and_senders_ask_for_the_configured_slice_and_the_store_runs_as_batch(rig):
    d = rig.daemon(rig.config(apps=rig.apns_section(), server_extra="latency_slice_us = 250",
                              extra='[spool]\npath = "%s/spool"\n' % rig.dir))
    d.request({"op": "send", "wait": True, "notifications": [
        {"platform": "apns", "app": "shop-ios", "tokens": [apns_token(i) for i in range(5)], "payload": {"aps": {}}}]})
    threads = threads_of(d.proc.pid)
    latency = threads["pgw-send-0"] + threads["pgw-send-1"] + [d.proc.pid]
    background = threads["pgw-store"] + threads["pgw-spool"]
    for tid in background:
        assert os.sched_getscheduler(tid) == os.SCHED_BATCH
    for tid in latency:
        assert os.sched_getscheduler(tid) == os.SCHED_OTHER
    if not kernel_honours_custom_slices() or slice_ns(d.proc.pid) is None:
        pytest.skip("kernel %s has no EEVDF custom slices" % os.uname().release)
    assert [slice_ns(t) for t in latency] == [250_000] * 3
    assert all(slice_ns(t) != 250_000 for t in background)


class Tmux:
    """A private tmux server (its own socket) running one command in a pane."""

    def __init__(self, workdir, command, width=170, height=50):
        self.sock = os.path.join(workdir, "tmux.sock")
        self.rc_file = os.path.join(workdir, "top.rc")
        shell = "%s; echo $? > %s" % (command, self.rc_file)
        self.tmux("new-session", "-d", "-s", "top", "-x", str(width), "-y", str(height), shell)

    def tmux(self, *args, check=True):
        return subprocess.run(["tmux", "-S", self.sock] + list(args), capture_output=True, text=True,
                              timeout=30, check=check)

    def screen(self):
        r = self.tmux("capture-pane", "-p", "-t", "top", check=False)
        return r.stdout if r.returncode == 0 else ""

    def send(self, keys):
        self.tmux("send-keys", "-t", "top", keys)

    def rc(self):
        if not os.path.exists(self.rc_file):
            return None
        text = open(self.rc_file).read().strip()
        return int(text) if text else None

    def close(self):
        self.tmux("kill-server", check=False)


def app_row(screen, app):
    for line in screen.splitlines():
        cells = line.split()
        if len(cells) >= 14 and cells[1] == app:
            return cells
    return None


def test_top_under_tmux_shows_moving_numbers_and_quits_with_q(rig):
    assert shutil.which("tmux"), "tmux is installed by scripts/install-deps.sh"
    d = observed_daemon(rig)
    load = Load(d)
    tmux = Tmux(rig.dir, "%s --socket %s top" % (binpath("pushgwctl"), d.socket))
    try:
        assert wait_until(lambda: app_row(tmux.screen(), "shop-ios"), timeout=30), tmux.screen()
        def total():
            row = app_row(tmux.screen(), "shop-ios")
            return int(row[4]) if row else -1
        total0 = total()
        # The numbers move: the total grows and a frame shows outcomes flowing.
        assert wait_until(lambda: total() > total0, timeout=60), tmux.screen()

        def flowing():
            row = app_row(tmux.screen(), "shop-ios")
            return row if row and float(row[3]) > 0 and row[5] != "-" else None
        row = wait_until(flowing, timeout=60)
        assert row, tmux.screen()
        screen = tmux.screen()
        # The mix: most delivered, some unsubscribed (410) and invalid (4000), none failed.
        deliv, fail, inval, unsub = (float(c.rstrip("%")) for c in (row[5], row[6], row[7], row[8]))
        assert 70 <= deliv < 100 and unsub > 0 and inval > 0 and fail == 0, screen
        assert re.search(r"^pushgwctl top - .* - q quits$", screen, re.M), screen
        assert re.search(r"queue \d+ of 50000 \(\d+\.\d%\)\s+connections [1-9]", screen), screen
        assert re.search(r"latency ms p50/p99\s+e2e \d+\.\d\d/\d+\.\d\d\s+gateway", screen), screen
        assert re.search(r"store backlog \d+\s+spool live \d+\s+breakers open \d", screen), screen
        assert re.search(r"^\s+apns/dead-ios\s+127\.0\.0\.1:\d+\s+(open|half_open|closed)\s+opens [1-9]", screen,
                         re.M), screen
        assert "suspect apps:" in screen
        p50, p99 = row[12], row[13]
        assert float(p50) > 0 and float(p99) >= float(p50), screen
        # q quits, exit status 0, and the terminal is given back (the pane closes).
        tmux.send("q")
        assert wait_until(lambda: tmux.rc() is not None, timeout=20), tmux.screen()
        assert tmux.rc() == 0
    finally:
        tmux.close()
        load.stop()
    assert load.batches > 0


def test_top_without_a_terminal_prints_frames_and_stops_after_iterations(rig):
    d = observed_daemon(rig)
    d.request({"op": "send", "wait": True, "notifications": [
        {"platform": "apns", "app": "shop-ios", "tokens": [apns_token(i) for i in range(5)], "payload": {"aps": {}}}]})
    r = subprocess.run([binpath("pushgwctl"), "--socket", d.socket, "top", "--interval", "0.2", "--iterations", "3"],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "\x1b" not in r.stdout, "no escape codes when stdout is not a terminal"
    assert r.stdout.count("pushgwctl top - ") == 3
    assert app_row(r.stdout, "shop-ios")[4] == "5"
    # A daemon that is gone: exit 3 with the reason on stderr.
    bad = subprocess.run([binpath("pushgwctl"), "--socket", os.path.join(rig.dir, "nope.sock"), "top"],
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 3 and "nope.sock" in bad.stderr
