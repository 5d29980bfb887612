"""WAL checkpoints off the writer's path.

In WAL mode every commit appends to the log, and SQLite's automatic
checkpoint (copying the log back into the database file, then fsyncing it)
runs inside whichever COMMIT crosses the threshold. Under a stream burst that
was half of each commit's time, with the writer (and so the whole gevent hub)
waiting. Here a thread of its own, on a connection of its own, checkpoints
after commits instead: SQLite lets the writer go on appending meanwhile
(PASSIVE), and the log is rewound once all of it is copied. The writer's
automatic checkpoint stays, at a larger threshold, as a backstop should this
thread fall behind.

It is a real OS thread even under gevent's monkey patching (the original
`_thread`): the sqlite3 module releases the GIL while SQLite works, so the
copying and fsync run beside the writer, not in its turn.
"""
import logging
import sqlite3

from gevent.monkey import get_original

log = logging.getLogger(__name__)

_start_thread, _allocate_lock = get_original("_thread", ["start_new_thread", "allocate_lock"])
_sleep = get_original("time", "sleep")

# The writer's own checkpoint threshold (pages; SQLite's default is 1,000):
# reached only when this thread cannot keep up.
BACKSTOP_PAGES = 8000


class Checkpointer:
    """`nudge()` after a commit; at most one checkpoint per `min_interval` s."""

    def __init__(self, path: str, min_interval: float = 0.05):
        self.path = path
        self.min_interval = min_interval
        self.checkpoints = 0
        self.failures = 0
        self._wake = _allocate_lock()
        self._wake.acquire()          # held: nothing to do
        self._stopping = False
        self._done = _allocate_lock()
        self._done.acquire()          # released when the thread ends
        self._started = False

    def nudge(self) -> None:
        """Something was committed. Cheap: called by the writer after each COMMIT."""
        if not self._started:
            self._started = True
            _start_thread(self._run, ())
        self._wake_up()

    def close(self, timeout: float = 10.0) -> None:
        """Stop the thread (after the checkpoint it may be in); again: nothing."""
        if not self._started or self._stopping:
            return
        self._stopping = True
        self._wake_up()
        self._done.acquire(timeout=timeout)

    def _wake_up(self):
        if self._wake.locked():
            try:
                self._wake.release()
            except RuntimeError:      # released meanwhile by the other of nudge/close
                pass

    def _run(self):
        db = None
        try:
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            # A checkpoint copies frames file to file: no page cache to speak
            # of (the default would grow to 2 MB of the daemon's memory).
            db.execute("PRAGMA cache_size=-64")
            while True:
                self._wake.acquire()
                if self._stopping:
                    return
                try:
                    self._checkpoint(db)
                except sqlite3.OperationalError as e:    # busy, I/O: the next one may do
                    self.failures += 1
                    if self.failures == 1:
                        log.warning("a background WAL checkpoint failed (the next "
                                    "commit tries again): %s", e)
                _sleep(self.min_interval)
        except sqlite3.Error as e:
            # The writer's backstop checkpoints from now on: slower, never wrong.
            log.warning("background WAL checkpoints stopped: %s", e)
        finally:
            if db is not None:
                db.close()
            self._done.release()

    def _checkpoint(self, db):
        # PASSIVE: copies what no reader still needs; never waits, never blocks
        # the writer. A busy result (the writer's backstop running) is retried
        # at the next nudge.
        db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        self.checkpoints += 1
