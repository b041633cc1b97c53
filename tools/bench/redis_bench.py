#!/usr/bin/env python3
"""Redis Streams ingest bench for pushgwd ([ingest.redis]).

Measures, against one HTTP/2 sink (nghttpd, or pushgw-sim --sink):
  * throughput of N pushgwd instances consuming one stream (one consumer
    group), from the first XADD until every recipient is final;
  * pushgwd CPU per notification (utime+stime of every instance, /proc) for
    the same request lines fed through Redis and through the socket, on the
    same daemon in the same run (--vs-socket);
  * redis-server CPU per notification, and h2load on the same sink
    (--vs-h2load) as a reference.

Every run starts fresh instances (and a fresh stream); figures are per run,
then medians per mode. Output: one JSON object per run, then a summary.

  tools/bench/redis_bench.py --bin-dir build/bin --sink nghttpd --instances 1,2 --runs 3 --vs-socket
"""
import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from child import Child, free_port  # noqa: E402
from resp import Resp  # noqa: E402

TEAM, KEY_ID = "BENCHTEAM1", "BENCHKEY01"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / CLK_TCK  # utime, stime


def wait_port(port, proc, what, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError("%s exited" % what)
            time.sleep(0.05)
    raise RuntimeError("%s did not start" % what)


def apns_token(i):
    return "a1%014x%s" % (i, "0" * 48)


class Daemon:
    """A pushgwd with a unix socket; talks the socket protocol."""

    def __init__(self, bin_dir, workdir, name, config):
        self.socket = os.path.join(workdir, name + ".sock")
        path = os.path.join(workdir, name + ".toml")
        with open(path, "w") as f:
            f.write(config.replace("@SOCKET@", self.socket))
        self.child = Child([os.path.join(bin_dir, "pushgwd"), "--config", path], os.path.join(workdir, name + ".log"))
        self.proc = self.child.proc
        deadline = time.time() + 20
        # The socket file appears at bind(), a moment before listen(): retry
        # a refused connect until the daemon listens.
        while True:
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("pushgwd %s did not start (see %s.log)" % (name, name))
            self.conn = socket.socket(socket.AF_UNIX)
            try:
                self.conn.connect(self.socket)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                self.conn.close()
                time.sleep(0.05)
        self.buf = b""

    def stats(self):
        self.conn.sendall(b'{"op":"stats","id":"bench"}\n')
        while b"\n" not in self.buf:
            self.buf += self.conn.recv(1 << 20)
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def finished(self):
        st = self.stats()
        done = 0
        for p in st["platforms"].values():
            done += sum(p.get(k, 0) for k in ("delivered", "failed", "invalid", "unsubscribed", "suppressed",
                                               "capped", "expired"))
        return done

    def stop(self):
        self.conn.close()
        self.child.stop(signal.SIGTERM, 60)


class Bench:
    def __init__(self, args):
        self.a = args
        self.dir = tempfile.mkdtemp(prefix="pushgw-redis-bench-")
        self.procs = []
        sim = os.path.join(args.bin_dir, "pushgw-sim")
        subprocess.run([sim, "gen-ca", "--out", self.path("pki")], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([sim, "gen-apns-key", "--out", self.path("apns.p8")], check=True, stdout=subprocess.DEVNULL)
        self.tokens = [apns_token(i) for i in range(args.distinct_tokens)]
        self.start_sink()
        self.start_redis()
        self.lines = self.build_lines()

    def path(self, *p):
        return os.path.join(self.dir, *p)

    def spawn(self, argv, log):
        c = Child(argv, self.path(log))
        self.procs.append(c)
        return c.proc

    def start_sink(self):
        a = self.a
        if a.sink == "nghttpd":
            # nghttpd answers a POST to an existing file with 200: one file per token.
            docs = self.path("htdocs", "3", "device")
            os.makedirs(docs)
            for t in self.tokens:
                open(os.path.join(docs, t), "w").close()
            self.sink_port = free_port()
            self.sink = self.spawn(["nghttpd", "--address=127.0.0.1", "-m", str(a.streams), "-n",
                                    str(a.sink_threads), "--htdocs=" + self.path("htdocs"), str(self.sink_port),
                                    self.path("pki", "server.key"), self.path("pki", "server.pem")], "sink.log")
            wait_port(self.sink_port, self.sink, "nghttpd")
        else:
            ports = self.path("sim.ports")
            self.sink = self.spawn([os.path.join(a.bin_dir, "pushgw-sim"), "serve", "--sink", "--listen",
                                    "127.0.0.1:0", "--admin", "127.0.0.1:0", "--cert", self.path("pki", "server.pem"),
                                    "--key", self.path("pki", "server.key"), "--port-file", ports, "--max-streams",
                                    str(a.streams), "--threads", str(a.sink_threads), "--apns-key",
                                    "%s:%s:%s" % (TEAM, KEY_ID, self.path("apns.p8"))], "sink.log")
            deadline = time.time() + 20
            while not (os.path.exists(ports) and open(ports).read().split()):
                if time.time() > deadline:
                    raise RuntimeError("pushgw-sim did not start")
                time.sleep(0.05)
            self.sink_port = int(open(ports).read().split()[0])

    def start_redis(self):
        self.redis_port = free_port()
        os.makedirs(self.path("redis"))
        self.redis = self.spawn(["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "",
                                 "--appendonly", "no", "--dir", self.path("redis")], "redis.log")
        wait_port(self.redis_port, self.redis, "redis-server")

    def build_lines(self):
        a = self.a
        pad = "x" * max(0, a.payload_bytes - 45)
        head = ('{"op":"send","notifications":[{"platform":"apns","app":"bench-ios","push_type":"alert",'
                '"payload":{"aps":{"alert":{"title":"Hi there","body":"%s"}}},"tokens":[' % pad)
        lines, n = [], 0
        while n < a.recipients:
            m = min(a.batch, a.recipients - n)
            toks = ",".join('"%s"' % self.tokens[(n + i) % len(self.tokens)] for i in range(m))
            lines.append(head + toks + "]}]}")
            n += m
        return lines

    def config(self, name, stream):
        a = self.a
        return """
[server]
socket = "@SOCKET@"
socket_mode = "0600"
workers = %d
max_queued = 1000000
[store]
path = "%s"
track_sends = %s
[metrics]
listen = ""
[tls]
ca_file = "%s"
[log]
level = "warn"
[ingest.redis]
url = "redis://127.0.0.1:%d"
stream = "%s"
group = "bench"
consumer = "%s"
batch = %d
[[apns]]
app = "bench-ios"
team_id = "%s"
key_id = "%s"
key_file = "%s"
topic = "com.example.bench"
endpoint = "https://127.0.0.1:%d"
connections = %d
""" % (a.workers, self.path(name + ".db"), "true" if a.track_sends else "false", self.path("pki", "ca.pem"),
       self.redis_port, stream, name, a.redis_batch, TEAM, KEY_ID, self.path("apns.p8"), self.sink_port,
       a.connections)

    def wait_finished(self, daemons, base, total, t0):
        while True:
            done = sum(d.finished() for d in daemons) - base
            if done >= total:
                return time.time() - t0
            if time.time() - t0 > 1800:
                raise RuntimeError("timeout: %d of %d finished" % (done, total))
            time.sleep(0.02)

    def measure(self, daemons, feed):
        base = sum(d.finished() for d in daemons)
        cpu0 = [cpu_seconds(d.proc.pid) for d in daemons]
        rcpu0 = cpu_seconds(self.redis.pid)
        t0 = time.time()
        feeder = threading.Thread(target=feed)
        feeder.start()
        secs = self.wait_finished(daemons, base, self.a.recipients, t0)
        feeder.join()
        cpu = sum(cpu_seconds(d.proc.pid) - c for d, c in zip(daemons, cpu0))
        rcpu = cpu_seconds(self.redis.pid) - rcpu0
        n = self.a.recipients
        return {"seconds": round(secs, 3), "notifications_per_s": round(n / secs),
                "pushgwd_cpu_us_per_notification": round(cpu / n * 1e6, 3),
                "redis_cpu_us_per_notification": round(rcpu / n * 1e6, 3)}

    def feed_redis(self, stream):
        def feed():
            r = Resp(self.redis_port)
            r.pipeline([["XADD", stream, "*", "request", line] for line in self.lines], chunk=50)
            r.close()
        return feed

    def feed_socket(self, daemon):
        def feed():
            s = socket.socket(socket.AF_UNIX)
            s.connect(daemon.socket)
            answers = [0]

            def reader():
                while answers[0] < len(self.lines):
                    chunk = s.recv(1 << 20)
                    if not chunk:
                        return
                    answers[0] += chunk.count(b"\n")
            t = threading.Thread(target=reader)
            t.start()
            for line in self.lines:
                s.sendall(line.encode() + b"\n")
            t.join()
            s.close()
        return feed

    def run(self, instances, run_no, vs_socket):
        stream = "bench:%d:%d" % (instances, run_no)
        daemons = [Daemon(self.a.bin_dir, self.dir, "i%d-r%d-%d" % (instances, run_no, i),
                          self.config("bench-%d" % i, stream)) for i in range(instances)]
        try:
            time.sleep(0.3)  # connected to Redis, group created
            out = []
            if vs_socket:
                res = self.measure(daemons[:1], self.feed_socket(daemons[0]))
                out.append(dict(res, mode="socket", instances=1, run=run_no))
            res = self.measure(daemons, self.feed_redis(stream))
            shares = [d.stats()["redis"]["read"] for d in daemons]
            out.append(dict(res, mode="redis", instances=instances, run=run_no, entries_read_per_instance=shares))
            return out
        finally:
            for d in daemons:
                d.stop()

    def h2load(self):
        a = self.a
        body = self.path("h2load-body.json")
        with open(body, "w") as f:
            f.write('{"aps":{"alert":{"title":"Hi there","body":"%s"}}}' % ("x" * max(0, a.payload_bytes - 45)))
        out = subprocess.run(["h2load", "-n", str(a.recipients), "-c", str(a.connections), "-m", str(a.streams),
                              "-t", "1", "-d", body, "-H", "authorization: bearer " + "j" * 180,
                              "-H", "apns-topic: com.example.bench", "-H", "apns-push-type: alert",
                              "-H", "content-type: application/json",
                              "https://127.0.0.1:%d/3/device/%s" % (self.sink_port, self.tokens[0])],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in out.stdout.splitlines():
            if line.startswith("finished in"):
                return {"mode": "h2load", "req_per_s": round(float(line.split(",")[1].split()[0]))}
        return {"mode": "h2load", "error": out.stdout[-300:]}

    def close(self):
        for c in reversed(self.procs):
            c.stop()
        if not self.a.keep:
            shutil.rmtree(self.dir, ignore_errors=True)


def median_of(rows, key):
    vals = [r[key] for r in rows if key in r]
    return statistics.median(vals) if vals else None


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    p.add_argument("--bin-dir", default=os.path.join(here, "../../build/bin"))
    p.add_argument("--sink", choices=["nghttpd", "sim"], default="nghttpd")
    p.add_argument("--sink-threads", type=int, default=1)
    p.add_argument("--instances", default="1,2", help="comma-separated instance counts to measure")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--recipients", type=int, default=200000)
    p.add_argument("--batch", type=int, default=1000, help="recipients per request (stream entry)")
    p.add_argument("--redis-batch", type=int, default=10, help="[ingest.redis] batch (entries per read)")
    p.add_argument("--distinct-tokens", type=int, default=1000)
    p.add_argument("--payload-bytes", type=int, default=120)
    p.add_argument("--connections", type=int, default=4)
    p.add_argument("--streams", type=int, default=100)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--track-sends", type=int, default=0)
    p.add_argument("--vs-socket", action="store_true", help="also feed the same lines through the socket (1 instance)")
    p.add_argument("--vs-h2load", action="store_true")
    p.add_argument("--keep", action="store_true")
    a = p.parse_args()
    counts = [int(x) for x in a.instances.split(",")]
    b = Bench(a)
    rows = []
    try:
        for run_no in range(a.runs):
            for n in counts:
                for row in b.run(n, run_no, a.vs_socket and n == 1):
                    rows.append(row)
                    print(json.dumps(row), flush=True)
            if a.vs_h2load:
                row = dict(b.h2load(), run=run_no)
                rows.append(row)
                print(json.dumps(row), flush=True)
    finally:
        b.close()
    summary = {}
    for mode, n in [("socket", 1)] + [("redis", c) for c in counts]:
        sel = [r for r in rows if r["mode"] == mode and r.get("instances") == n]
        if sel:
            summary["%s x%d" % (mode, n)] = {k: median_of(sel, k) for k in (
                "notifications_per_s", "pushgwd_cpu_us_per_notification", "redis_cpu_us_per_notification")}
    h = [r for r in rows if r["mode"] == "h2load" and "req_per_s" in r]
    if h:
        summary["h2load"] = {"req_per_s": median_of(h, "req_per_s")}
    print(json.dumps({"summary": summary, "runs": a.runs, "recipients": a.recipients, "sink": a.sink,
                      "workers": a.workers, "batch": a.batch}, indent=1))


if __name__ == "__main__":
    main()
