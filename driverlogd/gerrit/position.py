"""How far the stream position may move, as pure arithmetic.

The position is where the next catch-up starts. It moves forward only to
what was seen, and never past now plus the clock skew we allow Gerrit: a
Gerrit with a wrong clock (or one forged line) must not push the catch-up
into the future, where it would miss every report posted while the stream
was down. Events stamped later are still recorded; only the position holds.
"""
from typing import Optional

DEFAULT_MAX_CLOCK_SKEW = 300     # seconds: NTP-less hosts drift, not by hours
# 9999-12-31T23:59:59Z, the latest instant Python's datetime and a browser's
# Date can show: a stamp past it is no date at all (the parser refuses it).
MAX_TIMESTAMP = 253402300799


def limit(now: float, skew: float = DEFAULT_MAX_CLOCK_SKEW) -> int:
    """The furthest the position may go at `now`."""
    return int(now + skew)


def is_future(created_on: int, now: float, skew: float = DEFAULT_MAX_CLOCK_SKEW) -> bool:
    return created_on > limit(now, skew)


def clamp(position: Optional[int], now: float,
          skew: float = DEFAULT_MAX_CLOCK_SKEW) -> Optional[int]:
    """`position`, or now + skew where it lies beyond; None stays None."""
    if position is None:
        return None
    return min(int(position), limit(now, skew))


def catchup_start(position: int, now: float, overlap: float,
                  skew: float = DEFAULT_MAX_CLOCK_SKEW) -> int:
    """Where a catch-up from `position` starts: never after our own now (a
    position held at now + skew is still ahead of a right Gerrit clock), and
    back by the overlap, or by the skew where that is larger, so nothing
    posted while the stream was down falls before it."""
    return max(0, min(int(position), int(now)) - int(max(overlap, skew)))


def at_start(stored: Optional[int], now: float, skew: float, log) -> Optional[int]:
    """A stored position as the catch-up may use it, saying so when it was in the future."""
    held = clamp(stored, now, skew)
    if held != stored:
        log.warning("the stored stream position %s is %d s in the future (allowed clock "
                    "skew: %g s); catching up from %s instead", stored, stored - int(now),
                    skew, held)
    return held
