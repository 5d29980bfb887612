"""An answer the recorder cannot take (a store error: disk full, I/O) must
not stop the other questions, nor turn the asker into a loop that queries
Gerrit as fast as it can: the question waits its backoff like any other
failure, and stays queued (nothing is lost)."""
import sqlite3

import gevent
import gevent.event

from driverlogd.asker import Asker
from driverlogd.recorder import Recorder
from driverlogd.store.db import Store
from tests.verdict_support import catalog

NOW = 1_700_000_000


def _asker(poisoned):
    rec = Recorder(Store(":memory:"), catalog(), clock=lambda: NOW)
    queries = []

    def answers(batch):          # Gerrit's edge: every change answered, with no events
        for q in batch:
            queries.append(q)
            yield []

    record = rec.handle_answer

    def handle_answer(project, change, events):     # the store fails for one change
        if change == poisoned:
            raise sqlite3.OperationalError("disk I/O error")
        record(project, change, events)

    rec.handle_answer = handle_answer
    with rec.store.transaction():
        for change in (1, 2):
            rec.store.ask("openstack/nova", change, "merged-patchset", NOW)
    return rec, Asker(rec, answers, clock=lambda: NOW, retry_first=60.0), queries


def test_an_answer_that_cannot_be_recorded_waits_its_backoff_and_the_rest_go_on():
    rec, asker, queries = _asker(poisoned=1)
    assert asker.ask_due() == 1
    assert len(queries) == 2, "the failed answer stopped the questions after it"
    left = rec.store.db.execute("SELECT change, attempts, due FROM questions").fetchall()
    assert left == [(1, 1, NOW + 60)], "the question was lost or not backed off"


def test_an_asker_whose_store_fails_does_not_query_in_a_loop(monkeypatch):
    rec, asker, queries = _asker(poisoned=1)

    def broken(*a):
        raise sqlite3.OperationalError("disk I/O error")
    monkeypatch.setattr(rec.store, "retry_later", broken)     # the backoff cannot be stored
    stopping = gevent.event.Event()
    worker = gevent.spawn(asker.run, stopping)
    gevent.sleep(0.3)
    stopping.set()
    worker.join(timeout=5)
    assert worker.dead
    assert len(queries) <= 2, f"{len(queries)} queries in 0.3 s: the asker looped"
