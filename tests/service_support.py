"""A real driverlogd process against a real stand-in Gerrit, for end-to-end tests."""
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

REPO = pathlib.Path(__file__).resolve().parents[1]
SAMPLE = REPO / "config" / "default_data.json"
# The console script, as systemd's ExecStart runs it.
DRIVERLOGD = pathlib.Path(sys.executable).with_name("driverlogd")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout=30.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def small_catalog(path, active=3):
    """The sample catalog with only its newest `active` releases active, at
    `path`: a bootstrap of a few queries a CI, for tests that start many daemons.
    Returns the catalog data."""
    data = json.loads(SAMPLE.read_text())
    for r in [r for r in data["releases"] if r.get("active", True)][:-active]:
        r["active"] = False
    pathlib.Path(path).write_text(json.dumps(data, indent=2))
    return data


class Daemon:
    """driverlogd --config, in a subprocess, on an ephemeral HTTP port. Every one
    started is killed when its test ends, if still running (conftest.py)."""
    started = []

    def __init__(self, tmp_path, standin, catalog=SAMPLE, extra="", username="driverlog",
                 gerrit=""):
        self.dir = tmp_path
        self.catalog = tmp_path / "default_data.json"
        if pathlib.Path(catalog) != self.catalog:
            shutil.copy(catalog, self.catalog)
        self.state = tmp_path / "state"
        self.config = tmp_path / "driverlogd.yaml"
        self.standin = standin
        self.extra = extra
        self.username = username      # the stand-in's faults can aim at one account
        self.gerrit = gerrit          # more of the gerrit: mapping, ", key: value, ..."
        self.proc = None
        self.port = None

    def write_config(self, http_port):
        self.config.write_text(
            "gerrit: {host: 127.0.0.1, port: %d, username: %s,\n"
            "         key_file: %s, known_hosts: %s%s}\n"
            "catalog: default_data.json\nstate_dir: state\nexport: state/merged.json\n"
            "http: {host: 127.0.0.1, port: %d}\n%s"
            % (self.standin.server.port, self.username, self.standin.client_key,
               self.standin.known_hosts, self.gerrit, http_port, self.extra))

    def start(self, env=None, args=(), wait=True, preexec_fn=None):
        import socket
        if self.port is None:
            with socket.socket() as s:     # a free port, kept across restarts
                s.bind(("127.0.0.1", 0))
                self.port = s.getsockname()[1]
        self.write_config(self.port)
        self.log = open(self.dir / "driverlogd.log", "ab")
        self.proc = subprocess.Popen(
            [str(DRIVERLOGD), "--config", str(self.config), *args],
            stdout=self.log, stderr=subprocess.STDOUT,
            env=dict(os.environ, **(env or {})), start_new_session=True, preexec_fn=preexec_fn)
        Daemon.started.append(self.proc)
        if not wait:
            wait_for(lambda: self.proc.poll() is not None or self.answers(), 60,
                     what="driverlogd to answer HTTP")
            return self
        wait_for(lambda: self.proc.poll() is not None or self.healthy(), 60,
                 what="driverlogd to become healthy")
        assert self.proc.poll() is None, self.log_text()
        return self

    def log_text(self):
        return (self.dir / "driverlogd.log").read_text(errors="replace")

    def get(self, path):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def json(self, path):
        status, body = self.get(path)
        assert status == 200, (status, body[:500])
        return json.loads(body)

    def answers(self):
        try:
            self.get("/healthz")
            return True
        except OSError:
            return False

    def healthy(self):
        try:
            return self.get("/healthz")[0] == 200
        except OSError:
            return False

    def driver(self, project_id, vendor, name):
        drivers = self.json("/api/v1/drivers?project_id=%s" % project_id)["drivers"]
        return next(d for d in drivers if d["vendor"] == vendor and d["name"] == name)

    def send(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout)
        return self.proc.returncode
