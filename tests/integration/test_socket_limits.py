"""Socket memory is bounded (issue 15, item 7): a client that pipelines big
reads and never reads the answers stops being read and served once it owes
too much, instead of making the daemon build gigabytes of answers; the number
of clients is capped with a clear error; idle clients are closed."""
import json
import socket
import sys
import threading
import time

from harness import Client, Rig, apns_token, sanitized_build, wait_until

MIB = 1 << 20
EVENTS = 5000
READS = 2000


def make_feedback_events(d, n):
    """n feedback events: tokens the sim answers 410 Unregistered."""
    toks = [apns_token(i, "410") for i in range(n)]
    r = d.request({"op": "send", "wait": True, "notifications": [
        {"platform": "apns", "app": "shop-ios", "tokens": toks, "payload": {"aps": {"alert": "x"}}}]}, timeout=600)
    assert r["ok"] and len(r["results"]) == n
    assert all(x["status"] == "unsubscribed" for x in r["results"])


def test_pipelined_feedback_reads_never_read_keep_memory_bounded():
    rig = Rig()
    try:
        d = rig.daemon()
        make_feedback_events(d, EVENTS)
        page = d.request({"op": "feedback", "since": 0, "limit": EVENTS})
        assert len(page["events"]) == EVENTS
        answer_bytes = len(json.dumps(page))
        rss0 = d.rss_kb()
        # The requests are padded (a long id) so that together they are far
        # more than the socket buffers hold: a daemon that stops reading
        # leaves the writer blocked.
        pad = "p" * 1000
        lines = b"".join(('{"op":"feedback","id":"%s-%d","since":0,"limit":%d}\n' % (pad, i, EVENTS)).encode()
                         for i in range(READS))
        bomb = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        bomb.connect(d.socket)
        sent = threading.Event()

        def writer():
            try:
                bomb.sendall(lines)
                sent.set()
            except OSError:
                pass

        t = threading.Thread(target=writer, daemon=True)
        t.start()
        # Give the daemon every chance to read all of it (it does in well under a
        # second when it does not hold back): a wait, not an assertion.
        sent.wait(10)
        # The store answers reads in order: this one comes after every read the
        # daemon took from the bomb, so their answers exist by now.
        t0 = time.monotonic()
        other = d.request({"op": "feedback", "since": 0, "limit": EVENTS}, timeout=900)
        other_s = time.monotonic() - t0
        assert len(other["events"]) == EVENTS
        ping = d.request({"op": "ping"})
        assert ping["ok"] is True
        rss1, hwm1 = d.rss_kb(), d.hwm_kb()
        sys.stderr.write("feedback answer %d bytes; %d pipelined reads never read: RSS %d -> %d MiB (VmHWM %d MiB); "
                         "all request bytes taken by the daemon: %s; a read on another connection: %.2f s\n"
                         % (answer_bytes, READS, rss0 >> 10, rss1 >> 10, hwm1 >> 10, sent.is_set(), other_s))
        # The daemon stopped taking that client's requests...
        assert not sent.is_set()
        # ... and what it holds for it is bounded (64 answers of ~1 MB + the
        # 8 MiB of unwritten output), not 2,000 answers (1.6 GiB before).
        if not sanitized_build():
            assert rss1 - rss0 < 300 * 1024, (rss0, rss1)
        # Once the client reads, every request is answered, in full.
        bomb.settimeout(900)
        got, buf = 0, bytearray()
        while got < READS:
            chunk = bomb.recv(4 * MIB)
            assert chunk, "daemon closed the connection after %d answers" % got
            buf += chunk
            got += chunk.count(b"\n")
            if len(buf) > 8 * MIB:
                del buf[:buf.rindex(b"\n") + 1]
        t.join(60)
        assert sent.is_set()
        bomb.close()
        assert d.proc.poll() is None and d.request({"op": "ping"})["ok"] is True
    finally:
        rig.close()


def read_until_eof(sock, timeout):
    sock.settimeout(timeout)
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def test_connection_over_the_limit_is_refused_while_others_work():
    rig = Rig()
    try:
        d = rig.daemon(rig.config(server_extra="max_connections = 4"))
        # Daemon.start's own probe connection may still be closing: wait until
        # four clients are all admitted.
        clients = []
        for i in range(4):
            c = wait_until(lambda: _admitted(d), timeout=30)
            clients.append(c)
        extra = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        extra.connect(d.socket)
        got = read_until_eof(extra, 30)
        answer = json.loads(got.split(b"\n")[0])
        assert answer["ok"] is False and answer["error"] == "too_many_connections", answer
        assert "max_connections" in answer["message"]
        extra.close()
        for c in clients:
            assert c.request({"op": "ping"})["ok"] is True
        # A place freed is a place for the next client.
        clients.pop().close()
        c = wait_until(lambda: _admitted(d), timeout=30)
        assert c.request({"op": "stats"})["ok"] is True
        for c2 in clients + [c]:
            c2.close()
        assert "max_connections" in d.logs()
    finally:
        rig.close()


def _admitted(d):
    """A client the daemon serves, or None when it was refused."""
    c = Client(d.socket, timeout=30)
    try:
        r = c.request({"op": "ping"})
    except (OSError, ValueError):
        c.close()
        return None
    if r.get("ok") is True:
        return c
    c.close()
    return None


def test_idle_client_is_closed_and_a_busy_one_is_not():
    rig = Rig()
    try:
        d = rig.daemon(rig.config(server_extra="idle_timeout_seconds = 1"))
        idle = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        idle.connect(d.socket)
        idle.sendall(b'{"op":"ping","id":"half')  # a partial line, never finished
        assert read_until_eof(idle, 30) == b""
        idle.close()
        # A client that keeps talking is never idle.
        c = d.client()
        for _ in range(8):
            assert c.request({"op": "ping"})["ok"] is True
            time.sleep(0.3)
        c.close()
        assert "idle_timeout_seconds" in d.logs()
    finally:
        rig.close()
