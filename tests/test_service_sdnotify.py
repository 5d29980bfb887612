"""sd_notify datagrams arrive on a real unix socket exactly as systemd reads them."""
import os
import socket

from driverlogd.service.sdnotify import Notifier


def listener(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    s.settimeout(5)
    return s


def test_ready_status_reload_stop(tmp_path):
    path = str(tmp_path / "notify")
    with listener(path) as s:
        n = Notifier({"NOTIFY_SOCKET": path})
        assert n.enabled
        n.ready("serving 3 drivers")
        assert s.recv(4096) == b"READY=1\nSTATUS=serving 3 drivers"
        n.reloading()
        fields = s.recv(4096).decode().split("\n")
        assert fields[0] == "RELOADING=1" and fields[1].startswith("MONOTONIC_USEC=")
        assert int(fields[1].split("=")[1]) > 0
        n.stopping()
        assert s.recv(4096) == b"STOPPING=1"


def test_abstract_namespace_socket():
    name = f"driverlog-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.bind("\0" + name)
        s.settimeout(5)
        Notifier({"NOTIFY_SOCKET": "@" + name}).watchdog()
        assert s.recv(64) == b"WATCHDOG=1"


def test_watchdog_interval_is_half_the_period_and_only_for_us():
    assert Notifier({"WATCHDOG_USEC": "30000000"}).watchdog_interval == 15.0
    assert Notifier({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}).watchdog_interval is None
    assert Notifier({}).watchdog_interval is None


def test_outside_systemd_is_a_quiet_no_op(tmp_path):
    assert Notifier({}).ready() is False
    # A socket that has gone away is not fatal either.
    assert Notifier({"NOTIFY_SOCKET": str(tmp_path / "gone")}).ready() is False
