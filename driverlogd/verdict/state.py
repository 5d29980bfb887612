"""What a driver's CI mark says, and when proof turns silent. Pure."""
from typing import Iterable, Optional, Tuple

DAY = 86400
DEFAULT_STALE_AFTER = 30 * DAY

STATES = ("passing", "failing", "silent", "unseen", "none")


def silent_after(last: float, stale_after: float = DEFAULT_STALE_AFTER) -> float:
    """The moment proof dated `last` turns silent: old proof is no proof."""
    return last + stale_after


def is_silent(last: float, now: float, stale_after: float = DEFAULT_STALE_AFTER) -> bool:
    """Whether proof dated `last` (a vote, a verdict) is silent at `now`."""
    return now > silent_after(last, stale_after)


def current(verdicts: Iterable[dict], newest_vote: Optional[Tuple[int, bool]]) -> Optional[bool]:
    """The result a driver's mark shows: its newest verdict's (merged code),
    or before any verdict its newest vote's ((timestamp, passed)).

    Reports are stamped in whole seconds, so verdicts of two releases can tie:
    the tie goes as promotion.newest_first orders reports (the higher change,
    then patch set), never by the order they were recorded in, so two replicas
    show the same mark."""
    best = max(((v["timestamp"], v["change"], v["patchset"], bool(v["result"]))
                for v in verdicts), default=None)
    if best is not None:
        return best[3]
    return newest_vote[1] if newest_vote else None


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
