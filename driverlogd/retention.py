"""Reports older than `retention_days` leave the store, a small batch at a
time off the hot path: each batch is one short transaction under the
recorder's lock, and the stream's commits run between batches."""
import logging
import time

from driverlogd import yielding
from driverlogd.verdict.health import DEFAULT_WINDOW_VOTES, WINDOW_SECONDS
from driverlogd.verdict.state import DAY

log = logging.getLogger(__name__)
# A batch of 100 holds the recorder's lock for a few milliseconds (bench trial).
BATCH = 100
EVERY = 3600.0          # seconds between passes: reports age by the day


def cutoff(now: float, retention_days: float) -> int:
    """Reports older than this may go. Never inside the window health_30d
    reads, whatever the setting."""
    return int(now - max(retention_days * DAY, WINDOW_SECONDS))


def prune(recorder, retention_days: float, metrics=None, now=None, batch: int = BATCH,
          pause=yielding.pause) -> int:
    """One pass over the reports past the cutoff; returns how many went."""
    before = cutoff(time.time() if now is None else now, retention_days)
    store, total, cursor = recorder.store, 0, (-1, -1)
    while cursor is not None:
        with recorder.lock, store.transaction():
            n, cursor = store.prune_batch(before, DEFAULT_WINDOW_VOTES, batch, cursor)
        total += n
        if metrics is not None and n:
            metrics.reports_pruned.inc(n)
        pause()            # let the stream and the web have their turn
    if total:
        log.info("pruned %d CI report(s) older than %g days", total, retention_days)
    return total


def run(recorder, retention_days: float, stopping, metrics=None, every: float = EVERY):
    """Prune now and every `every` seconds until `stopping` is set."""
    while True:
        try:
            prune(recorder, retention_days, metrics)
        except Exception:
            log.exception("pruning old reports failed; trying again later")
        if stopping.wait(every):
            return
