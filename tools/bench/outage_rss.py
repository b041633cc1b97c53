#!/usr/bin/env python3
"""RSS through a provider outage at full offered load (issue 16, "Figures",
item 4: parked work counts against back-pressure).

Real pushgwd, real pushgw-sim on 127.0.0.1 (one sim plays APNs and FCM).
The sim's fault "unavailable" answers every APNs and FCM send 503, without
Retry-After, for --seconds; every recipient then waits for a retry (backoff
up to 60 s, max_attempts 100, a retry window longer than the outage), so
nothing finishes and all of it is parked work. Meanwhile --clients socket
clients pipeline wait:false requests of --batch recipients (APNs and FCM in
turn) as fast as pushgwd accepts them: ingest must stop reading once the
senders hold --max-queued recipients, so RSS levels off instead of growing
until an OOM kill. Every --expiring-every-th request carries an expires_at
--expiry seconds after it was made (recipients that must end expired or
failed by their expiry rather than be delivered after it).

Every --every seconds the script samples VmRSS/VmHWM of pushgwd and
pushgw_queue_depth from /metrics (accepted and not final) and prints a row. At the end
it lifts the outage, stops offering, waits until nothing is queued, and
checks every accepted recipient against the sim's delivery records: each
one without an expiry delivered exactly once; each one with an expiry
delivered once or counted expired/failed by the daemon; none delivered that
was not accepted. It prints the table, the maxima and a JSON summary, and
exits 1 when something was lost or duplicated (it asserts nothing about
time or memory; tests/integration/test_outage_rss.py holds the bound).

  PUSHGW_BIN=build/bin python3 tools/bench/outage_rss.py --seconds 600
  PUSHGW_BIN=build/bin python3 tools/bench/outage_rss.py --seconds 30 --max-queued 20000
"""
import argparse
import json
import os
import socket
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../tests/integration"))
from harness import FcmRig, free_port  # noqa: E402


def apns_token(i):
    return "a1%062x" % i  # 64 hex, no scripted prefix of the sim


def fcm_token(i):
    return "ok-%010d-" % i + "x" * 140  # FCM registration tokens are ~150 chars


class Uploader:
    """--clients connections, each pipelining up to `window` wait:false
    requests. A write blocks while pushgwd does not read (back-pressure):
    that is the offered load pushgwd must refuse to take. Records what each
    ok answer accepted."""

    def __init__(self, socket_path, clients, batch, expiring_every, expiry_s, window=8):
        self.path = socket_path
        self.batch = batch
        self.expiring_every = expiring_every
        self.expiry_s = expiry_s
        self.window = window
        self.lock = threading.Lock()
        self.next_request = 0
        self.accepted = []        # (platform, first index, count, expiring)
        self.accepted_n = 0
        self.errors = {}
        self.failures = []        # client connections that broke
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.client, args=(c,), daemon=True) for c in range(clients)]
        for t in self.threads:
            t.start()

    def make(self, c):
        with self.lock:
            k = self.next_request
            self.next_request += 1
        first = k * self.batch
        platform = "apns" if k % 2 == 0 else "fcm"
        expiring = self.expiring_every > 0 and k % self.expiring_every == self.expiring_every - 1
        if platform == "apns":
            n = {"platform": "apns", "app": "shop-ios", "payload": {"aps": {"alert": "outage %d" % k}},
                 "tokens": [apns_token(first + i) for i in range(self.batch)]}
        else:
            n = {"platform": "fcm", "app": "shop-android", "message": {"data": {"k": str(k)}},
                 "tokens": [fcm_token(first + i) for i in range(self.batch)]}
        if expiring:
            n["expires_at"] = int(time.time() + self.expiry_s)
        rid = "c%d-%d" % (c, k)
        line = json.dumps({"op": "send", "id": rid, "wait": False, "notifications": [n]},
                          separators=(",", ":")).encode() + b"\n"
        return rid, (platform, first, self.batch, expiring), line

    def client(self, c):
        """One connection: this thread writes, a second one reads the
        answers (a write blocked by back-pressure must not stop answers
        from being read)."""
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(self.path)
        except OSError as e:
            with self.lock:
                self.failures.append("client %d: %r" % (c, e))
            return
        pending = {}
        room = threading.Semaphore(self.window)
        reader = threading.Thread(target=self.read_answers, args=(c, s, pending, room), daemon=True)
        reader.start()
        try:
            while not self.stop.is_set():
                if not room.acquire(timeout=0.5):
                    continue
                rid, meta, line = self.make(c)
                with self.lock:
                    pending[rid] = meta
                s.sendall(line)  # blocks while pushgwd does not read
            # Answered after every send written before it: the reader's end.
            s.sendall(b'{"op":"ping","id":"end"}\n')
        except OSError as e:
            with self.lock:
                self.failures.append("client %d: %r" % (c, e))
        reader.join()
        s.close()

    def read_answers(self, c, s, pending, room):
        f = s.makefile("rb")
        try:
            while True:
                line = f.readline()
                if not line:
                    raise ConnectionError("pushgwd closed the connection")
                answer = json.loads(line)
                if answer.get("id") == "end":
                    return
                with self.lock:
                    meta = pending.pop(answer.get("id"))
                    if answer.get("ok"):
                        self.accepted.append(meta)
                        self.accepted_n += answer.get("accepted", meta[2])
                    else:
                        e = answer.get("error", "?")
                        self.errors[e] = self.errors.get(e, 0) + 1
                room.release()
        except (OSError, ValueError, KeyError) as e:
            with self.lock:
                self.failures.append("client %d reader: %r" % (c, e))

    def finish(self, timeout):
        self.stop.set()
        for t in self.threads:
            t.join(timeout)
        return not any(t.is_alive() for t in self.threads)


