"""Test rig: generates credentials, starts pushgw-sim and pushgwd on loopback,
and talks the socket protocol. Every test gets its own temp dir and ports."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import re
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../tools/bench"))
from child import Child, free_port  # noqa: E402,F401

BIN = os.environ.get("PUSHGW_BIN", os.path.join(os.path.dirname(__file__), "../../build/bin"))


def binpath(name):
    return os.path.join(BIN, name)


class Sim:
    """pushgw-sim on 127.0.0.1 with an admin port."""

    def __init__(self, workdir, extra_args=(), apns_keys=(), fcm_accounts=(), subscriptions=None):
        self.dir = workdir
        self.port_file = os.path.join(workdir, "sim.ports")
        if os.path.exists(self.port_file):
            os.unlink(self.port_file)
        args = [binpath("pushgw-sim"), "serve", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
                "--cert", os.path.join(workdir, "pki/server.pem"),
                "--key", os.path.join(workdir, "pki/server.key"), "--port-file", self.port_file]
        for k in apns_keys:
            args += ["--apns-key", k]
        for sa in fcm_accounts:
            args += ["--fcm-service-account", sa]
        if subscriptions:
            args += ["--webpush-subscriptions", subscriptions]
        args += list(extra_args)
        self.child = Child(args, os.path.join(workdir, "sim.log"))
        self.proc = self.child.proc
        deadline = time.time() + 20
        while time.time() < deadline:
            if os.path.exists(self.port_file):
                parts = open(self.port_file).read().split()
                if len(parts) >= 2:
                    self.port, self.admin_port = int(parts[0]), int(parts[1])
                    return
            if self.proc.poll() is not None:
                raise RuntimeError("pushgw-sim exited: " + open(os.path.join(workdir, "sim.log")).read())
            time.sleep(0.05)
        raise RuntimeError("pushgw-sim did not start")

    @property
    def origin(self):
        return "https://127.0.0.1:%d" % self.port

    def admin(self, path, body=None):
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.admin_port, path),
                                     data=body.encode() if body is not None else None,
                                     method="POST" if body is not None else "GET")
        with urllib.request.urlopen(req, timeout=30) as r:
            data = r.read().decode()
        return json.loads(data) if data.strip().startswith(("{", "[")) else data

    def stats(self):
        return self.admin("/stats")

    def tokens(self, platform="apns"):
        return self.admin("/tokens?platform=" + platform)

    def stop(self):
        self.child.stop()


class Daemon:
    def __init__(self, workdir, config_text, name="pushgwd", env=None):
        self.env = env
        self.dir = workdir
        self.config = os.path.join(workdir, name + ".toml")
        with open(self.config, "w") as f:
            f.write(config_text)
        self.socket = os.path.join(workdir, name + ".sock")
        self.log_path = os.path.join(workdir, name + ".log")
        self.proc = None
        self.start()

    def start(self):
        if os.path.exists(self.socket):
            os.unlink(self.socket)
        env = dict(os.environ)
        env.update(self.env or {})
        self.child = Child([binpath("pushgwd"), "--config", self.config, "--socket", self.socket], self.log_path,
                           env=env)
        self.proc = self.child.proc
        deadline = time.time() + 20
        while time.time() < deadline:
            if os.path.exists(self.socket):
                try:
                    c = Client(self.socket)
                    c.request({"op": "ping"})
                    c.close()
                    return
                except OSError:
                    pass
            if self.proc.poll() is not None:
                raise RuntimeError("pushgwd exited %s: %s" % (self.proc.returncode, open(self.log_path).read()))
            time.sleep(0.05)
        raise RuntimeError("pushgwd did not start: " + open(self.log_path).read())

    def client(self):
        return Client(self.socket)

    def request(self, obj, timeout=120):
        c = Client(self.socket, timeout)
        try:
            return c.request(obj)
        finally:
            c.close()

    def rss_kb(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def hwm_kb(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return 0

    def terminate(self, timeout=60):
        return self.child.stop(signal.SIGTERM, timeout)

    def reload(self, config_text):
        with open(self.config, "w") as f:
            f.write(config_text)
        self.proc.send_signal(signal.SIGHUP)

    def kill9(self):
        self.child.stop(signal.SIGKILL)

    def logs(self):
        return open(self.log_path, errors="replace").read()


class Client:
    """Socket-protocol client: one JSON object per line, correlated by id."""

    def __init__(self, path, timeout=120):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        self.seq = 0

    def send_raw(self, data: bytes):
        self.sock.sendall(data)

    def read_line(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("daemon closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def request(self, obj):
        if "id" not in obj:
            self.seq += 1
            obj = dict(obj, id="req-%d" % self.seq)
        self.send_raw((json.dumps(obj, separators=(",", ":")) + "\n").encode())
        while True:
            resp = self.read_line()
            if resp.get("id") == obj["id"]:
                return resp

    def close(self):
        self.sock.close()


def sanitized_build():
    """True when pushgwd was built with ASan/TSan: memory figures are then
    the sanitizer's (shadow memory, quarantine), not ours."""
    with open(binpath("pushgwd"), "rb") as f:
        data = f.read()
    return b"__asan_init" in data or b"__tsan_init" in data


SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "WARNING: ThreadSanitizer", "ERROR: LeakSanitizer",
                     "runtime error:")


def sanitizer_reports(workdir):
    """The first lines of every sanitizer report in the *.log files of workdir."""
    found = []
    for name in sorted(os.listdir(workdir)):
        if not name.endswith(".log"):
            continue
        with open(os.path.join(workdir, name), errors="replace") as f:
            lines = f.read().splitlines()
        for i, line in enumerate(lines):
            if any(m in line for m in SANITIZER_MARKERS):
                found.append("%s: %s" % (name, " | ".join(lines[i:i + 6])))
    return found


class Rig:
    """A workdir with a CA, an APNs key, a sim and helpers to write configs."""

    TEAM = "TEAM123456"
    KEY_ID = "KEY1234567"

    def __init__(self, sim_args=(), with_fcm=False, webpush_subs=0):
        self.dir = tempfile.mkdtemp(prefix="pushgw-it-")
        run([binpath("pushgw-sim"), "gen-ca", "--out", os.path.join(self.dir, "pki")])
        self.apns_key = os.path.join(self.dir, "AuthKey_%s.p8" % self.KEY_ID)
        run([binpath("pushgw-sim"), "gen-apns-key", "--out", self.apns_key])
        self.sim_args = list(sim_args)
        self.sim = Sim(self.dir, self.sim_args, apns_keys=["%s:%s:%s" % (self.TEAM, self.KEY_ID, self.apns_key)])
        self.daemons = []

    def apns_section(self, app="shop-ios", connections=2, topic="com.example.shop"):
        return """
[[apns]]
app = "%s"
team_id = "%s"
key_id = "%s"
key_file = "%s"
topic = "%s"
environment = "production"
endpoint = "%s"
connections = %d
""" % (app, self.TEAM, self.KEY_ID, self.apns_key, topic, self.sim.origin, connections)

    def config(self, extra="", workers=2, store=True, apps=None, server_extra="",
               delivery="max_attempts = 5\nmax_retry_seconds = 60", metrics=""):
        apps = apps if apps is not None else self.apns_section()
        return """
[server]
socket = "%s/unused.sock"
socket_mode = "0600"
workers = %d
%s
[store]
path = "%s/pushgw.db"

[metrics]
listen = "%s"

[tls]
ca_file = "%s/pki/ca.pem"

[log]
level = "info"

[delivery]
%s
%s
%s
""" % (self.dir, workers, server_extra, self.dir, metrics, self.dir, delivery, apps, extra)

    def daemon(self, config_text=None, name="pushgwd", env=None):
        d = Daemon(self.dir, config_text or self.config(), name, env)
        self.daemons.append(d)
        return d

    def close(self):
        for d in self.daemons:
            if d.proc:
                d.child.stop(signal.SIGKILL)
        self.sim.stop()
        reports = sanitizer_reports(self.dir)
        if os.environ.get("PUSHGW_KEEP_TMP") is None:
            shutil.rmtree(self.dir, ignore_errors=True)
        # Under ASan/UBSan/TSan a report in any process log fails the test,
        # even when the process survived it (a race need not crash).
        assert not reports, "sanitizer report:\n" + "\n".join(reports)


class FcmRig(Rig):
    """A Rig whose sim also knows a Google service account (sa.json), so FCM
    apps get real OAuth access tokens from the sim's /token."""

    def __init__(self, sim_args=(), token_ttl=None):
        self.dir = tempfile.mkdtemp(prefix="pushgw-it-")
        run([binpath("pushgw-sim"), "gen-ca", "--out", os.path.join(self.dir, "pki")])
        self.apns_key = os.path.join(self.dir, "AuthKey_%s.p8" % self.KEY_ID)
        run([binpath("pushgw-sim"), "gen-apns-key", "--out", self.apns_key])
        # The service account names the sim's /token, whose port we only know
        # after start: start the sim first with a placeholder, then restart.
        self.sa = os.path.join(self.dir, "sa.json")
        extra = list(sim_args) + (["--token-ttl", str(token_ttl)] if token_ttl else [])
        probe = Sim(self.dir, [])
        port = probe.port
        probe.stop()
        run([binpath("pushgw-sim"), "gen-service-account", "--out", self.sa, "--project", "demo-project",
             "--token-uri", "https://127.0.0.1:%d/token" % port])
        self.sim = Sim(self.dir, extra + ["--listen", "127.0.0.1:%d" % port],
                       apns_keys=["%s:%s:%s" % (self.TEAM, self.KEY_ID, self.apns_key)], fcm_accounts=[self.sa])
        self.daemons = []

    def fcm_section(self, app="shop-android", connections=2):
        return '\n[[fcm]]\napp = "%s"\nservice_account = "%s"\nendpoint = "%s"\nconnections = %d\n' % (
            app, self.sa, self.sim.origin, connections)


