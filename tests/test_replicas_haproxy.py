"""The shipped HAProxy config for replicas (config/haproxy/driverlog-replicas.cfg),
run by real HAProxy on loopback in front of two real daemons: readers go only to
the replicas whose /healthz passes, and to the backups (every replica) while
none passes, as when Gerrit is unreachable."""
import os
import shutil
import socket
import subprocess

import pytest

from tests.replica_support import QUERY, QUICK, answered, get, listening, seeded
from tests.service_support import REPO, Daemon, free_port, wait_for

CFG = REPO / "config" / "haproxy" / "driverlog-replicas.cfg"
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"

pytestmark = pytest.mark.skipif(not os.access(HAPROXY, os.X_OK),
                                reason="haproxy not installed; make test installs it")


def replace(text, old, new):
    """`old` must be in the shipped file: a changed file fails here rather than
    leaving the test to run against the file's own addresses."""
    assert old in text, f"{old!r} is no longer in {CFG.name}"
    return text.replace(old, new)


class HAProxy:
    """haproxy in the foreground (-db) with the shipped file, its addresses and
    port ours; a global section of its own (pid file, stats on a loopback port),
    never the system service."""

    def __init__(self, folder, replica1: int, replica2: int):
        self.port, self.stats_port = free_port(), free_port()
        cfg = CFG.read_text()
        cfg = replace(cfg, "10.0.0.11:8080", f"127.0.0.1:{replica1}")
        cfg = replace(cfg, "10.0.0.12:8080", f"127.0.0.1:{replica2}")
        cfg = replace(cfg, "bind :80", f"bind 127.0.0.1:{self.port}")
        # Checks every 200 ms instead of 2 s, only to keep the test short;
        # fall 2 rise 2 stay as shipped.
        cfg = replace(cfg, "inter 2s", "inter 200ms")
        (folder / "driverlog.cfg").write_text(cfg)
        (folder / "global.cfg").write_text(
            f"global\n    pidfile {folder}/haproxy.pid\n"
            f"    stats socket ipv4@127.0.0.1:{self.stats_port} level admin\n")
        self.log = folder / "haproxy.log"
        args = [HAPROXY, "-f", str(folder / "global.cfg"), "-f", str(folder / "driverlog.cfg")]
        check = subprocess.run(args + ["-c"], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(args + ["-db"], stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        Daemon.started.append(self.proc)    # killed with the test's daemons, whatever happens
        wait_for(lambda: listening(self.proc, self.port, self.log), 10, what="haproxy to listen")
        self.url = f"http://127.0.0.1:{self.port}"

    def states(self):
        """{server: status} of the backend, as HAProxy's own checks see it."""
        with socket.create_connection(("127.0.0.1", self.stats_port), 5) as s:
            s.sendall(b"show stat\n")
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        lines = data.decode().splitlines()
        header = lines[0].lstrip("# ").split(",")
        rows = [dict(zip(header, line.split(","))) for line in lines[1:] if line]
        return {r["svname"]: r["status"] for r in rows if r["pxname"] == "driverlog"}


def test_the_shipped_file_passes_haproxys_own_check():
    check = subprocess.run([HAPROXY, "-c", "-f", str(CFG)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_readers_go_to_replicas_that_pass_and_to_every_replica_when_none_does(
        tmp_path, standin):
    s = standin.server
    catalogs = seeded(s, tmp_path, "caught-up", "bootstrapping", "haproxy")
    caught_up = Daemon(tmp_path / "caught-up", standin, catalogs["caught-up"],
                       gerrit=QUICK).start()
    s.hold_queries(True)                        # the other's bootstrap waits
    try:
        bootstrapping = Daemon(tmp_path / "bootstrapping", standin, catalogs["bootstrapping"],
                               gerrit=QUICK).start(wait=False)
        assert bootstrapping.get("/healthz")[0] == 503
        # The one not caught up first, so round robin would start with it.
        lb = HAProxy(tmp_path / "haproxy", bootstrapping.port, caught_up.port)

        # HAProxy starts with every server up, at the lowest health ("UP 1/2"):
        # two failed checks take one out, one passed check settles the other.
        wait_for(lambda: [lb.states()[r] for r in ("replica1", "replica2")] == ["DOWN", "UP"],
                 10, what="HAProxy's checks to take the bootstrapping replica out")
        before = answered(caught_up), answered(bootstrapping)
        for _ in range(6):
            status, body = get(lb.url + QUERY)
            assert status == 200 and b'"result":true' in body    # the caught-up verdict
        assert (answered(caught_up), answered(bootstrapping)) == (before[0] + 6, before[1])

        # Gerrit becomes unreachable: each replica's stream is down, each
        # /healthz says 503, and HAProxy has no checked server left ...
        s.refuse_connections(True)
        s.drop_streams()
        wait_for(lambda: caught_up.get("/healthz")[0] == 503, 10,
                 what="the caught-up replica to lose Gerrit")
        wait_for(lambda: lb.states()["replica2"] == "DOWN", 10,
                 what="HAProxy's checks to take the last replica out")
        assert lb.states()["replica1"] == "DOWN"
        assert bootstrapping.get("/healthz")[0] == 503
        # ... so the backups answer, every replica in turn (option allbackups),
        # with what each holds, rather than HAProxy's own 503.
        before = answered(caught_up), answered(bootstrapping)
        bodies = []
        for _ in range(4):
            status, body = get(lb.url + QUERY)
            assert status == 200, body[:300]
            bodies.append(body)
        after = answered(caught_up), answered(bootstrapping)
        assert after[0] > before[0] and after[1] > before[1], (before, after)
        assert sum(after) - sum(before) == 4
        # Only the caught-up replica holds the verdict: each body says who answered.
        assert sum(b'"result":true' in b for b in bodies) == after[0] - before[0]
    finally:
        s.hold_queries(False)
