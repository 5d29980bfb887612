"""The daemon, started as systemd starts it, runs its SSH connections in greenlets.

driverlogd/__main__.py patches gevent before paramiko is imported. Were a
connection (paramiko's Transport) an OS thread, /proc/PID/task would hold one
more task while streaming than while Gerrit refuses connections, and would
move with every reconnect.
"""
import os
import sys

import pytest

from tests.service_support import Daemon, wait_for

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def os_threads(pid):
    return len(os.listdir(f"/proc/{pid}/task"))


def stream_up(daemon):
    return b"driverlog_stream_up 1.0" in daemon.get("/metrics")[1]


def test_reconnects_add_no_os_thread(tmp_path, standin):
    server = standin.server
    d = Daemon(tmp_path, standin).start()
    pid = d.proc.pid
    counts = []
    try:
        wait_for(lambda: server.stream_count() == 1 and stream_up(d), what="the stream")
        counts.append(("streaming", os_threads(pid)))

        server.refuse_connections(True)
        server.drop_streams()
        wait_for(lambda: not stream_up(d) and server.open_connections() == 0,
                 what="the daemon to lose its connection")
        counts.append(("refused", os_threads(pid)))
        server.refuse_connections(False)

        for n in range(1, 5):
            wait_for(lambda: server.stream_count() == 1 and stream_up(d),
                     what=f"reconnect {n}")
            counts.append((f"reconnect {n}", os_threads(pid)))
            server.drop_streams()
            wait_for(lambda: server.stream_count() == 0, what="the stream to drop")
        wait_for(lambda: server.stream_count() == 1 and stream_up(d), what="the last reconnect")
        counts.append(("at the end", os_threads(pid)))
    finally:
        d.stop()
    print("OS threads:", counts)        # reported in the closing note
    assert len({n for _, n in counts}) == 1, counts
