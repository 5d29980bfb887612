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
        # key -> release id -> verdict detail (see Reads.verdicts); replaced,
        # never changed in place (set_verdict)
        self.verdicts: Dict[DriverKey, Dict[str, dict]] = {}
        # The newest `last_n` votes of every driver, in one array of 8-byte
        # ints: a slot of 2 + 2 * last_n per driver that has votes (`_slots`:
        # key -> its offset), [newest, n, comment id, code, ...] where code is
        # timestamp * 2 + passed and the n pairs are in the order they came.
        # 16 bytes a vote, where a dict of tuples took ~120 (20 MB at 10,000
        # drivers). Keyed by comment so a replayed vote replaces itself.
        # `newest` is the highest code ever added (ordered as (timestamp,
        # passed)): states() asks for it for every driver every few seconds, so
        # it is kept, not searched. One array, not one per driver: a driver's
        # own array grew through a dozen block sizes as its votes came, and
        # the blocks it left behind stayed as free, unreturnable memory between
        # others (with 64 bytes a header: ~2 MB at 10,000 drivers); this one
        # grows in place, and is the C heap's, not the object allocator's.
        self._slot_size = 2 + 2 * last_n
        self._blank = array("q", bytes(8 * self._slot_size))
        self._slots: Dict[DriverKey, int] = {}
        self._votes = array("q")

    def set_verdict(self, key: DriverKey, release: str, verdict: Optional[dict]):
        # A new mapping per change, never one changed in place: whoever kept
        # the old one (the live model's diff) knows by identity that nothing
        # changed, for the thousands of drivers a burst only gave votes.
        old = self.verdicts.get(key)
        if verdict is None:
            if old and release in old:
                self.verdicts[key] = {r: v for r, v in old.items() if r != release}
        else:
            self.verdicts[key] = {**old, release: verdict} if old else {release: verdict}

    def add_vote(self, key: DriverKey, comment_id: int, ts: int, passed: bool):
        code = int(ts) * 2 + bool(passed)     # ordered as (ts, passed)
        votes = self._votes
        at = self._slots.get(key)
        if at is None:
            at = self._slots[key] = len(votes)
            votes.extend(self._blank)
            votes[at] = code
        elif code > votes[at]:
            votes[at] = code
        n, first = votes[at + 1], at + 2
        end = first + 2 * n
        try:       # the comment ids are every other item: searched in C
            i = first + 2 * votes[first:end:2].index(comment_id)
        except ValueError:
            pass
        else:
            votes[i + 1] = code
            return
        if n < self.last_n:
            votes[end], votes[end + 1] = comment_id, code
            votes[at + 1] = n + 1
            return
        # Full: of these and the new vote, the oldest goes (the new one, if a
        # late, old vote; else the first of equals as they came).
        codes = votes[first + 1:end:2]
        oldest = min(codes)
        if code < oldest:
            return
        i = first + 2 * codes.index(oldest)
        votes[i:end - 2] = votes[i + 2:end]
        votes[end - 2], votes[end - 1] = comment_id, code

    def _newest(self, key: DriverKey) -> Optional[Tuple[int, bool]]:
        at = self._slots.get(key)
        return None if at is None else (self._votes[at] >> 1, bool(self._votes[at] & 1))

    def current(self, key: DriverKey) -> Optional[bool]:
        """Result of the newest verdict; before any, of the newest vote."""
        return current(self.verdicts.get(key, {}).values(), self._newest(key))

    def last_vote(self, key: DriverKey) -> Optional[int]:
        at = self._slots.get(key)
        return None if at is None else self._votes[at] >> 1

    def state(self, key: DriverKey, has_ci: bool, now: float) -> str:
        return ci_state(has_ci, self.last_vote(key), self.current(key), now, self.stale_after)

    def recent(self, key: DriverKey) -> List[Tuple[int, bool]]:
        """(timestamp, passed) of the newest `last_n` votes, as they came."""
        at = self._slots.get(key)
        if at is None:
            return []
        votes, first = self._votes, at + 2
        return [(code >> 1, bool(code & 1))
                for code in votes[first + 1:first + 2 * votes[at + 1]:2]]

    def health(self, key: DriverKey) -> dict:
        """Last vote and the rates over the newest `last_n` votes."""
        return latest(self.recent(key), self.last_n)
