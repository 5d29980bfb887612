"""Events per second through real SSH from the stand-in: DriverLog's stream
client beside gerritlib's GerritWatcher and a bare `json.loads` loop.

The stand-in runs here; each reader runs in its own process, one after the
other, and reads the same N comment-added lines from the same server. The
rate is measured in the reader, from its first event to its last. A raw
reader that only counts newlines shows what SSH itself allows (the ceiling).
Run alone: `python -m bench stream` (N with BENCH_STREAM_EVENTS).
"""
import json
import os
import subprocess
import sys
import tempfile
import time

N = int(os.environ.get("BENCH_STREAM_EVENTS", "50000"))


def _lines(n):
    from driverlogd.standin.store import Store
    store = Store(clock=lambda: 1_700_000_000)
    number = store.create_change("openstack/nova", "stable/2024.1", owner="alice")["change"]["number"]
    body = "Build succeeded.\n\n" + "".join(
        f"- tempest-{k} https://ci.example.org/logs/{k}/ : SUCCESS in 1h {k}m\n" for k in range(6))
    template = store.add_comment(number, 1, "acme-ci", body, approvals={"Verified": 1})
    out = []
    for i in range(n):
        template["eventCreatedOn"] = 1_700_000_000 + i
        template["change"]["number"] = 1000 + i % 5000
        out.append((json.dumps(template, separators=(",", ":")) + "\n").encode())
    return out


# -- the readers (child processes) -------------------------------------------------

class _Counter:
    """Times the first and the n-th event a reader hands on (made after any
    gevent patching, so its Event is the right kind)."""

    def __init__(self, n):
        import threading
        self.n, self.count, self.marks, self.done = n, 0, [], threading.Event()

    def hit(self):
        if not self.count:
            self.marks.append(time.perf_counter())
        self.count += 1
        if self.count == self.n:
            self.marks.append(time.perf_counter())
            self.done.set()


def _child_driverlog(port, key, known, n, wait, use_gevent):
    if use_gevent:
        from gevent import monkey
        monkey.patch_all()
    import threading

    from driverlogd.gerrit.config import GerritConfig
    from driverlogd.gerrit.stream import StreamClient
    from driverlogd.metrics import Metrics

    counter = _Counter(n)

    class Sink:
        def handle(self, event):
            counter.hit()

        def position(self):
            return None

    config = GerritConfig(host="127.0.0.1", port=port, username="bench", key_file=key,
                          known_hosts=known, keepalive_interval=30, probe_timeout=30)
    client = StreamClient(config, Sink(), Metrics())
    threading.Thread(target=client.run, daemon=True).start()
    counter.done.wait(wait)
    client.stop()
    return counter.marks, counter.count


def _child_gerritlib(port, key, known, n, wait):
    import logging
    import warnings

    from gerritlib.gerrit import GerritWatcher
    logging.disable(logging.CRITICAL)     # it warns about the host key it accepts blindly
    warnings.simplefilter("ignore")
    counter = _Counter(n)

    class Gerrit:
        class connection:
            keep_alive = 0

        def addEvent(self, data):
            counter.hit()

    gerrit = Gerrit()
    watcher = GerritWatcher(gerrit, "bench", "127.0.0.1", port, key)
    watcher.daemon = True
    watcher.start()
    counter.done.wait(wait)
    return counter.marks, counter.count


def _child_raw(port, key, known, n, wait):
    from driverlogd.gerrit.config import GerritConfig
    from driverlogd.gerrit.ssh import connect
    config = GerritConfig(host="127.0.0.1", port=port, username="bench", key_file=key,
                          known_hosts=known)
    conn = connect(config)
    chan = conn.open("gerrit stream-events", 30)
    seen, marks = 0, []
    while seen < n:
        data = chan.recv(1 << 16)
        if not data:
            break
        if not marks:
            marks.append(time.perf_counter())
        seen += data.count(b"\n")
    marks.append(time.perf_counter())
    conn.close()
    return marks, seen


