"""A throwaway PostgreSQL server for tests and benchmarks: Debian's
postgresql-15 binaries, a fresh cluster in a temp dir, listening on
127.0.0.1 on a free port (and a Unix socket inside the temp dir).

PostgreSQL refuses to run as root; when we are root (CI), the cluster
directory is given to the `postgres` user and initdb/postgres run as that
user (what `runuser -u postgres --` does, but without a runuser process in
between: signals reach the postmaster itself, so a stop never leaves an
orphaned server behind).

    python3 tests/integration/pg_rig.py [--fsync]   # starts one, prints a DSN, runs until Ctrl-C / stdin EOF
"""
import atexit
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../tools/bench"))
from child import Child, free_port  # noqa: E402

PG_BIN = os.environ.get("PUSHGW_PG_BIN", "/usr/lib/postgresql/15/bin")
SUPERUSER = "pushgw"


def available():
    return os.path.exists(os.path.join(PG_BIN, "postgres")) and os.path.exists(os.path.join(PG_BIN, "initdb"))


class PgServer:
    def __init__(self, fsync=False):
        if not available():
            raise RuntimeError("PostgreSQL binaries not found in %s (apt-get install postgresql)" % PG_BIN)
        self.dir = tempfile.mkdtemp(prefix="pushgw-pg-")
        self.data = os.path.join(self.dir, "data")
        self.sockdir = os.path.join(self.dir, "sock")
        os.mkdir(self.sockdir)
        self.as_root = os.geteuid() == 0
        if self.as_root:
            pw = pwd.getpwnam("postgres")
            for path in (self.dir, self.sockdir):
                os.chown(path, pw.pw_uid, pw.pw_gid)
        self.log_path = os.path.join(self.dir, "postgres.log")
        self._run([os.path.join(PG_BIN, "initdb"), "-D", self.data, "-U", SUPERUSER, "-A", "trust",
                   "-E", "UTF8", "--locale=C", "--no-sync"])
        self.port = free_port()
        args = [os.path.join(PG_BIN, "postgres"), "-D", self.data, "-k", self.sockdir, "-h", "127.0.0.1",
                "-p", str(self.port), "-c", "max_connections=50", "-c", "shared_buffers=64MB"]
        if not fsync:
            args += ["-c", "fsync=off", "-c", "full_page_writes=off"]
        self.child = Child(args, self.log_path, stdin=subprocess.DEVNULL, **self._as_postgres())
        self.proc = self.child.proc
        # A caller that dies on an exception before stop() leaves no server behind.
        atexit.register(self.stop)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("postgres exited: " + self.logs())
            r = subprocess.run([os.path.join(PG_BIN, "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if r.returncode == 0:
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("postgres did not start: " + self.logs())

    def _as_postgres(self):
        if not self.as_root:
            return {}
        return {"user": "postgres", "group": "postgres", "extra_groups": [], "cwd": self.dir}

    def _run(self, args):
        r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **self._as_postgres())
        if r.returncode != 0:
            raise RuntimeError("%s failed: %s" % (args[0], r.stdout.decode(errors="replace")))
        return r.stdout.decode()

    def dsn(self, dbname="postgres"):
        return "host=127.0.0.1 port=%d user=%s dbname=%s" % (self.port, SUPERUSER, dbname)

    def psql(self, sql, dbname="postgres"):
        """Runs SQL; returns the unaligned, tuples-only output."""
        r = subprocess.run([os.path.join(PG_BIN, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                            "-d", self.dsn(dbname), "-c", sql], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if r.returncode != 0:
            raise RuntimeError("psql failed: " + r.stdout.decode(errors="replace"))
        return r.stdout.decode().strip()

    def create_db(self, name):
        self.psql('CREATE DATABASE "%s"' % name)
        return self.dsn(name)

    def logs(self):
        try:
            return open(self.log_path, errors="replace").read()
        except OSError:
            return ""

    def restart(self):
        """Stops the server (fast shutdown) and starts it again on the same port."""
        self.halt()
        self.resume()

    def halt(self):
        """Stops the server (fast shutdown), keeping its data: resume() starts it again."""
        self.child.stop(signal.SIGINT, 30)

    def resume(self):
        """Starts a halted server again on the same port and data."""
        port = self.port
        args = [os.path.join(PG_BIN, "postgres"), "-D", self.data, "-k", self.sockdir, "-h", "127.0.0.1",
                "-p", str(port)]
        self.child = Child(args, self.log_path, stdin=subprocess.DEVNULL, **self._as_postgres())
        self.proc = self.child.proc
        deadline = time.time() + 30
        while time.time() < deadline:
            r = subprocess.run([os.path.join(PG_BIN, "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if r.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("postgres did not restart: " + self.logs())

    def stop(self):
        if self.child.log.closed:  # stopped already
            return
        self.child.stop(signal.SIGINT, 30)  # fast shutdown
        if os.environ.get("PUSHGW_KEEP_TMP") is None:
            shutil.rmtree(self.dir, ignore_errors=True)


if __name__ == "__main__":
    # Runs until stdin closes (the parent exited or closed the pipe: a test
    # that crashes still stops its server) or SIGINT/SIGTERM.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    server = PgServer(fsync="--fsync" in sys.argv)
    print(server.dsn(), flush=True)
    try:
        sys.stdin.read()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
