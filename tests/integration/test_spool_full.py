"""A spool write error does not disable the spool for good (issue 16, item 8):
on a full disk the writer retries, and while it fails new sends are refused
with spool_failed WITHOUT being sent (a client retrying that answer must not
cause a duplicate). Once the disk has room again the spool writes, the send
that was waiting for its journal record is acknowledged, and new sends are
accepted and delivered.

The spool lives on a small tmpfs (CI runs as root); a filler file fills it."""
import os
import subprocess
import threading

import pytest

from harness import Rig, apns_token, wait_until


def send(d, tokens):
    return d.request({"op": "send", "notifications": [
        {"platform": "apns", "app": "shop-ios", "tokens": tokens, "payload": {"aps": {"alert": "f"}}}]}, timeout=60)


def spool_stats(d):
    return d.request({"op": "stats"})["spool"]


@pytest.fixture
def small_disk():
    rig = Rig()
    mnt = os.path.join(rig.dir, "disk")
    os.mkdir(mnt)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt]).returncode != 0:
        rig.close()
        pytest.skip("needs root to mount a tmpfs")
    try:
        yield rig, mnt
    finally:
        for d in rig.daemons:
            if d.proc and d.proc.poll() is None:
                d.kill9()
        subprocess.run(["umount", "-l", mnt])
        rig.close()


def fill(path):
    """Writes until the file system is full (ENOSPC)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for block in (65536, 4096, 512, 1):
            try:
                while True:
                    os.write(fd, b"\0" * block)
            except OSError:
                pass
    finally:
        os.close(fd)


def test_full_disk_refuses_new_sends_unsent_and_recovers(small_disk):
    rig, mnt = small_disk
    d = rig.daemon(rig.config(extra='[spool]\npath = "%s/spool"\nfsync = "batch"\n' % mnt))
    before = [apns_token(i, "bef0") for i in range(20)]
    assert send(d, before)["accepted"] == 20
    assert wait_until(lambda: len(rig.sim.tokens("apns")) == 20)

    filler = os.path.join(mnt, "filler")
    fill(filler)
    # This send is accepted and handed to the senders before its journal
    # record is written: its acknowledgement waits for the spool's retry.
    # (Its record, ~14 KB, is larger than what is left of the segment's last page.)
    waiting = [apns_token(i, "a17a") for i in range(200)]
    out = {}
    t = threading.Thread(target=lambda: out.update(r=send(d, waiting)))
    t.start()
    assert wait_until(lambda: spool_stats(d)["failed"], timeout=30)
    # While the spool fails, new sends are refused and never sent.
    refused = [apns_token(i, "0ff0") for i in range(20)]
    for _ in range(3):
        r = send(d, refused)
        assert r["ok"] is False and r["error"] == "spool_failed", r
        assert "nothing of this request was sent" in r["message"]
    assert not t.join(0.5) and "r" not in out   # still waiting for its journal record

    os.unlink(filler)
    t.join(30)
    assert out["r"]["ok"] and out["r"]["accepted"] == 200   # written on a retry: acknowledged as durable
    assert wait_until(lambda: not spool_stats(d)["failed"], timeout=30)
    after = [apns_token(i, "af7e") for i in range(20)]
    assert send(d, after)["accepted"] == 20
    assert wait_until(lambda: len(rig.sim.tokens("apns")) == 240, timeout=60)
    seen = rig.sim.tokens("apns")
    assert set(seen) == set(before + waiting + after) and max(seen.values()) == 1
    assert not any(tok in seen for tok in refused)
    logs = d.logs()
    assert "new sends are refused" in logs and "writes again" in logs
    # The journal stayed readable: a restart replays nothing that was finished.
    assert wait_until(lambda: spool_stats(d)["live_requests"] == 0, timeout=30)
    d.kill9()
    d.start()
    assert spool_stats(d)["replayed"] == 0
