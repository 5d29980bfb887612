"""Pattern trials and retention on a store of 50,000 CI reports.

- the try endpoint's work (the newest 200 reports of an account read, then
  judged by verdict/diagnosis.tally), next to the same read alone;
- one retention pass over the 45,000 reports past the cutoff: reports pruned a
  second, and the longest batch (the recorder's lock is held that long),
  next to one event's commit in the same store.
"""
import statistics
import tempfile
import time

from bench.bench_verdict import make_catalog
from driverlogd import retention
from driverlogd.catalog.model import build_pattern
from driverlogd.recorder import Recorder
from driverlogd.store import Store
from driverlogd.verdict.diagnosis import tally
from driverlogd.web.trial import MAX_REPORTS

REPORTS = 50_000
ACCOUNTS = 50
NOW = 1_700_000_000
DAY = 86400


def fill(store):
    with store.transaction():
        for k in range(REPORTS):
            account = k % ACCOUNTS
            # 90 % older than the 90 days kept, the rest inside them.
            when = NOW - (200 * DAY if k < REPORTS * 0.9 else DAY) + k
            jobs = "\n".join(f"- job-{account * 4 + j} https://logs.example.org/{k}/{j} : "
                             f"SUCCESS in 1h 0{j}m" for j in range(4))
            store.put_comment(f"openstack/repo{account % 40}", 1000 + k, 1, f"ci-{account}",
                              "master", f"https://review.example.org/{1000 + k}", when,
                              f"Patch Set 1: Verified+1\n\nBuild succeeded.\n\n{jobs}\n")


def p50(f, n=200):
    times = []
    for i in range(n):
        t = time.perf_counter()
        f(i)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"{tmp}/state.db")     # FULL, as the daemon
        fill(store)
        ok, bad = build_pattern(r"job-5 \S+ : SUCCESS"), build_pattern(r"job-5 \S+ : FAILURE")

        def read(i):
            return store.recent_reports(f"ci-{i % ACCOUNTS}", f"openstack/repo{i % ACCOUNTS % 40}",
                                        MAX_REPORTS)
        read_only = p50(read)
        judged = p50(lambda i: tally(read(i), ok, bad))
        print(f"try, {MAX_REPORTS} reports: read + judge p50 {judged * 1e3:.2f} ms; "
              f"read alone {read_only * 1e3:.2f} ms; ratio {judged / read_only:.1f}x")

        rec = Recorder(store, make_catalog())
        batches = []

        def pause():
            batches.append(time.perf_counter())
        started = time.perf_counter()
        batches.append(started)
        pruned = retention.prune(rec, 90, now=NOW, pause=pause)
        took = time.perf_counter() - started
        spans = sorted(b - a for a, b in zip(batches, batches[1:]))
        longest, median = spans[-1], statistics.median(spans)
        t = time.perf_counter()
        with store.transaction():
            store.put_comment("openstack/repo0", 9, 1, "ci-0", "master", "u", NOW, "Patch Set 1: x")
        commit = time.perf_counter() - t
        print(f"retention (batches of {retention.BATCH}): {pruned} reports pruned in {took:.2f} s ({pruned / took:,.0f}/s); "
              f"batch p50 {median * 1e3:.1f} ms, longest {longest * 1e3:.1f} ms; one event's commit {commit * 1e3:.2f} ms; "
              f"ratio {longest / commit:.0f}x")
        store.close()
