"""The in-memory read model: verdicts and the newest votes per driver.

Reads keeps it in step with the store after each of the recorder's commits
and rebuilds it from the store at start and after a catalog reload, so reads for 10,000 drivers never touch SQLite.
Memory is bounded: per driver its verdicts (one per release) and its newest
`last_n` votes, whatever the vote rate; figures over a time window (30 days)
are the store's to answer. Pure data structure: no I/O.
"""
from array import array
from typing import Dict, List, Optional, Tuple

from driverlogd.catalog.model import DriverKey
from driverlogd.verdict.health import DEFAULT_WINDOW_VOTES, latest
from driverlogd.verdict.state import DEFAULT_STALE_AFTER, ci_state, current


class View:
    def __init__(self, stale_after: float = DEFAULT_STALE_AFTER,
                 last_n: int = DEFAULT_WINDOW_VOTES):
        self.stale_after = stale_after
        self.last_n = last_n
        # key -> release id -> verdict detail (see Reads.verdicts)
        self.verdicts: Dict[DriverKey, Dict[str, dict]] = {}
        # key -> [newest, comment id, code, comment id, code, ...] where code is
        # timestamp * 2 + passed, for the newest `last_n` votes: 16 bytes a vote,
        # where a dict of tuples took ~120 (20 MB at 10,000 drivers). Keyed by
        # comment so a replayed vote replaces itself. `newest` is the highest
        # code ever added (ordered as (timestamp, passed)): states() asks for it
        # for every driver every few seconds, so it is kept, not searched; in
        # the array, not a tuple of its own (~100 bytes a driver).
        self._recent: Dict[DriverKey, array] = {}

    def set_verdict(self, key: DriverKey, release: str, verdict: Optional[dict]):
        if verdict is None:
            self.verdicts.get(key, {}).pop(release, None)
        else:
            self.verdicts.setdefault(key, {})[release] = verdict

    def add_vote(self, key: DriverKey, comment_id: int, ts: int, passed: bool):
        code = int(ts) * 2 + bool(passed)     # ordered as (ts, passed)
        votes = self._recent.get(key)
        if votes is None:
            votes = self._recent[key] = array("q", (code,))
        elif code > votes[0]:
            votes[0] = code
        try:       # the comment ids are every other item from 1: searched in C
            i = votes[1::2].index(comment_id) * 2 + 1
        except ValueError:
            votes.extend((comment_id, code))
        else:
            votes[i + 1] = code
            return
        if len(votes) > 1 + 2 * self.last_n:
            # One over: drop the oldest (a late, old vote may be that one), the
            # first of equals as they came.
            oldest = min(range(2, len(votes), 2), key=votes.__getitem__)
            del votes[oldest - 1:oldest + 1]

    def _newest(self, key: DriverKey) -> Optional[Tuple[int, bool]]:
        votes = self._recent.get(key)
        return (votes[0] >> 1, bool(votes[0] & 1)) if votes else None

    def current(self, key: DriverKey) -> Optional[bool]:
        """Result of the newest verdict; before any, of the newest vote."""
        return current(self.verdicts.get(key, {}).values(), self._newest(key))

    def last_vote(self, key: DriverKey) -> Optional[int]:
        votes = self._recent.get(key)
        return votes[0] >> 1 if votes else None

    def state(self, key: DriverKey, has_ci: bool, now: float) -> str:
        return ci_state(has_ci, self.last_vote(key), self.current(key), now, self.stale_after)

    def recent(self, key: DriverKey) -> List[Tuple[int, bool]]:
        """(timestamp, passed) of the newest `last_n` votes, as they came."""
        votes = self._recent.get(key, ())
        return [(votes[i] >> 1, bool(votes[i] & 1)) for i in range(2, len(votes), 2)]

    def health(self, key: DriverKey) -> dict:
        """Last vote and the rates over the newest `last_n` votes."""
        return latest(self.recent(key), self.last_n)
