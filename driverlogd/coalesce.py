"""Work a burst of changes asks for, done at most once per `min_interval`.

A change marks the work dirty (cheap: called after each of the recorder's
commits); a writer thread (a greenlet under gevent's monkey patching) does it
at once after a quiet spell, then, while the burst lasts, at most once per
`min_interval` (start to start; work that takes longer waits `rest` times as
long again), and `close()` does whatever is still pending, so the final
state is never lost. The export and the static publication both work this way.
"""
import threading
import time


class Coalescer:
    name = "coalesce"
    rest = 1.0      # after work slower than min_interval, wait this many times as long

    def __init__(self, recorder, min_interval: float = 1.0):
        self.recorder = recorder
        self.min_interval = min_interval
        self.writes = 0
        self._dirty = True            # the first write reflects the start state
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._write_lock = threading.Lock()
        self._thread = None
        recorder.add_listener(self.notify)

    def write(self) -> bool:
        """Do the work; False when it failed (it is then tried again)."""
        raise NotImplementedError

    def notify(self, keys=None):
        """Something changed: do the work soon."""
        self._dirty = True
        self._wake.set()

    def flush(self) -> bool:
        """Do the work now if anything changed since it was last done."""
        with self._write_lock:
            if not self._dirty:
                return False
            self._dirty = False
            if not self.write():
                self._dirty = True
                return False
            self.writes += 1
            return True

    def start(self):
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()
        self._wake.set()

    def _run(self):
        while not self._stop.is_set():
            self._wake.wait()
            self._wake.clear()
            started = time.monotonic()
            self.flush()
            took = time.monotonic() - started
            # Starts min_interval apart; work slower than that (a loaded
            # machine) waits REST times as long as it took, so it never takes
            # more than its share of the time from the stream. close() cuts
            # the wait short.
            self._stop.wait(self.min_interval - took if took < self.min_interval
                            else took * self.rest)

    def close(self):
        """Stop the writer and do the final work."""
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=30)
        self.flush()
