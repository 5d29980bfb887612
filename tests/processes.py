"""Processes the tests start, and the check that none outlives the suite.

conftest.py marks the session with an environment variable that every child
inherits (a test that gives a child a clean environment passes MARKER on);
whatever still carries it at the end, however it got orphaned, is ours.
"""
import os
import signal
import time

MARKER = "DRIVERLOG_TEST_SESSION"


def mark_session():
    os.environ[MARKER] = str(os.getpid())


def marked():
    """{pid: command line} of live processes, other than this one, carrying our marker."""
    token = f"{MARKER}={os.environ.get(MARKER)}".encode()
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        if int(pid) == os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                if token not in f.read().split(b"\0"):
                    continue
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                found[int(pid)] = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:          # gone meanwhile, or a zombie's
            continue
    return found


def leftovers(grace=10.0):
    """What is still running after `grace` seconds for exits already under way;
    each is killed, so one failing run does not spoil the next."""
    deadline = time.monotonic() + grace
    while (left := marked()) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return left


def kill_group(proc):
    """Kill a child started with start_new_session=True, and everything in its group."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            proc.kill()
    proc.wait()


def children(pid):
    """The pids whose parent is `pid`."""
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()     # after "pid (comm) "
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry))
    return found


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"