def scrape(port, names=("pushgw_queue_depth", "pushgw_max_queued")):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=30) as r:
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in names:
            out[parts[0]] = float(parts[1])
    return out


def proc_status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                out[line.split(":")[0]] = int(line.split()[1])
    return out


class Sampler:
    def __init__(self, d, sim, uploader):
        self.d, self.sim, self.up = d, sim, uploader
        self.rows = []
        self.t0 = time.time()

    def sample(self, phase):
        st = proc_status(self.d.proc.pid)
        # From /metrics: a scrape, as a monitoring system would take it.
        gauges = scrape(self.d.metrics_port)
        row = {"t": round(time.time() - self.t0), "phase": phase,
               "rss_mib": round(st["VmRSS"] / 1024, 1), "hwm_mib": round(st["VmHWM"] / 1024, 1),
               "queue_depth": int(gauges["pushgw_queue_depth"]), "accepted": self.up.accepted_n,
               "sim_503": self.sim.stats().get("unavailable_answers", 0)}
        self.rows.append(row)
        print("%6d  %-7s %8.1f %8.1f %12d %12d %12d" % (row["t"], phase, row["rss_mib"], row["hwm_mib"],
                                                       row["queue_depth"], row["accepted"], row["sim_503"]),
              flush=True)
        return row

    def header(self):
        print("%6s  %-7s %8s %8s %12s %12s %12s" % ("t_s", "phase", "rss_MiB", "hwm_MiB", "queue_depth",
                                                    "accepted", "sim_503"), flush=True)


def check(rig, up, d):
    """Every accepted recipient against the sim's delivery records and the
    daemon's counters. Returns a dict of counts."""
    got = {"apns": rig.sim.tokens("apns"), "fcm": rig.sim.tokens("fcm")}
    tok = {"apns": apns_token, "fcm": fcm_token}
    r = {"accepted": 0, "plain": 0, "expiring": 0, "delivered": 0, "expiring_delivered": 0,
         "lost": 0, "duplicates": 0, "unexpected": 0}
    seen = {"apns": set(), "fcm": set()}
    for platform, first, n, expiring in up.accepted:
        for i in range(first, first + n):
            t = tok[platform](i)
            seen[platform].add(t)
            c = got[platform].get(t, 0)
            r["accepted"] += 1
            r["expiring" if expiring else "plain"] += 1
            r["delivered"] += min(c, 1)
            r["duplicates"] += max(c - 1, 0)
            if expiring:
                r["expiring_delivered"] += min(c, 1)
            elif c == 0:
                r["lost"] += 1
    r["unexpected"] = sum(1 for p in got for t in got[p] if t not in seen[p])
    plats = d.request({"op": "stats"})["platforms"]
    final = {k: sum(plats[p][k] for p in ("apns", "fcm")) for k in ("accepted", "delivered", "failed", "expired")}
    r["daemon"] = final
    # An expiring recipient is either delivered (before its expiry) or ends
    # expired/failed: the daemon's counts must account for every one.
    r["expiring_ended"] = final["failed"] + final["expired"]
    r["expiring_unaccounted"] = r["expiring"] - r["expiring_delivered"] - r["expiring_ended"]
    return r


