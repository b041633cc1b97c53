"""Child processes for the integration tests and the benchmark: started with
stdout and stderr appended to a log file, stopped with a signal and killed
when they do not exit in time, so no test or benchmark leaves one behind."""
import signal
import socket
import subprocess


def free_port():
    """A loopback TCP port free right now (for servers that cannot report the
    port they bound, such as redis-server and postgres)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Child:
    """One process; .proc is the subprocess.Popen, .log its open log file."""

    def __init__(self, argv, log_path, **popen_kw):
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, **popen_kw)

    def running(self):
        return self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Sends sig (if it still runs), waits up to timeout seconds, then
        kills it. Closes the log; safe to call again. Returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self.log.closed:
            self.log.close()
        return self.proc.returncode
