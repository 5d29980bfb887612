"""The running service end to end: a real `driverlogd` subprocess following
the stand-in Gerrit (in this process) over real SSH on loopback.

1. CI comment on a merged change -> its verdict in /api/v1/drivers, p50/p99
   (polled every ~1 ms; the mean poll period is printed: what it may overstate).
2. Events/s through the whole daemon (SSH, parse, rules, SQLite) with 10,000
   drivers, beside bare json.loads of the same lines (the mean of 0.5 s loops
   just before and just after). Done = the last event's position is committed
   (read from the daemon's SQLite file: costs it nothing).
3. /api/v1/drivers p50/p99 under 50 clients (bench_api's load generator).
4. VmRSS of a fresh 10,000-driver daemon after 0..N events.
Counts: BENCH_SERVICE_COMMENTS (200), _EVENTS (20000), _MEMORY_EVENTS (1000000),
_DRIVERS (10000), _REPEATS (5: part 2 on that many fresh daemons, the median
shown). The 10,000-driver stores are pre-marked as bootstrapped: a bootstrap
is a `gerrit query` page or more per CI account and repo (bench_bootstrap).
"""
import contextlib
import http.client
import itertools
import json
import logging
import os
import random
import re
import tempfile
import threading
import time
import urllib.parse

from bench.service_harness import Daemon, Gerrit, pct

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMMENTS = int(os.environ.get("BENCH_SERVICE_COMMENTS", "200"))
EVENTS = int(os.environ.get("BENCH_SERVICE_EVENTS", "20000"))
MEMORY_EVENTS = int(os.environ.get("BENCH_SERVICE_MEMORY_EVENTS", "1000000"))
REPEATS = int(os.environ.get("BENCH_SERVICE_REPEATS", "5"))
DRIVERS = int(os.environ.get("BENCH_SERVICE_DRIVERS", "10000"))
STEPS = 4
CHUNK = 1 << 16


# -- 1. comment -> verdict latency ------------------------------------------------

def latency(tmp, gerrit):
    catalog_path = os.path.join(ROOT, "config", "default_data.json")
    with open(catalog_path) as f:
        data = json.load(f)
    tail = r"\s+\S+\s*: SUCCESS"
    d = next(d for d in data["drivers"] if d.get("ci") and
             d["ci"]["success_pattern"].endswith(tail))
    job, repo = d["ci"]["success_pattern"][:-len(tail)], d.get("repo") or d["project_id"]
    daemon = Daemon(tmp, gerrit, catalog_path, "small")
    path = "/api/v1/drivers?" + urllib.parse.urlencode(
        {"project_id": d["project_id"], "vendor": d["vendor"]})
    server, times, missed, polls, polling = gerrit.server, [], 0, 0, 0.0
    try:
        for k in range(COMMENTS):
            number = server.create_change(repo, "master", owner="alice")
            server.merge(number)
            time.sleep(0.02)              # the merge is processed; start from quiet
            word = "SUCCESS" if k % 3 else "FAILURE"
            body = (f"Build {'succeeded' if k % 3 else 'failed'}.\n\n- {job} "
                    f"https://ci.example.org/logs/{number} : {word} in 1h 02m 07s\n")
            t0 = time.perf_counter()
            server.add_comment(number, 1, d["ci"]["id"], body, approvals={"Verified": 1})
            while time.perf_counter() - t0 < 5:
                polls += 1
                raw = daemon.get(path)[1]
                seen = time.perf_counter()
                doc = next(x for x in json.loads(raw)["drivers"] if x["name"] == d["name"])
                if any(r["ci"] and r["ci"]["change"] == number and
                       r["ci"]["result"] == (word == "SUCCESS") for r in doc["releases"]):
                    times.append(seen - t0)
                    break
                time.sleep(0.001)
            else:
                missed += 1
            polling += time.perf_counter() - t0
    finally:
        daemon.stop()
    with open(daemon.log, errors="replace") as f:
        found = re.search(r"bootstrap done: (\d+) queries", f.read())
    return {"drivers": len(data["drivers"]), "startup": daemon.startup, "times": times,
            "queries": int(found.group(1)) if found else 0,
            "poll": polling / max(1, polls), "missed": missed}