def child(argv):
    import logging
    logging.disable(logging.CRITICAL)     # a reader killed mid-stream is no news here
    kind, port, key, known = argv[0], int(argv[1]), argv[2], argv[3]
    n, wait = int(argv[4]), float(argv[5])
    if kind == "driverlog-gevent":
        marks, count = _child_driverlog(port, key, known, n, wait, True)
    elif kind == "driverlog-threads":
        marks, count = _child_driverlog(port, key, known, n, wait, False)
    elif kind == "gerritlib":
        marks, count = _child_gerritlib(port, key, known, n, wait)
    else:
        marks, count = _child_raw(port, key, known, n, wait)
    rate = (n - 1) / (marks[1] - marks[0]) if len(marks) == 2 and marks[1] > marks[0] else 0.0
    print(json.dumps({"rate": rate, "count": count}), flush=True)
    os._exit(0)       # gerritlib's watcher thread never ends on its own


# -- the run -----------------------------------------------------------------------

def _read_with(kind, server, paths, lines, wanted, wait):
    """Start a reader, send `lines`, return its report once it has `wanted` or gave up."""
    proc = subprocess.Popen([sys.executable, "-m", "bench.bench_stream", "child", kind,
                             str(server.port), paths[0], paths[1], str(wanted), str(wait)],
                            stdout=subprocess.PIPE, text=True,
                            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    end = time.monotonic() + 60
    while server.stream_count() == 0 and time.monotonic() < end:
        time.sleep(0.01)
    for line in lines:
        server.emit_raw(line)
    out, _ = proc.communicate(timeout=wait + 60)
    server.drop_streams()
    while server.stream_count():       # the next reader must be the only one listening
        time.sleep(0.01)
    return json.loads(out.strip().splitlines()[-1])


def main():
    import logging

    from driverlogd.standin import StandIn, generate_key, write_known_hosts
    # Readers exit mid-stream on purpose; the stand-in's transports need not say so.
    logging.getLogger("paramiko").setLevel(logging.CRITICAL)
    lines = _lines(N)
    size = sum(map(len, lines)) / len(lines)
    started = time.perf_counter()
    for line in lines:
        json.loads(line.decode("utf-8"))
    bare = len(lines) / (time.perf_counter() - started)
    with tempfile.TemporaryDirectory() as tmp:
        host_key, client_key = os.path.join(tmp, "host"), os.path.join(tmp, "client")
        generate_key(host_key)
        server = StandIn(host_key, [generate_key(client_key)], port=0).start()
        known = os.path.join(tmp, "known_hosts")
        write_known_hosts(known, "127.0.0.1", server.port, host_key)
        paths = (client_key, known)
        try:
            # Rate: N events, then 1% more so a reader that holds lines back until
            # the next packet (gerritlib does) still reaches N.
            padded = lines + lines[:max(1, N // 100)]
            rates = {kind: _read_with(kind, server, paths, padded, N, 300)["rate"]
                     for kind in ("raw", "driverlog-gevent", "driverlog-threads", "gerritlib")}
            # Latency: 200 events and nothing after them; what has arrived 3 s later?
            tail = {kind: _read_with(kind, server, paths, lines[:200], 200, 3.0)["count"]
                    for kind in ("driverlog-gevent", "gerritlib")}
        finally:
            server.stop()
    print(f"{N} comment-added events of {size:.0f} bytes, stand-in over SSH on loopback")
    print(f"  bare json.loads loop (no I/O)   {bare:>10,.0f} events/s")
    print(f"  SSH ceiling (count newlines)    {rates['raw']:>10,.0f} events/s")
    print(f"  driverlog stream client, gevent {rates['driverlog-gevent']:>10,.0f} events/s")
    print(f"  driverlog stream client, threads{rates['driverlog-threads']:>10,.0f} events/s")
    print(f"  gerritlib GerritWatcher         {rates['gerritlib']:>10,.0f} events/s")
    print(f"  of 200 events sent with nothing after them, delivered within 3 s: "
          f"driverlog {tail['driverlog-gevent']}, gerritlib {tail['gerritlib']}")
    ours = rates["driverlog-gevent"]
    if rates["gerritlib"]:
        print(f"  driverlog / gerritlib:       {ours / rates['gerritlib']:.2f}x")
    print(f"  driverlog / bare json.loads: {ours / bare:.2f}x")


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        child(sys.argv[2:])
    else:
        main()
