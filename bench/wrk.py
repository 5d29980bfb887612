"""Load from wrk, a C HTTP load generator (Debian package `wrk`, installed by
`tools/system-deps.sh --bench`): on this 2-core machine bench_api's Python clients have
a p99 of ~20 ms of their own even for a 400-byte file, too coarse to tell
whether a server answers within 10 ms.

wrk keeps `clients` keep-alive connections busy for `seconds` and reports
latency percentiles (--latency) and requests per second."""
import re
import shutil
import subprocess

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
LATENCY = re.compile(r"^\s*(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", re.M)


def available():
    return shutil.which("wrk") is not None


def measure(port, path, clients=50, seconds=5, threads=2, gz=False):
    """{"p50", "p99" (ms), "rps", "errors" (non-2xx/3xx answers and socket errors)}."""
    cmd = ["wrk", "-t%d" % threads, "-c%d" % clients, "-d%ds" % seconds, "--latency"]
    if gz:
        cmd += ["-H", "Accept-Encoding: gzip"]
    out = subprocess.run(cmd + ["http://127.0.0.1:%d%s" % (port, path)], check=True,
                         capture_output=True, text=True, timeout=seconds + 60).stdout
    return parse(out)


def parse(out):
    got = {"p%s" % p: float(v) * UNITS[u] for p, v, u in LATENCY.findall(out)}
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
    if len(got) != 2 or not rps:
        raise ValueError("wrk's output has no percentiles or rate:\n" + out)
    got["rps"] = float(rps.group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    got["errors"] = (int(bad.group(1)) if bad else 0) + (
        sum(int(x) for x in sock.groups()) if sock else 0)
    return got
