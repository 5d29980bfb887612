"""A driver's CI health (pass and flip rates) from its recent votes. Pure."""
from typing import Iterable, Tuple

from driverlogd.verdict.state import DAY

DEFAULT_WINDOW_VOTES = 20
WINDOW_SECONDS = 30 * DAY


def _rates(results):
    n = len(results)
    if not n:
        return {"votes": 0, "pass_rate": None, "flip_rate": None}
    flips = sum(1 for a, b in zip(results, results[1:]) if a != b)
    return {"votes": n, "pass_rate": sum(results) / n,
            "flip_rate": flips / (n - 1) if n > 1 else 0.0}


def latest(votes: Iterable[Tuple[int, bool]], last_n: int = DEFAULT_WINDOW_VOTES) -> dict:
    """{"last_vote", "last_result", "last_n": rates} from (timestamp, passed)
    votes, any order; only the newest `last_n` matter, so callers may keep
    just those."""
    ordered = sorted(votes)
    return {
        "last_vote": ordered[-1][0] if ordered else None,
        "last_result": ordered[-1][1] if ordered else None,
        "last_n": _rates([p for _, p in ordered[-last_n:]]),
    }


def health(votes: Iterable[Tuple[int, bool]], now: float,
           last_n: int = DEFAULT_WINDOW_VOTES, window: float = WINDOW_SECONDS) -> dict:
    """Health from (timestamp, passed) votes, any order.

    Returns {"last_vote": ts|None, "last_result": bool|None,
             "last_n": {"votes", "pass_rate", "flip_rate"},
             "last_30d": {"votes", "pass_rate", "flip_rate"}}.
    Rates are 0..1 or None without votes; a flip is a result differing from
    the previous vote's (oldest to newest), flip_rate = flips / (votes - 1).
    """
    votes = sorted(votes)
    out = latest(votes, last_n)
    out["last_30d"] = _rates([p for t, p in votes if t >= now - window])
    return out
