"""The harness `bench_service` drives: the stand-in Gerrit in this process and
driverlogd in a subprocess following it over real SSH on loopback."""
import http.client
import os
import socket
import sqlite3
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))] * 1000 if values else 0.0


class Gerrit:
    """The stand-in, its keys and known_hosts, in this process (threads)."""

    def __init__(self, tmp, name):
        from driverlogd.standin import StandIn, generate_key, write_known_hosts
        host_key, self.key, self.known_hosts = (os.path.join(tmp, f"{name}_{x}") for x in (
            "host_key", "client_key", "known_hosts"))
        generate_key(host_key)
        self.server = StandIn(host_key, [generate_key(self.key)], port=0).start()
        write_known_hosts(self.known_hosts, "127.0.0.1", self.server.port, host_key)


class Daemon:
    def __init__(self, tmp, gerrit, catalog, name, bootstrapped=False, root=ROOT, extra=""):
        """`root`: the directory whose driverlogd package runs (another revision's);
        `extra`: more config, YAML appended as is."""
        self.dir = os.path.join(tmp, name)
        os.makedirs(os.path.join(self.dir, "state"))
        self.db = os.path.join(self.dir, "state", "driverlog.sqlite3")
        if bootstrapped:
            # As a bootstrap leaves it: done, and every CI account watched
            # (else the daemon bootstraps the accounts it never watched).
            from driverlogd import catalog as catalog_mod
            from driverlogd.bootstrap import DONE_KEY
            from driverlogd.store import Store
            from driverlogd.verdict.votes import ci_groups
            store = Store(self.db)
            with store.transaction():
                store.set_meta(DONE_KEY, "1")
                store.advance_position(int(time.time()) - 3600)
                store.watch(ci_groups(catalog_mod.load(catalog)), int(time.time()) - 3600)
            store.close()
        with socket.socket() as s:      # a free port for the daemon's HTTP
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        config = os.path.join(self.dir, "driverlogd.yaml")
        with open(config, "w") as f:
            f.write("gerrit: {host: 127.0.0.1, port: %d, username: driverlog,\n"
                    "         key_file: %s, known_hosts: %s}\n"
                    "catalog: %s\nstate_dir: state\nhttp: {host: 127.0.0.1, port: %d}\n%s"
                    % (gerrit.server.port, gerrit.key, gerrit.known_hosts, catalog, self.port,
                       extra))
        self.log = os.path.join(self.dir, "driverlogd.log")
        started = time.perf_counter()
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "driverlogd", "--config", config],
                stdout=log, stderr=subprocess.STDOUT, cwd=root)
        self.conn = None
        self._wait(lambda: b"driverlog_stream_up 1.0" in self.get("/metrics")[1], 180,
                   "streaming")
        self.startup = time.perf_counter() - started

    def _wait(self, ok, timeout, what, interval=0.1):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                break
            try:
                if ok():
                    return
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(interval)
        self.proc.kill()
        with open(self.log, errors="replace") as f:
            raise RuntimeError(f"driverlogd not {what} (exit {self.proc.wait()}):\n"
                               + f.read()[-3000:])

    def get(self, path, retry=True):
        """(status, body) over one keep-alive connection (reopened once if closed)."""
        try:
            self.conn = self.conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.conn.request("GET", path)
            r = self.conn.getresponse()
            return r.status, r.read()
        except (OSError, http.client.HTTPException):
            self.conn = None
            if not retry:
                raise
            return self.get(path, False)

    def status(self, field):
        with open(f"/proc/{self.proc.pid}/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            parts = f.read().rsplit(")", 1)[1].split()
        return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")

    def wait_position(self, ts, timeout=600):
        """Until the store's stream position reaches `ts` (committed in order)."""
        db = sqlite3.connect(self.db, timeout=30, isolation_level=None)
        try:
            self._wait(lambda: (db.execute("SELECT created_on FROM position").fetchone()
                                or (0,))[0] >= ts, timeout, f"at position {ts}", 0.002)
        finally:
            db.close()
        return time.perf_counter()

    def stop(self):
        self.proc.terminate()    # SIGTERM: the daemon stops within 5 s; again is a no-op
        self.proc.wait(30)