class Lines:
    """Pre-serialised stream lines, all stamped `self.ts` (event time). Kinds:
    ci-merged (a CI report on a change already MERGED whose change-merged the
    daemon never saw: which patch set merged is unknown, so it queues a question
    for Gerrit, as after an outage; a steady stream sends change-merged first),
    ci-open (on an open change), merged (change-merged of an earlier ci-open
    change: its votes become verdicts), human (a review), other (a merge no
    driver cares about)."""

    def __init__(self, catalog, seed=7):
        from driverlogd.standin.store import Store
        s = Store("https://review.example.org/")
        n = s.create_change("openstack/nova", "master", owner="alice")["change"]["number"]
        self.comment = s.add_comment(n, 1, "x", "x", approvals={"Verified": 1})
        self.merged = s.merge(n)
        groups = {}     # (CI account, repo) -> job names (the synthetic patterns' prefix)
        for d in (d for d in catalog["drivers"] if d.get("ci")):
            groups.setdefault((d["ci"]["id"], d.get("repo") or d["project_id"]), []).append(
                d["ci"]["success_pattern"].split(r"\s+")[0])
        self.groups = sorted(groups.items())
        self.projects = sorted({p["id"] for p in catalog["projects"]})
        self.rnd = random.Random(seed)
        self.numbers = itertools.count(100000)
        self.open = []
        self.ts = int(time.time()) - 1800    # after the pre-set position, before now

    def _dump(self, tpl, project, number, status, **extra):
        change = dict(tpl["change"], project=project, number=number, status=status,
                      url=f"https://review.example.org/c/{project}/+/{number}")
        ev = dict(tpl, project=project, change=change, eventCreatedOn=self.ts, **extra)
        return (json.dumps(ev, separators=(",", ":"), ensure_ascii=False) + "\n").encode()

    def one(self, kind):
        rnd, number = self.rnd, next(self.numbers)
        if kind == "merged" and self.open:
            repo, number = self.open.pop(rnd.randrange(len(self.open)))
            return self._dump(self.merged, repo, number, "MERGED")
        if kind in ("ci-merged", "ci-open"):
            (account, repo), jobs = self.groups[rnd.randrange(len(self.groups))]
            oks = [rnd.random() < 0.8 for _ in jobs]
            body = "".join(f"- {j} https://ci.example.org/logs/{number}/{i} : "
                           f"{'SUCCESS' if ok else 'FAILURE'} in 1h 0{i}m 12s\n"
                           for i, (j, ok) in enumerate(zip(jobs, oks)))
            text = (f"Patch Set 1: Verified{'+1' if all(oks) else '-1'}\n\nBuild "
                    f"{'succeeded' if all(oks) else 'failed'} (check pipeline).\n\n{body}")
            if kind == "ci-open":
                self.open.append((repo, number))
            return self._dump(self.comment, repo, number,
                              "MERGED" if kind == "ci-merged" else "NEW", comment=text,
                              author={"name": account.upper(), "username": account,
                                      "email": f"{account}@ci.example.org"})
        if kind == "other":
            return self._dump(self.merged, "openstack/unrelated", number, "MERGED")
        who = f"reviewer{rnd.randrange(500)}"
        return self._dump(self.comment, rnd.choice(self.projects), number, "NEW",
                          author={"name": who.title(), "username": who,
                                  "email": f"{who}@example.org"},
                          comment="Patch Set 1: Code-Review+1\n\nLooks good to me, thanks. "
                                  "Nit inline, can be fixed in a follow-up.")

    def mix(self, n, weights):
        return [self.one(k) for k in self.rnd.choices(list(weights), weights.values(), k=n)]

    def sentinel(self):
        """A CI report stamped later than everything before it: once the store's
        position reaches its time, every earlier line was processed."""
        self.ts += 1
        line, ts = self.one("ci-merged"), self.ts
        self.ts += 1
        return line, ts


def chunks(lines):
    out, part, size = [], [], 0
    for line in lines:
        part.append(line)
        size += len(line)
        if size >= CHUNK:
            out.append(b"".join(part))
            part, size = [], 0
    return out + ([b"".join(part)] if part else [])


MIXES = (("CI-heavy", {"ci-merged": 0.35, "ci-open": 0.25, "merged": 0.15, "human": 0.25}),
         ("10% CI", {"ci-merged": 0.05, "ci-open": 0.03, "merged": 0.02, "human": 0.7,
                     "other": 0.2}),
         ("no driver hit", {"human": 0.8, "other": 0.2}))
NO_HIT = MIXES[-1][1]


def pump(daemon, gerrit, chunked, sentinel):
    """Send, wait until the daemon committed the last; (seconds, daemon CPU s)."""
    cpu, t0 = daemon.cpu_seconds(), time.perf_counter()
    for c in chunked + [sentinel[0]]:
        gerrit.server.emit_raw(c)
    t1 = daemon.wait_position(sentinel[1])
    return t1 - t0, daemon.cpu_seconds() - cpu


# -- 2. throughput and 3. API under load --------------------------------------------

