"""driverlogd as operators run it: bad setups, daemon mode, systemd notify, the demo."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests import processes
from tests.service_support import Daemon, wait_for

CLI = [sys.executable, "-m", "driverlogd"]


def run(*args, timeout=60):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def setup(tmp_path, standin):
    d = Daemon(tmp_path, standin)
    d.port = 0
    d.write_config(0)
    return d


def assert_clean_refusal(out, *expected):
    assert out.returncode == 2, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    for text in expected:
        assert text in out.stderr


def test_bad_config_exits_2_with_one_message(setup):
    setup.config.write_text(setup.config.read_text().replace("port: 0", "port: http"))
    assert_clean_refusal(run("--config", str(setup.config)), "http.port: must be a port number")


def test_unreadable_key_exits_2(setup):
    (setup.dir / "bad_key").write_text("not a key")
    setup.config.write_text(setup.config.read_text().replace(
        str(setup.standin.client_key), str(setup.dir / "bad_key")))
    assert_clean_refusal(run("--config", str(setup.config)), "gerrit.key_file:",
                         "not a private key")


def test_broken_catalog_at_start_exits_2_with_the_gates_messages(setup):
    data = json.loads(setup.catalog.read_text())
    data["drivers"][0]["ci"] = {"id": "x-ci", "success_pattern": "(a)\\1",
                                "failure_pattern": "FAIL"}
    setup.catalog.write_text(json.dumps(data, indent=2))
    out = run("--config", str(setup.config))
    assert_clean_refusal(out, "is invalid", "$.drivers[0].ci.success_pattern")


def test_check_config(setup):
    out = run("--config", str(setup.config), "--check-config")
    assert out.returncode == 0 and "is valid" in out.stdout, out.stderr


def test_usage_errors():
    assert run().returncode == 2
    assert run("--config", "x.yaml", "--daemonize").returncode == 2


def stop_detached(pid):
    """A detached daemon is no child of ours: kill it if it is still there."""
    if processes.alive(pid):
        os.kill(pid, signal.SIGKILL)


def test_daemonize_writes_pidfile_and_refuses_a_second_instance(setup):
    pidfile = setup.dir / "driverlogd.pid"
    setup.write_config(0)
    out = run("--config", str(setup.config), "--daemonize", "--pidfile", str(pidfile))
    assert out.returncode == 0, out.stderr
    pid = int(wait_for(lambda: pidfile.exists() and pidfile.read_text().strip(),
                       what="the pidfile"))
    try:
        log = setup.state / "driverlogd.log"
        # A line of its own, not a message quoted by a "--- Logging error ---"
        # dump: the handler's file must still be the log, not a reused descriptor.
        wait_for(lambda: log.exists() and " INFO driverlogd: serving http" in log.read_text(),
                 what="the log")
        again = run("--config", str(setup.config), "--daemonize", "--pidfile", str(pidfile))
        assert again.returncode == 1 and f"already running as pid {pid}" in again.stderr
        os.kill(pid, signal.SIGTERM)
        wait_for(lambda: not pidfile.exists(), what="the pidfile to go")
    finally:
        stop_detached(pid)
    text = (setup.state / "driverlogd.log").read_text()
    assert " INFO driverlogd: stopped" in text and "Logging error" not in text, text[-3000:]


def test_stale_pidfile_is_taken_over(setup):
    pidfile = setup.dir / "driverlogd.pid"
    dead = subprocess.Popen(["true"])
    dead.wait()
    pidfile.write_text(f"{dead.pid}\n")
    out = run("--config", str(setup.config), "--daemonize", "--pidfile", str(pidfile))
    assert out.returncode == 0, out.stderr
    def new_pid():
        text = pidfile.read_text().strip() if pidfile.exists() else ""
        return text if text and text != str(dead.pid) else None
    pid = int(wait_for(new_pid, what="a new pid"))
    try:
        os.kill(pid, signal.SIGTERM)
        wait_for(lambda: not pidfile.exists(), what="the pidfile to go")
    finally:
        stop_detached(pid)


def test_systemd_notify_protocol(tmp_path, standin):
    path = str(tmp_path / "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(30)
    d = Daemon(tmp_path, standin).start(env={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "400000"})
    seen = []
    try:
        def got(field):
            while not any(m.startswith(field) for m in seen):
                seen.extend(sock.recv(4096).decode().split("\n"))
            return True
        assert got("READY=1") and got("WATCHDOG=1") and got("STATUS=")
        d.send(signal.SIGHUP)
        assert got("RELOADING=1") and got("MONOTONIC_USEC=")
    finally:
        d.stop()
    assert got("STOPPING=1")
    sock.close()


def start_demo(tmp_path, **popen):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([*CLI, "demo", "--http-port", str(port), "--state-dir",
                             str(tmp_path / "demo"), "--rate", "10"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True, **popen)
    lines = []
    while not any("Dashboard:" in line for line in lines):
        line = proc.stdout.readline()
        if not line:
            processes.kill_group(proc)
            raise AssertionError("".join(lines))
        lines.append(line)
    assert f"http://127.0.0.1:{port}/" in "".join(lines)
    return proc, port


def ignore_sigint():
    """What a shell does to a background job (`make test &`) or nohup."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def test_demo_shows_every_ci_state_and_stops_on_ctrl_c_even_as_a_background_job(tmp_path):
    proc, port = start_demo(tmp_path, preexec_fn=ignore_sigint)
    try:
        helpers = processes.children(proc.pid)
        assert len(helpers) == 2        # the stand-in Gerrit and driverlogd

        def states():
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/drivers") as r:
                return {d["state"] for d in json.load(r)["drivers"]}
        wait_for(lambda: states() >= {"passing", "failing", "silent", "unseen", "none"},
                 timeout=60, what="every CI state in the demo")
        proc.send_signal(signal.SIGINT)
        out = proc.communicate(timeout=30)[0]
    finally:
        processes.kill_group(proc)
    assert proc.returncode == 0, out
    assert "stopping" in out
    assert not [p for p in helpers if processes.alive(p)]