class WebPushOriginsRig(Rig):
    """A Rig whose Web Push app (shop-web) talks to origins that are
    pushgw-sim processes of their own (each with its folder, faults and
    port), besides the APNs sim."""

    def __init__(self):
        super().__init__()
        self.vapid = os.path.join(self.dir, "vapid.pem")
        run([binpath("pushgw-sim"), "gen-vapid-key", "--out", self.vapid])
        self.origins = []

    def origin(self, faults=(), host="127.0.0.1", port=None, count=0, args=()):
        """A pushgw-sim playing one Web Push origin (its own folder for logs
        and port file); with count, subscriptions it knows are generated
        first, so it decrypts and answers 201."""
        sub = os.path.join(self.dir, "origin%d" % len(self.origins))
        os.makedirs(sub)
        os.symlink(os.path.join(self.dir, "pki"), os.path.join(sub, "pki"))
        args = list(args)
        for f in faults:
            args += ["--fault", f]
        subs_file = None
        if port is not None:
            args += ["--listen", "127.0.0.1:%d" % port]
            subs_file = self._subscriptions(sub, host, port, count) if count else None
        sim = Sim(sub, args, subscriptions=subs_file)
        sim.host = host
        self.origins.append(sim)
        return sim

    def _subscriptions(self, folder, host, port, count):
        path = os.path.join(folder, "subs.json")
        run([binpath("pushgw-sim"), "gen-subscriptions", "--count", str(count), "--endpoint-base",
             "https://%s:%d/wp/" % (host, port), "--out", path])
        return path

    def subs(self, sim, count):
        """count subscriptions whose endpoints are on sim (valid keys, so the
        daemon encrypts; the sim need not know them)."""
        folder = os.path.join(self.dir, "subs-%d-%d" % (sim.port, count))
        os.makedirs(folder, exist_ok=True)
        path = self._subscriptions(folder, sim.host, sim.port, count)
        return [{"endpoint": s["endpoint"], "keys": s["keys"]} for s in json.load(open(path))]

    def wp_section(self, app="shop-web"):
        """The Web Push app; its endpoint_ports are the origins' (start them first)."""
        ports = ", ".join(str(s.port) for s in self.origins)
        return ('\n[[webpush]]\napp = "%s"\nvapid_key_file = "%s"\nvapid_subject = "mailto:ops@example.com"\n'
                'connections = 2\nallow_private_endpoints = true\nendpoint_ports = [%s]\n') % (app, self.vapid, ports)

    def close(self):
        for s in self.origins:
            s.stop()
        super().close()


def send_apns(d, tokens, timeout=120, app="shop-ios"):
    """One wait:true send of an alert to tokens of an APNs app; its answer."""
    return d.request({"op": "send", "wait": True, "notifications": [
        {"platform": "apns", "app": app, "tokens": tokens, "payload": {"aps": {"alert": "x"}}}]},
        timeout=timeout)


def statuses(resp):
    """A wait:true answer's results counted by status; a failure counts
    under "failed:<reason>"."""
    out = {}
    for r in resp["results"]:
        key = r["status"] if r["status"] != "failed" else "failed:" + r.get("reason", "")
        out[key] = out.get(key, 0) + 1
    return out


def metric(port, name):
    """The value of an unlabelled sample on 127.0.0.1:port/metrics; None
    when it is not there."""
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as r:
        body = r.read().decode()
    m = re.search(r"^%s (\S+)$" % re.escape(name), body, re.M)
    return float(m.group(1)) if m else None


def observed_daemon(rig):
    """shop-ios on the sim, dead-ios on a port nobody listens on (its
    breaker opens), a spool, and metrics on a free port."""
    port = free_port()
    dead = rig.apns_section(app="dead-ios").replace(rig.sim.origin, "https://127.0.0.1:%d" % free_port())
    cfg = rig.config(apps=rig.apns_section() + dead, metrics="127.0.0.1:%d" % port,
                     # No suspect hold: the views show invalid answers as they come, beside the rest.
                     delivery="max_attempts = 3\nmax_retry_seconds = 4\nsuspect_hold_ms = 0",
                     server_extra="max_queued = 50000",
                     extra='[spool]\npath = "%s/spool"\n' % rig.dir)
    d = rig.daemon(cfg)
    d.metrics_port = port
    return d


def run(args):
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        raise RuntimeError("%s failed: %s" % (args[0], r.stdout.decode(errors="replace")))
    return r.stdout.decode()


def apns_token(i, prefix=""):
    """Deterministic 64-hex APNs token, optionally starting with a sim script prefix."""
    body = "%060x" % (i * 2654435761 % (1 << 240))
    tok = (prefix + "a1" + body)[:64]
    return tok.ljust(64, "0")


def wait_until(fn, timeout=30, interval=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(interval)
    return fn()
