"""The asker sleeps up to IDLE (minutes) when nothing is queued; a stop must
not wait that out, or every daemon's SIGTERM waits for its watchdog kill."""
import gevent
import gevent.event

from driverlogd.asker import IDLE, Asker
from driverlogd.recorder import Recorder
from driverlogd.store.db import Store
from tests.verdict_support import catalog


def test_a_stop_wakes_an_idle_asker():
    rec = Recorder(Store(":memory:"), catalog())
    asker = Asker(rec, lambda queries: iter(()))
    stopping = gevent.event.Event()
    worker = gevent.spawn(asker.run, stopping)
    gevent.sleep(0.05)                   # it has looked, found nothing, and sleeps
    assert not worker.dead
    stopping.set()
    worker.join(timeout=IDLE / 10)
    assert worker.dead, "the asker slept on after the stop"
