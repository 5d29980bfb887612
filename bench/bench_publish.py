"""The static publication at 10,000 drivers: nginx serving it against the
daemon's own API, side by side in one run, and how soon a comment shows.

driverlogd follows the stand-in Gerrit over real SSH with `publish:` set;
Debian's nginx (one worker, the shipped site config) serves the publication,
kept on tmpfs (/dev/shm) where there is one, as operations.md advises.
1. p50, p99 and req/s under 50 keep-alive clients (wrk, bench/wrk.py: the
   Python load generator's own p99 is ~20 ms here) for the whole driver list
   (gzip), one driver's document and a badge, from nginx and from the daemon,
   in turn, in one run; beside /api/v1 (400 bytes), the floor of the load
   generator and each server on this machine.
2. Publication lag: a CI comment posted on a merged change -> the driver's
   document file in `current/` shows it (read every 2 ms), for
   COMMENTS comments with a random pause of 0-1.5 s between them, so some
   land in a quiet spell and some just after a generation (the coalescing
   then holds them up to a second).
Goals: p99 <= 10 ms for every read from the publication; lag p99 <= 2 s.
Counts: BENCH_PUBLISH_DRIVERS (10000), BENCH_PUBLISH_COMMENTS (40),
BENCH_PUBLISH_SECONDS (5, per URL and server).
"""
import contextlib
import json
import logging
import os
import random
import re
import tempfile
import time

from bench import wrk
from bench.service_harness import Daemon, Gerrit, pct
from tests.service_support import wait_for

DRIVERS = int(os.environ.get("BENCH_PUBLISH_DRIVERS", "10000"))
COMMENTS = int(os.environ.get("BENCH_PUBLISH_COMMENTS", "40"))
SECONDS = int(os.environ.get("BENCH_PUBLISH_SECONDS", "5"))
CLIENTS = 50
GOAL_READ_MS, GOAL_LAG_S = 10.0, 2.0
TMPFS = "/dev/shm"
# /api/v1, 400 bytes: what the load generator (on the same machine) and each
# server cost at the least; the other rows stand beside it.
FLOOR = "/api/v1 (the floor)"


def read_json(path):
    try:
        with open(path, "rb") as f:
            return json.loads(f.read())
    except (OSError, ValueError):
        return None


def loads(ports, urls):
    """{(url label, server): figures}, each URL measured on both servers in turn."""
    rows = {}
    for label, path, gz in urls:
        for server, port in ports:
            wrk.measure(port, path, CLIENTS, 1, gz=gz)        # warm
            rows[label, server] = wrk.measure(port, path, CLIENTS, SECONDS, gz=gz)
    return rows


def generation_times(daemon):
    """{bucket's upper bound (s): generations that took at most that}, from /metrics."""
    text = daemon.get("/metrics")[1].decode()
    found = re.findall(r'^driverlog_publication_duration_seconds_bucket\{le="([^"]+)"\} (\S+)$',
                       text, re.M)
    return {float(le): int(float(n)) for le, n in found}


def lag(gerrit, folder, driver):
    """Seconds from each comment to its vote in the driver's published document."""
    from driverlogd.publish import files
    path, _ = files.driver_paths((driver["project_id"], driver["vendor"], driver["name"]))
    doc = os.path.join(folder, "current", files.file_name(path, "application/json"))
    job = driver["ci"]["success_pattern"].split(r"\s+")[0]
    repo = driver.get("repo") or driver["project_id"]
    server, rnd, times = gerrit.server, random.Random(5), []
    for k in range(COMMENTS):
        number = server.create_change(repo, "master", owner="alice")
        server.merge(number)
        word = "SUCCESS" if k % 2 else "FAILURE"
        body = f"Build done.\n\n- {job} https://ci.example.org/logs/{number} : {word} in 1h 02m\n"
        t0 = time.perf_counter()
        server.add_comment(number, 1, driver["ci"]["id"], body, approvals={"Verified": 1})
        wait_for(lambda n=number: any(v["change"] == n
                                      for v in (read_json(doc) or {}).get("votes", ())),
                 30, 0.002, "comment %d in the publication" % number)
        times.append(time.perf_counter() - t0)
        time.sleep(rnd.uniform(0, 1.5))
    return times