def run(args, out=print):
    rig = FcmRig()
    d = None
    try:
        metrics_port = free_port()
        cfg = rig.config(apps=rig.apns_section() + rig.fcm_section(), workers=args.workers,
                         metrics="127.0.0.1:%d" % metrics_port, server_extra="max_queued = %d" % args.max_queued,
                         delivery="max_attempts = 100\nmax_retry_seconds = %d" % (args.seconds + 1800))
        d = rig.daemon(cfg)
        d.metrics_port = metrics_port
        base = proc_status(d.proc.pid)
        rig.sim.admin("/faults", "unavailable\n")
        up = Uploader(d.socket, args.clients, args.batch, args.expiring_every, args.expiry)
        sampler = Sampler(d, rig.sim, up)
        out("outage: %d s, max_queued %d, %d clients pipelining wait:false requests of %d recipients "
            "(APNs and FCM in turn, every %dth expiring %d s after it was made); pushgwd RSS at start %.1f MiB"
            % (args.seconds, args.max_queued, args.clients, args.batch, args.expiring_every, args.expiry,
               base["VmRSS"] / 1024))
        sampler.header()
        end = time.time() + args.seconds
        while time.time() < end:
            time.sleep(min(args.every, max(0.0, end - time.time())))
            sampler.sample("outage")
        outage_rows = list(sampler.rows)
        # Lift: stop offering first, so every request written is answered
        # (a blocked write goes through once the senders drain).
        up.stop.set()
        rig.sim.admin("/faults", "")
        lifted = time.time()
        joined = up.finish(args.drain_timeout)
        drained = False
        while time.time() - lifted < args.drain_timeout:
            st = sampler.sample("drain")
            if st["queue_depth"] == 0 and joined:
                drained = True
                break
            time.sleep(args.every)
        drain_s = time.time() - lifted
        res = check(rig, up, d)
        res.update({
            "seconds": args.seconds, "max_queued": args.max_queued, "clients": args.clients, "batch": args.batch,
            "rss_start_mib": round(base["VmRSS"] / 1024, 1),
            "rss_max_outage_mib": max(r["rss_mib"] for r in outage_rows),
            "hwm_outage_mib": max(r["hwm_mib"] for r in outage_rows),
            "hwm_end_mib": sampler.rows[-1]["hwm_mib"],
            "queue_depth_max_outage": max(r["queue_depth"] for r in outage_rows),
            "accepted_during_outage": outage_rows[-1]["accepted"],
            "sim_503_answers": outage_rows[-1]["sim_503"],
            "drain_s": round(drain_s, 1), "drained": drained,
            "rejected_requests": dict(up.errors), "client_failures": up.failures,
            "daemon_alive": d.proc.poll() is None,
            "sim_duplicates": {p: rig.sim.stats()[p]["duplicate_delivered"] for p in ("apns", "fcm")},
        })
        out("max RSS during the outage %.1f MiB (VmHWM %.1f MiB, %.1f MiB at start); queue_depth max %d "
            "(max_queued %d); %d recipients accepted, %d lost, %d duplicates; drained %.0f s after the lift"
            % (res["rss_max_outage_mib"], res["hwm_outage_mib"], res["rss_start_mib"], res["queue_depth_max_outage"],
               args.max_queued, res["accepted"], res["lost"], res["duplicates"], drain_s))
        out(json.dumps(res, sort_keys=True))
        return res, sampler.rows
    finally:
        rig.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=int, default=600, help="length of the outage")
    ap.add_argument("--max-queued", type=int, default=200000, help="pushgwd [server] max_queued")
    ap.add_argument("--clients", type=int, default=4, help="socket clients offering load")
    ap.add_argument("--batch", type=int, default=1000, help="recipients per request")
    ap.add_argument("--expiring-every", type=int, default=10, help="every Nth request has an expires_at (0: none)")
    ap.add_argument("--expiry", type=int, default=60, help="its expires_at, seconds after it was made")
    ap.add_argument("--every", type=float, default=5.0, help="seconds between samples")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--drain-timeout", type=int, default=900, help="seconds to wait for the queue to empty")
    args = ap.parse_args()
    res, _ = run(args)
    bad = res["lost"] or res["duplicates"] or res["unexpected"] or res["expiring_unaccounted"] or not res["drained"]
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