def test_a_killed_demo_leaves_no_gerrit_or_daemon_behind(tmp_path):
    proc, _ = start_demo(tmp_path)
    try:
        helpers = processes.children(proc.pid)
        assert len(helpers) == 2
    finally:
        processes.kill_group(proc)       # SIGKILL: no chance to clean up
    wait_for(lambda: not [p for p in helpers if processes.alive(p)], timeout=30,
             what="the demo's stand-in Gerrit and daemon to exit")


def test_daemon_stops_on_sigint_even_as_a_background_job(tmp_path, standin):
    d = Daemon(tmp_path, standin).start(preexec_fn=ignore_sigint)
    assert d.stop(signal.SIGINT, timeout=15) == 0
    assert "stopped" in d.log_text()


def test_sigterm_stops_within_seconds(tmp_path, standin):
    d = Daemon(tmp_path, standin).start()
    started = time.monotonic()
    assert d.stop(signal.SIGTERM, timeout=15) == 0
    # Reported, not asserted: timing belongs to the benchmarks.
    print(f"stopped in {time.monotonic() - started:.2f} s")


def test_wrong_host_key_is_refused_and_healthz_says_why(tmp_path, standin):
    from driverlogd.standin import generate_key, write_known_hosts
    impostor = tmp_path / "other_host_key"
    generate_key(impostor)
    write_known_hosts(standin.known_hosts, "127.0.0.1", standin.server.port, impostor)
    number = standin.server.create_change("openstack/nova")
    standin.server.merge(number)
    d = Daemon(tmp_path, standin).start(wait=False)
    try:
        def refused():
            status, body = d.get("/healthz")
            return status == 503 and "host key" in body.decode().lower() and body.decode()
        why = wait_for(refused, what="/healthz to report the host key")
        assert "SHA256:" in why and f"127.0.0.1]:{standin.server.port}" in why
        assert 'driverlog_stream_connect_failures_total{reason="host_key"}' in \
            d.get("/metrics")[1].decode()
        assert not [c for c in standin.server.commands if "stream-events" in c]
    finally:
        d.stop()


def test_busy_port_exits_2_with_a_clear_message(setup):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        setup.write_config(busy.getsockname()[1])
        out = run("--config", str(setup.config))
    assert out.returncode == 2, out.stderr
    assert "cannot listen on 127.0.0.1:" in out.stderr and "Traceback" not in out.stderr
