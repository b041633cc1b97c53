"""Redis for the integration tests: a private redis-server (Debian package
redis-server) on a free loopback port in a temp dir; the RESP client is
tools/bench/resp.py (redis-py is not installed)."""
import os
import shutil
import sys
import time

from harness import free_port

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../tools/bench"))
from child import Child  # noqa: E402
from resp import Resp, RespError  # noqa: E402,F401

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


class RedisServer:
    """redis-server on 127.0.0.1:<free port>, no persistence, data in dir."""

    def __init__(self, workdir, port=None, extra_args=()):
        self.dir = os.path.join(workdir, "redis")
        os.makedirs(self.dir, exist_ok=True)
        self.port = port or free_port()
        self.child = Child(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self.dir, "--protected-mode", "no"] + list(extra_args),
            os.path.join(self.dir, "redis.log"))
        self.proc = self.child.proc
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                c = Resp(self.port, timeout=2)
                if c.call("PING") == "PONG":
                    c.close()
                    return
            except OSError:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError("redis-server exited: " + open(os.path.join(self.dir, "redis.log")).read())
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    @property
    def url(self):
        return "redis://127.0.0.1:%d" % self.port

    def client(self):
        return Resp(self.port)

    def stop(self):
        self.child.stop()


def redis_section(url, stream="pushgw:requests", group="pushgw", consumer=None, batch=None, block_ms=None,
                  claim_idle_ms=None, results_stream=None, feedback_stream=None):
    lines = ["[ingest.redis]", 'url = "%s"' % url, 'stream = "%s"' % stream, 'group = "%s"' % group]
    for key, value in (("consumer", consumer), ("results_stream", results_stream),
                       ("feedback_stream", feedback_stream)):
        if value is not None:
            lines.append('%s = "%s"' % (key, value))
    for key, value in (("batch", batch), ("block_ms", block_ms), ("claim_idle_ms", claim_idle_ms)):
        if value is not None:
            lines.append("%s = %d" % (key, value))
    return "\n".join(lines) + "\n"


def fields(entry_fields):
    """[k1, v1, k2, v2] -> {k1: v1, k2: v2}"""
    return dict(zip(entry_fields[0::2], entry_fields[1::2]))
