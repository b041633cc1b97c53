"""Smaller hardening items of issue 15 (item 10), on the real pushgwd: test
ops only for root (or a test build), no core dumps, and a store that only
its owner can read whatever the umask."""
import json
import os
import socket
import subprocess
import sys
import time

from harness import Child, Client, Rig, binpath

NOBODY = 65534
HOOKS = {"PUSHGW_TEST_HOOKS": "1"}


def ask_as(uid, sock_path, obj):
    """One request from a process running as uid (a peer the daemon sees as uid)."""
    code = ("import json,socket,sys\n"
            "s=socket.socket(socket.AF_UNIX,socket.SOCK_STREAM);s.settimeout(30);s.connect(sys.argv[1])\n"
            "s.sendall(sys.argv[2].encode()+b'\\n');b=b''\n"
            "while not b.endswith(b'\\n'):\n"
            "    c=s.recv(65536)\n"
            "    if not c: break\n"
            "    b+=c\n"
            "print(b.decode().strip())\n")
    out = subprocess.run([sys.executable, "-c", code, sock_path, json.dumps(obj)], user=uid, group=uid,
                         extra_groups=[], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_test_ops_answer_root_only():
    rig = Rig()
    try:
        os.chmod(rig.dir, 0o755)  # let the other uid reach the socket
        d = rig.daemon(env=HOOKS)
        os.chmod(d.socket, 0o666)
        # Root (this test) may move the scheduling clock...
        assert d.request({"op": "test_clock", "advance_ms": 1})["ok"] is True
        # ... another uid may not, though PUSHGW_TEST_HOOKS=1 is set; the rest works for it.
        r = ask_as(NOBODY, d.socket, {"op": "test_clock", "id": "t", "advance_ms": 1})
        assert r["ok"] is False and r["error"] == "unknown_op", r
        r = ask_as(NOBODY, d.socket, {"op": "test_stall", "id": "s", "sender": 0, "ms": 1})
        assert r["ok"] is False and r["error"] == "unknown_op", r
        assert ask_as(NOBODY, d.socket, {"op": "ping", "id": "p"})["ok"] is True
    finally:
        rig.close()


def wait_socket(path, proc, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(path):
            try:
                c = Client(path)
                c.request({"op": "ping"})
                c.close()
                return
            except OSError:
                pass
        assert proc.poll() is None, "pushgwd exited"
        time.sleep(0.05)
    raise AssertionError("pushgwd did not start")


def test_not_dumpable_and_store_owner_only_whatever_the_umask():
    """Run as an unprivileged uid with umask 000: /proc/<pid> of a
    non-dumpable process belongs to root, and the store files are 0600."""
    rig = Rig()
    child = None
    try:
        for root, dirs, files in os.walk(rig.dir):
            for n in dirs + files:
                os.chown(os.path.join(root, n), NOBODY, NOBODY)
        os.chown(rig.dir, NOBODY, NOBODY)
        cfg = os.path.join(rig.dir, "nobody.toml")
        with open(cfg, "w") as f:
            f.write(rig.config())
        sock = os.path.join(rig.dir, "nobody.sock")
        child = Child([binpath("pushgwd"), "--config", cfg, "--socket", sock], os.path.join(rig.dir, "nobody.log"),
                      user=NOBODY, group=NOBODY, extra_groups=[], umask=0)
        wait_socket(sock, child.proc)
        pid = child.proc.pid
        with open("/proc/%d/status" % pid) as f:
            uid_line = [l for l in f if l.startswith("Uid:")][0]
        assert uid_line.split()[1] == str(NOBODY), uid_line
        # Not dumpable: the kernel gives its /proc files to root.
        assert os.stat("/proc/%d/status" % pid).st_uid == 0
        db = os.path.join(rig.dir, "pushgw.db")
        for path in (db, db + "-wal", db + "-shm"):
            assert os.stat(path).st_mode & 0o777 == 0o600, (path, oct(os.stat(path).st_mode))
    finally:
        if child:
            child.stop()
        rig.close()
