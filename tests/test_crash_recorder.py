"""Crash test: a child process applies Gerrit events and acknowledges each one
once handle() returned; it is SIGKILLed at random moments, many times. After
every kill the database must be consistent and hold every acknowledged event;
in the end it must equal an uninterrupted run.

Run as `python -m tests.test_crash_recorder DB EVENTS START` it is the child.
"""
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

import pytest

from driverlogd.gerrit.events import ChangeMerged, CommentAdded, parse_event
from driverlogd.recorder import Recorder
from driverlogd.store import Store
from driverlogd.store.db import digest
from driverlogd.verdict import report_patchset, votes_for
from driverlogd.verdict.promotion import verdict
from tests.budget import scaled
from tests.verdict_support import CINDER, catalog, cloudbase_report, ts

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KILLS = scaled(15)
CHANGES = max(2500, 100 * KILLS)     # enough events for every kill
T0 = ts("2018-08-20")


def gerrit_events(n_changes=CHANGES, seed=7):
    """Gerrit-shaped JSON events in stream order (one second apart)."""
    rnd = random.Random(seed)
    out = []

    def add(kind, number, branch, status, ps, **extra):
        out.append(dict(type=kind, eventCreatedOn=T0 + len(out), patchSet={"number": ps},
                        change={"project": CINDER, "branch": branch, "number": number,
                                "url": f"https://review.example.org/{number}",
                                "status": status}, **extra))

    for number in range(1, n_changes + 1):
        branch = rnd.choice(["master", "master", "stable/rocky", "stable/queens"])
        final = rnd.randint(1, 3)
        for ps in range(1, final + 1):
            merged_now = ps == final and rnd.random() < 0.3
            if merged_now:
                add("change-merged", number, branch, "MERGED", ps)
            status = "MERGED" if merged_now else "NEW"
            add("comment-added", number, branch, status, ps, author={"username": "cinder_smb3_ci"},
                comment=f"Patch Set {ps}:\n\nStarting check jobs.")
            add("comment-added", number, branch, status, ps, author={"username": "reviewer"},
                comment=f"Patch Set {ps}: Code-Review+1\n\nrecheck")
            add("comment-added", number, branch, status, ps, author={"username": "cinder_smb3_ci"},
                comment=cloudbase_report(ps, rnd.choice(["SUCCESS", "FAILURE"]),
                                         rnd.choice(["SUCCESS", "FAILURE"])))
            add("comment-added", number, branch, status, ps, author={"username": "acme-ci"},
                comment=f"Patch Set {ps}: " + rnd.choice(["Build Successful", "Build Failed"]))
            if ps == final and not merged_now and rnd.random() < 0.8:
                add("change-merged", number, branch, "MERGED", ps)
    return out


def child(db, events_path, start):
    rec = Recorder(Store(db), catalog())
    print("ready", flush=True)
    with open(events_path) as f:
        for i, line in enumerate(f):
            if i >= start:
                rec.handle(parse_event(json.loads(line)))
                print(i, flush=True)          # the acknowledgement


def run_child(db, events_path, start, kill_after=None):
    """Run the child; SIGKILL it `kill_after` seconds after it is ready.
    Returns the acknowledged indexes."""
    proc = subprocess.Popen([sys.executable, "-m", "tests.test_crash_recorder", db,
                             events_path, str(start)], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True)
    acks, ready = [], threading.Event()

    def read():
        for line in proc.stdout:
            if line.strip() == "ready":
                ready.set()
            else:
                acks.append(int(line))
        ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert ready.wait(30), "child never became ready"
        if kill_after is not None:
            time.sleep(kill_after)
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(10)
    return acks


def check_consistent(db, events, acked):
    """Integrity, every acknowledged event present, nothing half-applied."""
    cat = catalog()
    store = Store(db)
    try:
        assert store.integrity() == "ok"
        q = store.db.execute
        for i in acked:
            e = parse_event(events[i])
            ch = e.change
            if isinstance(e, ChangeMerged):
                row = q("SELECT patchset FROM merges WHERE project = ? AND change = ?",
                        (ch.project, ch.number)).fetchone()
                assert row and row[0] is not None and row[0] >= e.patchset, \
                    f"acked merge {i} lost"
            elif isinstance(e, CommentAdded) and e.author != "reviewer":
                assert q("SELECT 1 FROM comments WHERE project = ? AND change = ? AND "
                         "patchset = ? AND author = ? AND digest = ?",
                         (ch.project, ch.number, report_patchset(e.comment), e.author,
                          digest(e.comment))).fetchone(), \
                    f"acked comment {i} lost"
        if acked:
            assert store.position() >= events[max(acked)]["eventCreatedOn"] - 60
        groups = {(d.ci.id): [d] for d in cat.drivers if d.ci and d.ci_repo == CINDER}
        groups["cinder_smb3_ci"] = list(cat.by_ci_id["cinder_smb3_ci"])
        ids = {k: i for i, k in store.driver_keys().items()}
        for cid, author, _, branch, when, message in store.all_comments().fetchall():
            want = {(ids[v.driver], v.release) for v in
                    votes_for(groups[author], message, branch, when, cat)}
            got = set(q("SELECT driver_id, release FROM votes WHERE comment_id = ?", (cid,)))
            assert got == want, f"comment {cid} half applied"
        for did, release in q("SELECT DISTINCT driver_id, release FROM votes "
                              "WHERE release IS NOT NULL").fetchall():
            best = verdict(store.evidence(did, release))
            assert (best and best.comment_id) == store.verdict_id(did, release), \
                "verdict out of step"
    finally:
        store.close()


@pytest.mark.timeout(120)
def test_sigkill_at_random_moments_loses_nothing_acknowledged(tmp_path):
    events = gerrit_events()
    events_path = str(tmp_path / "events.jsonl")
    with open(events_path, "w") as f:
        f.writelines(json.dumps(e) + "\n" for e in events)
    db = str(tmp_path / "state.db")
    rnd = random.Random(1)
    start, all_acked, kills = 0, [], 0
    while kills < KILLS and start < len(events):
        acks = run_child(db, events_path, start, kill_after=rnd.uniform(0.0, 0.15))
        kills += 1
        all_acked += acks
        check_consistent(db, events, all_acked)
        if acks:
            start = max(acks) + 1         # unacknowledged but committed ones replay
    assert kills == KILLS, "events ran out before every kill: make the stream longer"
    run_child(db, events_path, start)
    # The same events applied once, in order, without a crash; in this process
    # and without an fsync per commit (its durability is not under test).
    reference = str(tmp_path / "reference.db")
    ref = Recorder(Store(reference, synchronous="NORMAL"), catalog())
    for e in events:
        ref.handle(parse_event(e))
    ref.store.close()

    def final(path):
        rec = Recorder(Store(path), catalog())
        return ({d.key: rec.reads.verdicts(d.key) for d in rec.catalog.drivers},
                {d.key: rec.reads.votes(d.key, 10 ** 6) for d in rec.catalog.drivers}, rec.position())
    assert final(db) == final(reference)


if __name__ == "__main__":
    child(sys.argv[1], sys.argv[2], int(sys.argv[3]))
