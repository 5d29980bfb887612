"""`driverlogd demo` / `make demo`: stand-in Gerrit + CI traffic + driverlogd + dashboard.

Everything lives in one folder (default ./demo-state), made afresh each run:
keys, known_hosts, config, the database and the export.
"""
import ctypes
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

from driverlogd.standin import generate_key, write_known_hosts

SAMPLE = pathlib.Path(__file__).resolve().parents[2] / "config" / "default_data.json"
PR_SET_PDEATHSIG = 1


def _die_with(parent):
    """A preexec_fn: the child gets SIGTERM when the demo dies, even by SIGKILL,
    so a killed demo leaves no Gerrit or daemon behind (Linux's prctl)."""
    def preexec():
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:          # it died before prctl took effect
            os.kill(os.getpid(), signal.SIGTERM)
    return preexec


def _say(text):
    print(f"demo: {text}", flush=True)


def _wait_ready(proc, what, timeout=60):
    """Read the child's `READY <port>` line."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if line.startswith("READY "):
            return int(line.split()[1])
    raise RuntimeError(f"{what} did not start (exit status {proc.poll()})")


def _wait_http(url, proc, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"driverlogd exited with status {proc.returncode}; see the log")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                return json.load(r)
        except OSError:
            time.sleep(0.3)
        except ValueError:
            time.sleep(0.3)
    raise RuntimeError(f"driverlogd did not answer at {url}")


def main(args):
    if not SAMPLE.exists():
        _say(f"the sample catalog {SAMPLE} is missing: run the demo from a checkout")
        return 2
    state = pathlib.Path(args.state_dir).resolve()
    if state.exists():
        shutil.rmtree(state)
    state.mkdir(parents=True)
    _say(f"setting up in {state}")
    generate_key(state / "gerrit_host_key")
    generate_key(state / "driverlog_key")
    shutil.copy(SAMPLE, state / "default_data.json")
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    procs = []

    def stop(*_):
        raise KeyboardInterrupt
    # Set both explicitly: a background job or nohup starts with SIGINT
    # ignored, and Python then leaves Ctrl-C ignored too.
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    child = dict(env=env, start_new_session=True, preexec_fn=_die_with(os.getpid()))
    try:
        gerrit = subprocess.Popen(
            [sys.executable, "-m", "driverlogd.demo.gerrit", "--state-dir", str(state),
             "--catalog", str(state / "default_data.json"), "--rate", str(args.rate)],
            stdout=subprocess.PIPE, text=True, **child)
        procs.append(gerrit)
        port = _wait_ready(gerrit, "the stand-in Gerrit")
        _say(f"stand-in Gerrit on 127.0.0.1:{port} (SSH), seeded with 60 days of CI history")
        write_known_hosts(state / "known_hosts", "127.0.0.1", port, state / "gerrit_host_key")
        (state / "driverlogd.yaml").write_text(
            "gerrit: {host: 127.0.0.1, port: %d, username: driverlog,\n"
            "         key_file: driverlog_key, known_hosts: known_hosts}\n"
            "catalog: default_data.json\nstate_dir: .\nexport: merged_data.json\n"
            "http: {host: 127.0.0.1, port: %d}\nbootstrap_limit: 20\n" % (port, args.http_port))
        log = open(state / "driverlogd.log", "w")
        daemon = subprocess.Popen(
            [sys.executable, "-m", "driverlogd", "--config",
             str(state / "driverlogd.yaml")],
            stdout=log, stderr=subprocess.STDOUT, **child)
        procs.append(daemon)
        base = f"http://127.0.0.1:{args.http_port}"
        drivers = _wait_http(f"{base}/api/v1/drivers", daemon)["drivers"]
        _say(f"driverlogd is up with {len(drivers)} drivers; log: {state / 'driverlogd.log'}")
        print(f"\n    Dashboard:  {base}/\n    API:        {base}/api/v1/drivers\n"
              f"    Metrics:    {base}/metrics\n    Health:     {base}/healthz\n\n"
              "CI comments and merges keep arriving; press Ctrl-C to stop.\n", flush=True)
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        dead = next(p for p in procs if p.poll() is not None)
        _say(f"{'stand-in Gerrit' if dead is gerrit else 'driverlogd'} exited "
             f"(status {dead.returncode}); stopping")
        return 1
    except KeyboardInterrupt:
        _say("stopping")
        return 0
    except RuntimeError as e:
        _say(str(e))
        return 1
    finally:
        for p in reversed(procs):       # the daemon first, then the Gerrit it follows
            if p.poll() is None:
                p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
