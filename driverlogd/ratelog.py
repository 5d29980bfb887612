"""A log line that cannot flood the log: what peers send is theirs to repeat.

A bad stream line, a future-stamped event or a broken HTTP request is
counted every time (metrics) but logged at most once per `every` seconds;
the next line says how many were held back, so a burst is one line.
"""
import logging
import time


class RateLimitedLog:
    def __init__(self, logger: logging.Logger, level: int = logging.WARNING,
                 every: float = 60.0, clock=time.monotonic):
        self.logger, self.level, self.every, self.clock = logger, level, every, clock
        self._last = None
        self._held = 0

    def __call__(self, msg: str, *args) -> bool:
        """Log `msg % args` unless a line went out less than `every` s ago;
        True when it was logged."""
        now = self.clock()
        if self._last is not None and now - self._last < self.every:
            self._held += 1
            return False
        if self._held:
            msg += " (%d more like it since the last such line)"
            args += (self._held,)
        self._last, self._held = now, 0
        self.logger.log(self.level, msg, *args)
        return True


def printable(text, limit: int = 200) -> str:
    """Peer text made safe for one log line: no newlines, NULs, control or
    unpaired surrogate characters (a log handler must never choke on them)."""
    return ascii(str(text)[:limit])[1:-1]
