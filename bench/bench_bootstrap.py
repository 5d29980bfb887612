"""What the bootstrap of an empty store asks Gerrit: query counts for the
catalog (the real 221-driver one when ../shared/corpus is beside the repo),
then both ways side by side against the stand-in over real SSH, seeded with
a realistic history for every (CI account, repository) of that catalog:

- per branch (before issue 14; tests/bootstrap_oracle.py): one query per
  (CI account, repository, active release) and one for master, each read to
  its end (the query client pages on while Gerrit says moreChanges);
- paged (driverlogd/bootstrap.py): one page per (CI account, repository)
  over all those branches, more pages only where a verdict is unsettled.

Printed: queries (SSH commands), changes read (answer rows: what costs
Gerrit, as each row carries every comment), wall time, and whether the two
stores hold the same verdicts. BENCH_BOOTSTRAP_LIMIT (50) is `bootstrap_limit`.
"""
import collections
import datetime
import os
import re
import tempfile
import time

from bench.service_harness import ROOT, Gerrit
from driverlogd.bootstrap import bootstrap, branch_groups
from driverlogd.catalog import load
from driverlogd.demo.traffic import SettableClock, example_line
from driverlogd.gerrit.query import GerritQuery, events_from_change
from driverlogd.gerrit.ssh import connect
from driverlogd.metrics import Metrics
from driverlogd.recorder import Recorder
from driverlogd.store import Store
from driverlogd.verdict.votes import ci_groups
from tests.bootstrap_oracle import DAY, per_branch, seed_history, verdicts

CORPUS = os.path.join(os.path.dirname(ROOT), "shared", "corpus", "default_data.json")
SAMPLE = os.path.join(ROOT, "config", "default_data.json")
LIMIT = int(os.environ.get("BENCH_BOOTSTRAP_LIMIT", "50"))


def counts(catalog):
    pairs = ci_groups(catalog)
    ci_drivers = sum(1 for d in catalog.drivers if d.ci)
    branches = len(catalog.active_releases) + 1
    return {"ci_drivers": ci_drivers, "branches": branches, "pairs": len(pairs),
            "original": ci_drivers * branches, "per_branch": len(pairs) * branches}


def history_branches(catalog, repos, now):
    """Per repository: master once a day, the newest stable branch every
    two weeks, each older one half as often, over 240 days."""
    stable = [r for r in catalog.active_releases
              if r.starts_at < catalog.active_releases[-1].starts_at]
    out = []
    for repo in repos:
        out.append((repo, "master", 1.0, 240))
        for k, r in enumerate(reversed(stable)):
            out.append((repo, r.branch_names[0], 14 * 2 ** k, 240))
    return out


def reporter(catalog, now):
    """Each account's report: a line per driver it tests, made from the
    driver's own patterns; one account in seven fell silent 120 days ago."""
    drivers = ci_groups(catalog)
    accounts = sorted({ci for ci, _ in drivers})
    silent = set(accounts[::7])

    def message(rng, ci, number, branch, t):
        if ci in silent and t > now - 120 * DAY:
            return None
        lines = []
        for (account, _), ds in drivers.items():
            if account != ci:
                continue
            for d in ds:
                ok = rng.random() < 0.85
                line = example_line(d.ci.success_pattern if ok else d.ci.failure_pattern, number)
                if line:
                    lines.append(f"- {line}")
        return "Build finished.\n\n" + "\n".join(lines) if lines else None
    return message


def main():
    path = CORPUS if os.path.exists(CORPUS) else SAMPLE
    catalog = load(path)
    c = counts(catalog)
    print(f"catalog: {os.path.basename(os.path.dirname(path))}/{os.path.basename(path)}, "
          f"{len(catalog.drivers)} drivers, {c['ci_drivers']} with a CI, "
          f"{len(catalog.active_releases)} active releases")
    print(f"queries per bootstrap: original batch job, one per CI driver and branch: "
          f"{c['ci_drivers']} x {c['branches']} = {c['original']}; per branch (before): "
          f"{c['pairs']} pairs x {c['branches']} = {c['per_branch']}, each read to its end; "
          f"paged: {c['pairs']} first pages + the further pages measured below")
    now = catalog.active_releases[-1].starts_at + 180 * DAY
    pairs = ci_groups(catalog)
    repos = sorted({repo for _, repo in pairs})
    cis = {repo: sorted({ci for ci, r in pairs if r == repo}) for repo in repos}
    with tempfile.TemporaryDirectory() as tmp:
        gerrit = Gerrit(tmp, "gerrit")
        server = gerrit.server
        clock = SettableClock()
        server.store.clock = clock
        oldest = [g.names[0] for g in branch_groups(catalog) if g.release][0]
        merges = seed_history(server, clock, now=now, cis=cis,
                              branches=history_branches(catalog, repos, now),
                              message=reporter(catalog, now), traps=(repos[:3], oldest))
        print(f"history: {merges} merged changes on {len(repos)} repositories, "
              f"{len(server.store.changes)} changes, until "
              f"{datetime.datetime.fromtimestamp(now, datetime.timezone.utc):%Y-%m-%d}; limit {LIMIT}")
        results = {way: run(way, catalog, gerrit, tmp) for way in ("per branch", "paged")}
        server.stop()
    (qa, ra, wa, va, _), (qb, rb, wb, vb, sent) = results["per branch"], results["paged"]
    spread = collections.Counter(collections.Counter(
        (re.search(r"project:\{[^}]*\}", x).group(0), re.search(r"commentby:\{[^}]*\}", x).group(0))
        for x in sent).values())
    for way, (q, r, w, _, _) in results.items():
        print(f"{way:>10}: {q:5d} queries, {r:6d} changes read, {w:6.1f} s")
    print(f"paged / per branch: queries {qb / qa:.2f}, changes read {rb / max(ra, 1):.2f}, "
          f"time {wb / wa:.2f}; same verdicts: {'yes' if va == vb else 'NO'} "
          f"({sum(len(v) for v in va.values())} verdicts)")
    print("paged, pairs by pages asked: " + ", ".join(
        f"{n} page{'s' if n > 1 else ''}: {k}" for n, k in sorted(spread.items())))


def run(way, catalog, gerrit, tmp):
    """One bootstrap into a fresh store: (queries, changes read, seconds,
    verdicts, the query commands sent)."""
    server = gerrit.server
    rec = Recorder(Store(os.path.join(tmp, way.replace(" ", "_") + ".db")), catalog)
    conn = connect(_config(gerrit))
    client = GerritQuery(_config(gerrit), Metrics(), connection=conn)
    rows = [0]

    def events(q):
        for change in client.changes(q):
            rows[0] += 1
            yield from events_from_change(change)

    def ask(q):
        answered, more = client.page(q)
        rows[0] += len(answered)
        return answered, more
    mark = len(server.commands)
    started = time.perf_counter()
    try:
        if way == "per branch":
            per_branch(catalog, events, rec, LIMIT)
        else:
            bootstrap(catalog, ask, rec, limit=LIMIT)
    finally:
        conn.close()
    wall = time.perf_counter() - started
    sent = [x for x in server.commands[mark:] if x.startswith("gerrit query")]
    found = verdicts(rec)
    rec.store.close()
    return len(sent), rows[0], wall, found, sent


def _config(gerrit):
    from driverlogd.gerrit.config import GerritConfig
    return GerritConfig(host="127.0.0.1", port=gerrit.server.port, username="driverlog",
                        key_file=gerrit.key, known_hosts=gerrit.known_hosts,
                        command_timeout=300.0)
