"""Verdict recording: events/second through Recorder.handle() with a
10,000-driver catalog, next to a bare json.loads loop over the same lines,
and the store's commit time per event (p50/p99), synchronous FULL vs NORMAL.
"""
import json
import random
import statistics
import tempfile
import time

from driverlogd.catalog.model import Catalog
from driverlogd.gerrit.events import parse_event
from driverlogd.recorder import Recorder
from driverlogd.store import Store

DRIVERS = 10_000
PER_ACCOUNT = 4            # drivers sharing one CI account, told apart by job name
REPOS = 40
T0 = 1_600_000_000


def make_catalog():
    drivers = []
    for i in range(DRIVERS):
        account = i // PER_ACCOUNT
        drivers.append({
            "project_id": f"openstack/repo{account % REPOS}", "vendor": f"vendor{account}",
            "name": f"driver {i}", "releases": ["Wallaby"],
            "ci": {"id": f"ci-{account}", "success_pattern": rf"job-{i} \S+ : SUCCESS",
                   "failure_pattern": rf"job-{i} \S+ : FAILURE"}})
    return Catalog.from_data({
        "projects": [{"id": f"openstack/repo{r}", "name": f"repo {r}"} for r in range(REPOS)],
        "releases": [{"id": "Victoria", "start": "2020-May-01", "active": True},
                     {"id": "Wallaby", "start": "2020-Oct-20", "active": True}],
        "drivers": drivers})


def make_lines(n, relevant_share, seed=3):
    """Stream-shaped JSON lines: CI reports and merges of driver repos among
    everyone else's traffic."""
    rnd = random.Random(seed)
    lines = []
    for k in range(n):
        number = 1000 + k // 4
        account = rnd.randrange(DRIVERS // PER_ACCOUNT)
        repo = f"openstack/repo{account % REPOS}"
        change = {"project": repo, "branch": rnd.choice(["master", "stable/victoria"]),
                  "number": number, "url": f"https://review.example.org/{number}",
                  "status": rnd.choice(["NEW", "NEW", "MERGED"])}
        event = {"eventCreatedOn": T0 + k, "change": change, "patchSet": {"number": 1}}
        roll = rnd.random()
        if roll < relevant_share * 0.85:
            jobs = "\n".join(
                f"- job-{account * PER_ACCOUNT + j} https://logs.example.org/{k}/{j} : "
                f"{rnd.choice(['SUCCESS', 'FAILURE'])} in 1h 0{j}m" for j in range(PER_ACCOUNT))
            event.update(type="comment-added", author={"username": f"ci-{account}"},
                         comment=f"Patch Set 1: Verified+1\n\nBuild succeeded.\n\n{jobs}\n")
        elif roll < relevant_share:
            event.update(type="change-merged")
        else:
            change["project"] = "openstack/unrelated"
            event.update(type="comment-added", author={"username": "someone"},
                         comment="Patch Set 1: Code-Review+1\n\nLooks good, recheck")
        lines.append(json.dumps(event))
    return lines


def run(catalog, lines, synchronous):
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"{tmp}/state.db", synchronous=synchronous)
        rec = Recorder(store, catalog)
        writes = []
        started = time.perf_counter()
        for line in lines:
            before = store.db.total_changes
            t = time.perf_counter()
            rec.handle(parse_event(json.loads(line)))
            if store.db.total_changes != before:
                writes.append(time.perf_counter() - t)
        elapsed = time.perf_counter() - started
        t = time.perf_counter()
        Recorder(Store(f"{tmp}/state.db"), catalog)   # restart: reconcile + view rebuild
        restart = time.perf_counter() - t
        t = time.perf_counter()
        states = rec.reads.states()
        read = time.perf_counter() - t
        store.close()
    return elapsed, writes, restart, read, len(states)


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))] * 1000 if values else 0.0


def main():
    t = time.perf_counter()
    catalog = make_catalog()
    print(f"catalog: {len(catalog.drivers)} drivers, {len(catalog.by_ci_id)} CI accounts "
          f"(built in {time.perf_counter() - t:.2f} s)")
    for label, share, n in (("mixed stream (10% driver events)", 0.10, 20_000),
                            ("driver events only", 1.0, 3_000)):
        lines = make_lines(n, share)
        t = time.perf_counter()
        for line in lines:
            json.loads(line)
        bare = time.perf_counter() - t
        print(f"{label}: {n} events; bare json.loads {n / bare:,.0f} ev/s")
        for sync in ("FULL", "NORMAL"):
            elapsed, writes, restart, read, count = run(catalog, lines, sync)
            mean = statistics.mean(writes) * 1000 if writes else 0.0
            print(f"  synchronous={sync:6s} handle() {n / elapsed:,.0f} ev/s "
                  f"(bare json.loads {elapsed / bare:.0f}x faster); "
                  f"{len(writes)} commits p50 {pct(writes, 50):.2f} ms "
                  f"p99 {pct(writes, 99):.2f} ms (mean {mean:.2f} ms); "
                  f"restart {restart:.2f} s; states() of {count} drivers {read * 1000:.0f} ms")


if __name__ == "__main__":
    main()