BARE_SECONDS = 0.5


def bare_rate(lines):
    """json.loads of `lines`, again and again for BARE_SECONDS at least, in
    lines/s. One pass (~0.3 s) before the daemon's ~2 s swung 36k-84k lines/s
    between runs on the test machine; the mean of a loop before and one
    after is steadier."""
    n, t0 = 0, time.perf_counter()
    while True:
        for line in lines:
            json.loads(line)
        n += len(lines)
        took = time.perf_counter() - t0
        if took >= BARE_SECONDS:
            return n / took


def throughput(daemon, gerrit, lines):
    rows = []
    for label, weights in MIXES:
        batch, sentinel = lines.mix(EVENTS, weights), lines.sentinel()
        # Just before and just after: this machine's speed drifts by tens of
        # percent from one second to the next.
        before = bare_rate(batch + [sentinel[0]])
        wall, cpu = pump(daemon, gerrit, chunks(batch), sentinel)
        bare = (before + bare_rate(batch + [sentinel[0]])) / 2
        rate = (len(batch) + 1) / wall
        rows.append((label, len(batch), sum(map(len, batch)) // len(batch), bare, rate,
                     rate / bare, cpu / wall))
    return rows


def median_row(rows):
    """Of one mix's rows from several runs: (the median-ratio run's row,
    the lowest ratio, the highest)."""
    ranked = sorted(rows, key=lambda r: r[5])
    return ranked[len(ranked) // 2], ranked[0][5], ranked[-1][5]


def api_load(daemon):
    import multiprocessing

    from bench import bench_api
    t = time.perf_counter()
    daemon.get("/api/v1/drivers")
    first = time.perf_counter() - t
    pool = multiprocessing.get_context("spawn").Pool(bench_api.PROCS)
    rows = []
    try:
        bench_api.measure(pool, daemon.port, "/api/v1/drivers", 1)   # warm
        for label, path, n, gz in (
                ("static /api/v1 (baseline)", "/api/v1", 300, False),
                ("drivers, one vendor", "/api/v1/drivers?vendor=Vendor%20000007", 300, False),
                ("drivers, release+search", "/api/v1/drivers?release=Epoxy&q=vendor%2000012",
                 300, False),
                ("drivers, all, gzip", "/api/v1/drivers", 10, True)):
            rows.append((label, bench_api.measure(pool, daemon.port, path, n, gz)))
    finally:
        pool.close()
        pool.join()
    return first, rows, bench_api.CLIENTS


# -- 4. memory ----------------------------------------------------------------------

def memory(daemon, gerrit, lines):
    """VmRSS after every quarter of MEMORY_EVENTS: 90% events that hit no driver
    (one pre-serialised chunk, sent again and again), 10% CI reports (fresh)."""
    stop = threading.Event()
    reader = "/api/v1/drivers?vendor=Vendor%20000001"
    failed = []           # what the tab met instead of an answer

    def dashboard():      # a browser tab re-reading a filtered list once a second
        conn = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=30)
        while not stop.wait(1.0):
            try:
                conn.request("GET", reader)
                conn.getresponse().read()
            except (OSError, http.client.HTTPException) as e:
                failed.append(f"{time.monotonic() - started:.0f} s: {e!r}")
                conn.close()      # and a new connection, as a browser would
        conn.close()

    started = time.monotonic()
    threading.Thread(target=dashboard, daemon=True).start()
    bulk = chunks(lines.mix(CHUNK // 1500, NO_HIT))[0]
    per_bulk = bulk.count(b"\n")
    daemon.get(reader)
    rows = [(0, daemon.status("VmRSS"), None)]
    step, sent = MEMORY_EVENTS // STEPS, 0
    try:
        for _ in range(STEPS):
            ci = chunks(lines.mix(step // 10, {"ci-merged": 0.5, "ci-open": 0.5}))
            per_ci = -(-(step - step // 10) // per_bulk) // len(ci)
            out = [c for chunk in ci for c in [bulk] * per_ci + [chunk]]
            n = sum(c.count(b"\n") for c in out) + 1
            wall, _ = pump(daemon, gerrit, out, lines.sentinel())
            sent += n
            daemon.get(reader)
            rows.append((sent, daemon.status("VmRSS"), n / wall))
    finally:
        stop.set()
    closed = [line for line in daemon.get("/metrics")[1].decode().splitlines()
              if line.startswith("driverlog_http_connections_closed_total")] if failed else []
    return rows, daemon.status("VmHWM"), failed, closed


# -- the run -----------------------------------------------------------------------

def main():
    from driverlogd.catalog.synthetic import make_catalog, write_catalog
    logging.getLogger("paramiko").setLevel(logging.CRITICAL)   # resets when a daemon stops
    mem = None
    with tempfile.TemporaryDirectory(prefix="bench-service-") as tmp, \
            contextlib.ExitStack() as stop:
        small = Gerrit(tmp, "small")
        stop.callback(small.server.stop)
        lat = latency(tmp, small)
        small.server.stop()
        catalog_path = os.path.join(tmp, "big.json")
        write_catalog(catalog_path, DRIVERS)
        lines = Lines(make_catalog(DRIVERS))
        gerrit = Gerrit(tmp, "big")     # an empty Gerrit: nothing for the catch-up to replay
        stop.callback(gerrit.server.stop)
        # Part 2 on REPEATS fresh daemons: one daemon's CI-heavy ratio moved
        # 0.16-0.34 within an hour on the test machine, where the code's gains
        # were a few %; the median's is what is printed, with the range.
        runs, big = [], None
        for k in range(max(1, REPEATS)):
            if big is not None:
                big.stop()
            big = Daemon(tmp, gerrit, catalog_path, f"big{k}", bootstrapped=True)
            stop.callback(big.stop)
            runs.append(throughput(big, gerrit, lines))
        rows = [median_row(same) for same in zip(*runs)]
        first, api_rows, clients = api_load(big)
        api_rss = big.status("VmRSS")
        big.stop()
        if MEMORY_EVENTS:
            fresh = Daemon(tmp, gerrit, catalog_path, "memory", bootstrapped=True)
            stop.callback(fresh.stop)
            mem = memory(fresh, gerrit, lines)

    t, p99 = lat["times"], pct(lat["times"], 99)
    print("driverlogd subprocess <- real SSH <- stand-in Gerrit (this process), loopback")
    print(f"1. CI comment on a merged change -> verdict in /api/v1/drivers: {len(t)} comments "
          f"({lat['missed']} never seen), {lat['drivers']}-driver catalog, daemon ready in "
          f"{lat['startup']:.1f} s incl. a bootstrap of {lat['queries']} queries\n"
          f"   p50 {pct(t, 50):.1f} ms  p99 {p99:.1f} ms  max {pct(t, 100):.1f} ms  (p99 / 50 "
          f"ms target = {p99 / 50:.2f}); includes up to one poll period, mean "
          f"{lat['poll'] * 1000:.2f} ms")
    print(f"2. pipeline with {DRIVERS:,} drivers (daemon ready in {big.startup:.1f} s, bootstrap "
          "skipped); done = the last event's position committed; target ratio >= 0.5\n"
          f"   median of {REPEATS} fresh daemons (ratio range in brackets)\n"
          "   %-14s %6s %6s %15s %11s %6s %10s" % ("events", "count", "bytes", "json.loads ev/s",
                                                 "daemon ev/s", "ratio", "daemon CPU"))
    for row, low, high in rows:
        print("   %-14s %6d %6d %15.0f %11.0f %6.3f %9.0f%%  (%.3f-%.3f)" % (
            row[:6] + (row[6] * 100, low, high)))
    print("   CI-heavy: 35% CI reports on merged changes, 25% on open ones, 15% merges of "
          "those, 25% human reviews")
    print(f"3. {clients} clients against that daemon (first full snapshot {first * 1000:.0f} ms; "
          f"VmRSS after {api_rss / 1024:.0f} MB); target p99 <= 10 ms\n"
          "   %-27s %8s %8s %8s %9s" % ("endpoint", "p50 ms", "p99 ms", "req/s", "p99/base"))
    for label, r in api_rows:
        print("   %-27s %8.2f %8.2f %8.0f %9.1f" % (label, r["p50"], r["p99"], r["rps"],
                                                   r["p99"] / api_rows[0][1]["p99"]))
    if mem:
        print(f"4. VmRSS of a fresh {DRIVERS:,}-driver daemon (90% events hitting no driver, 10% "
              "CI reports; API read every second); target <= 100 MB, flat")
        print("   %10s %9s %9s %8s" % ("events", "VmRSS MB", "vs start", "ev/s"))
        for n, rss, rate in mem[0]:
            print("   %10d %9.1f %8.2fx %8s" % (n, rss / 1024, rss / mem[0][0][1],
                                               "%.0f" % rate if rate else "-"))
        print(f"   peak (VmHWM) {mem[1] / 1024:.1f} MB")
        if mem[2]:       # a read the daemon did not answer: say so, with its counts
            print(f"   the API reader met {len(mem[2])} failure(s): {'; '.join(mem[2][:3])}")
            print("   " + "\n   ".join(mem[3]))

if __name__ == "__main__":
    main()
