"""What a driver's CI mark says, and when proof turns silent. Pure."""
from typing import Optional

DAY = 86400
DEFAULT_STALE_AFTER = 30 * DAY

STATES = ("passing", "failing", "silent", "unseen", "none")


def silent_after(last: float, stale_after: float = DEFAULT_STALE_AFTER) -> float:
    """The moment proof dated `last` turns silent: old proof is no proof."""
    return last + stale_after


def is_silent(last: float, now: float, stale_after: float = DEFAULT_STALE_AFTER) -> bool:
    """Whether proof dated `last` (a vote, a verdict) is silent at `now`."""
    return now > silent_after(last, stale_after)


def ci_state(has_ci: bool, last_vote: Optional[int], current: Optional[bool],
             now: float, stale_after: float = DEFAULT_STALE_AFTER) -> str:
    """One of STATES.

    - none: the driver declares no CI
    - unseen: CI declared, no vote ever recorded
    - silent: the newest vote is older than `stale_after` seconds
    - passing / failing: `current`, the result of the newest verdict (merged
      code) or, before any verdict exists, of the newest vote.
    """
    if not has_ci:
        return "none"
    if last_vote is None:
        return "unseen"
    if is_silent(last_vote, now, stale_after):
        return "silent"
    return "passing" if current else "failing"


def cell_state(verdict: dict, now: float, stale_after: float = DEFAULT_STALE_AFTER) -> dict:
    """A release's verdict as shown: marked `"state": "silent"` once it is
    older than `stale_after`, like the driver's mark."""
    if is_silent(verdict["timestamp"], now, stale_after):
        return dict(verdict, state="silent")
    return verdict
