"""/api/v1/drivers latency under 50 concurrent clients at 10,000 drivers.

The server runs in a subprocess of its own (a fake read model over a
generated 10,000-driver catalog, 3,000 verdicts); 50 keep-alive clients in
this process hammer one URL at a time. Each figure is reported beside the
same server's trivial static endpoint (/api/v1) as the baseline ratio.
"""
import json
import os
import subprocess
import sys
import time

N_DRIVERS = 10000
CLIENTS = 50
PROCS = 5


def serve_forever():
    """Subprocess side: build the model, serve, print the port, wait for EOF."""
    import gevent
    import gevent.os

    from driverlogd.catalog.model import Catalog
    from driverlogd.metrics import Metrics
    from driverlogd.web import make_app, serve
    from tests.webfake import FakeReadModel, generate_data

    cat = Catalog.from_data(generate_data(N_DRIVERS))
    rm = FakeReadModel(cat)
    for i, d in enumerate(cat.drivers[:3000]):
        if d.ci:
            rm.set_verdict(d.key, d.releases[-1], i % 3 != 0, "Build OK http://ci.example/%d" % i)
    app = make_app(rm, Metrics())
    server = serve(app, "127.0.0.1", 0)
    t0 = time.perf_counter()
    app.snapshots.current()
    build = time.perf_counter() - t0
    print(json.dumps({"port": server.server_port, "build_s": build}), flush=True)
    while gevent.os.tp_read(0, 1):   # until the parent closes our stdin
        pass


def _client(port, path, count, gz, out):
    from gevent import socket
    s = socket.create_connection(("127.0.0.1", port))
    f = s.makefile("rb")
    req = ("GET %s HTTP/1.1\r\nHost: b\r\n%s\r\n" % (
        path, "Accept-Encoding: gzip\r\n" if gz else "")).encode()
    for _ in range(count):
        t0 = time.perf_counter()
        s.sendall(req)
        status = f.readline()
        length = 0
        while True:
            line = f.readline()
            if line in (b"\r\n", b""):
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        body = f.read(length)
        out.append(time.perf_counter() - t0)
        assert status.split()[1] == b"200" and len(body) == length, status
    s.close()


def _worker(args):
    """One load process: `clients` greenlets; returns their latencies."""
    import gevent
    port, path, per_client, gz, clients = args
    lat = []
    gevent.joinall([gevent.spawn(_client, port, path, per_client, gz, lat)
                    for _ in range(clients)], raise_error=True)
    return lat


def measure(pool, port, path, per_client, gz=False):
    """50 clients spread over PROCS processes, so the load generator is not
    the bottleneck it would be in one Python process."""
    t0 = time.perf_counter()
    parts = pool.map(_worker, [(port, path, per_client, gz, CLIENTS // PROCS)] * PROCS)
    wall = time.perf_counter() - t0
    lat = sorted(x for part in parts for x in part)
    return {"p50": lat[len(lat) // 2] * 1000, "p99": lat[int(len(lat) * 0.99) - 1] * 1000,
            "rps": len(lat) / wall}


def main():
    if "--serve" in sys.argv:
        return serve_forever()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    import multiprocessing
    pool = multiprocessing.get_context("spawn").Pool(PROCS)
    proc = subprocess.Popen([sys.executable, "-m", "bench.bench_api", "--serve"], cwd=root,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        info = json.loads(proc.stdout.readline())
        port = info["port"]
        print("catalog: %d drivers; first full snapshot build %.0f ms; %d clients"
              % (N_DRIVERS, info["build_s"] * 1000, CLIENTS))
        measure(pool, port, "/api/v1/drivers", 1)   # warm the caches
        cases = [
            ("static /api/v1 (baseline)", "/api/v1", 400, False),
            ("drivers, one vendor", "/api/v1/drivers?vendor=Vendor%20007", 400, False),
            ("drivers, release+search", "/api/v1/drivers?release=R11&q=driver%2001", 100, False),
            ("drivers, all 10,000, gzip", "/api/v1/drivers", 20, True),
            ("drivers, all 10,000, plain", "/api/v1/drivers", 2, False),
        ]
        base = None
        print("%-30s %9s %9s %9s %8s" % ("endpoint", "p50 ms", "p99 ms", "req/s", "p99/base"))
        for label, path, n, gz in cases:
            r = measure(pool, port, path, n, gz)
            base = base or r
            print("%-30s %9.2f %9.2f %9.0f %8.1f" % (label, r["p50"], r["p99"], r["rps"],
                                                      r["p99"] / base["p99"]))
    finally:
        pool.close()
        proc.stdin.close()
        proc.wait(10)


if __name__ == "__main__":
    main()