def main():
    from driverlogd.catalog.synthetic import make_catalog, write_catalog
    from driverlogd.publish import files
    from tests import nginx_support
    if not nginx_support.available():
        print("nginx is not installed (tools/system-deps.sh installs it); skipped")
        return
    if not wrk.available():
        print("wrk is not installed (`make bench` installs it: tools/system-deps.sh --bench); "
              "skipped")
        return
    logging.getLogger("paramiko").setLevel(logging.CRITICAL)
    data = make_catalog(DRIVERS)
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as tmp, \
            contextlib.ExitStack() as stack:
        catalog = os.path.join(tmp, "catalog.json")
        write_catalog(catalog, DRIVERS)
        gerrit = Gerrit(tmp, "gerrit")
        stack.callback(gerrit.server.stop)
        # On tmpfs, as operations.md has it under systemd (/run): on this shared
        # disk, creating a generation's 6,700 symlinks took 0.2 to 1.5 s.
        shm = tempfile.TemporaryDirectory(prefix="bench-publish-", dir=TMPFS) \
            if os.access(TMPFS, os.W_OK) else None
        folder = os.path.join(shm.name if shm else tmp, "publication")
        if shm:
            stack.callback(shm.cleanup)
        daemon = Daemon(tmp, gerrit, catalog, "daemon", bootstrapped=True,
                        extra="publish: {dir: %s}\n" % folder)
        stack.callback(daemon.stop)
        started = time.perf_counter()
        wait_for(lambda: os.path.exists(os.path.join(folder, "current", "api/v1/drivers.json")),
                 300, 0.05, "the first generation")
        first = time.perf_counter() - started
        web = nginx_support.Nginx(os.path.join(tmp, "nginx"), folder)
        stack.callback(web.stop)
        driver = next(d for d in data["drivers"][DRIVERS // 2:] if d.get("ci"))
        doc, badge = files.driver_paths((driver["project_id"], driver["vendor"], driver["name"]))
        rows = loads((("nginx", web.port), ("daemon", daemon.port)), (
            (FLOOR, "/api/v1", False),
            ("driver list, all, gzip", "/api/v1/drivers", True),
            ("one driver", doc, False),
            ("badge", badge, False)))
        before = generation_times(daemon)
        times = lag(gerrit, folder, driver)
        took = {le: n - before.get(le, 0) for le, n in generation_times(daemon).items()}
        generations = len([n for n in os.listdir(folder) if n.startswith("gen-")])
        where = "tmpfs" if shm else "disk"

    print(f"{DRIVERS:,} drivers, {CLIENTS} clients (wrk, 2 threads, {SECONDS} s a row); nginx: 1 worker, the shipped "
          f"site config; daemon: driverlogd with publish: set (its first generation "
          f"{first:.1f} s after it was up; publication on {where})")
    print("1. %-24s %-7s %8s %8s %9s %12s" % ("reads", "server", "p50 ms", "p99 ms", "req/s",
                                               "p99 / daemon"))

    for label in (FLOOR, "driver list, all, gzip", "one driver", "badge"):
        base = rows[label, "daemon"]
        for server in ("nginx", "daemon"):
            r = rows[label, server]
            goal = (" (goal <= %g ms %s)" % (GOAL_READ_MS, "ok" if r["p99"] <= GOAL_READ_MS
                                            else "MISSED")) if server == "nginx" else ""
            errors = " (%d errors: not 2xx/3xx, or socket errors and timeouts)" % (
                r["errors"]) if r["errors"] else ""
            print("   %-24s %-7s %8.2f %8.2f %9.0f %12.2f%s%s" % (
                label, server, r["p50"], r["p99"], r["rps"], r["p99"] / base["p99"], goal,
                errors))
    p99 = pct(times, 99) / 1000
    print(f"2. publication lag, comment -> document file: {len(times)} comments, p50 "
          f"{pct(times, 50):.0f} ms, p99 {p99 * 1000:.0f} ms, max {pct(times, 100):.0f} ms "
          f"(goal p99 <= {GOAL_LAG_S:g} s {'ok' if p99 <= GOAL_LAG_S else 'MISSED'}); "
          f"{generations} generation folders at the end")
    print("   generations made meanwhile, by time taken: " + ", ".join(
        "<= %g s: %d" % (le, n) for le, n in sorted(took.items()) if le <= 1 or le == float("inf")))


if __name__ == "__main__":
    main()
