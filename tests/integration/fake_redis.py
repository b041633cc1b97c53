"""A fake Redis server on 127.0.0.1 for tests of a broken or hostile one:
it answers what pushgwd's Redis source asks (PING, XGROUP, XPENDING,
XREADGROUP of its own pending list, XAUTOCLAIM, XINFO, XACK...) like an
empty stream would, and holds every XREADGROUP ... ">" (a read that blocks)
until arm(reply) is called; from then on each such read is answered with
the hostile reply, a callable that writes to the socket what it likes."""
import socket
import threading


def _read_command(f):
    """One RESP array of bulk strings from a client; None at EOF."""
    line = f.readline()
    if not line:
        return None
    if not line.startswith(b"*"):
        raise ValueError("not a command: %r" % line[:40])
    argv = []
    for _ in range(int(line[1:])):
        n = int(f.readline()[1:])
        argv.append(f.read(n + 2)[:-2])
    return argv


class FakeRedis:
    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.lock = threading.Lock()
        self.armed = threading.Event()
        self.hostile = None
        self.reads_held = 0          # blocking reads seen before arm()
        self.hostile_answers = 0     # blocking reads answered with the hostile reply
        self.sent = []               # bytes written by each hostile answer until the peer left
        self.closing = False
        self.conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self):
        return "redis://127.0.0.1:%d" % self.port

    def arm(self, hostile):
        """hostile(sock) -> bytes it wrote (it returns when done or the peer left)."""
        self.hostile = hostile
        self.armed.set()

    def close(self):
        self.closing = True
        self.armed.set()
        self.sock.close()
        with self.lock:
            for c in self.conns:
                try:
                    c.close()
                except OSError:
                    pass

    def _accept(self):
        while not self.closing:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.conns.append(c)
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        f = c.makefile("rb")
        try:
            while not self.closing:
                argv = _read_command(f)
                if argv is None:
                    return
                if not self._answer(c, argv):
                    return
        except (OSError, ValueError):
            return
        finally:
            c.close()

    def _answer(self, c, argv):
        cmd = argv[0].upper()
        if cmd == b"XREADGROUP" and argv[-1] == b">":
            with self.lock:
                self.reads_held += 1
            self.armed.wait()
            if self.closing:
                return False
            sent = self.hostile(c)
            with self.lock:
                self.hostile_answers += 1
                self.sent.append(sent)
            return True
        c.sendall(self._plain(cmd))
        return True

    @staticmethod
    def _plain(cmd):
        if cmd == b"PING":
            return b"+PONG\r\n"
        if cmd == b"XREADGROUP":          # own pending list: empty
            return b"*-1\r\n"
        if cmd == b"XAUTOCLAIM":
            return b"*3\r\n$3\r\n0-0\r\n*0\r\n*0\r\n"
        if cmd in (b"XPENDING", b"XINFO", b"XCLAIM", b"EXEC"):
            return b"*0\r\n"
        if cmd == b"XACK":
            return b":0\r\n"
        if cmd == b"HGET":
            return b"$-1\r\n"
        return b"+OK\r\n"


def send_then_stream(head, fill, limit):
    """A hostile answer: head, then fill repeated until limit bytes in all
    or the peer closed. Returns the bytes written."""
    def answer(c):
        sent = 0
        try:
            c.sendall(head)
            sent = len(head)
            while sent < limit:
                c.sendall(fill)
                sent += len(fill)
        except OSError:
            pass
        return sent
    return answer
