"""What asking Gerrit costs: the targeted `gerrit query` commands the daemon
sends (one per change it is unsure of) per 1,000 merges, against the stand-in
seeded with a realistic history (the demo's traffic: 60 days, every CI
temperament), on the real catalog when ../shared/corpus is beside the repo.

Two phases: a first start, when every change under review was reported on
before the daemon watched (each costs a question when it merges), and the
steady state after it, where the rules know and ask nothing."""
import os
import sqlite3
import tempfile
import time

from bench.service_harness import ROOT, Daemon, Gerrit
from driverlogd.catalog import load
from driverlogd.demo.traffic import SettableClock, Traffic

CORPUS = os.path.join(os.path.dirname(ROOT), "shared", "corpus", "default_data.json")
SAMPLE = os.path.join(ROOT, "config", "default_data.json")
MERGES = 1000


def asked(server, since):
    return sum(1 for c in server.commands[since:] if "change:{" in c)


def settle(daemon, server):
    """Until the daemon has applied every event and answered every question."""
    db = sqlite3.connect(daemon.db, timeout=30, isolation_level=None)
    newest = server.store.now()
    try:
        daemon._wait(lambda: (db.execute("SELECT created_on FROM position").fetchone()
                              or (0,))[0] >= newest - 1 and
                     db.execute("SELECT COUNT(*) FROM questions").fetchone()[0] == 0,
                     600, "settled", 0.2)
    finally:
        db.close()


def main():
    path = CORPUS if os.path.exists(CORPUS) else SAMPLE
    catalog = load(path)
    print(f"catalog: {os.path.basename(os.path.dirname(path))}/{os.path.basename(path)}, "
          f"{len(catalog.drivers)} drivers")
    with tempfile.TemporaryDirectory() as tmp:
        gerrit = Gerrit(tmp, "gerrit")
        server = gerrit.server
        clock = SettableClock()
        server.store.clock = clock
        merges = [0]
        merge = server.merge

        def counting_merge(number, *a, **kw):
            merges[0] += 1
            return merge(number, *a, **kw)
        server.merge = counting_merge
        traffic = Traffic(server, catalog)
        traffic.seed_history(clock)
        # Under review when the daemon starts: a change per CI group, reported on
        # two hours before (past any catch-up overlap), merged only later.
        clock.set(time.time() - 7200)
        pending = []
        for (ci_id, repo), _ in traffic.groups:
            number = server.create_change(repo)
            server.add_comment(number, None, ci_id, "Build succeeded.\n\n- job : SUCCESS")
            pending.append(number)
        clock.set(None)
        daemon = Daemon(tmp, gerrit, path, "daemon")
        try:
            mark, merged = len(server.commands), merges[0]
            for number in pending:
                server.merge(number)
            settle(daemon, server)
            first = (asked(server, mark), merges[0] - merged)
            mark, merged = len(server.commands), merges[0]
            while merges[0] - merged < MERGES:
                traffic.step()
            settle(daemon, server)
            steady = (asked(server, mark), merges[0] - merged)
        finally:
            daemon.stop()
            server.stop()
    for what, (queries, n) in (("first start: merges of changes reported on before", first),
                               ("steady state: the traffic's merges", steady)):
        print(f"{what}: {n} merges, {queries} questions = "
              f"{queries * 1000 / max(n, 1):.0f} per 1,000 merges")
