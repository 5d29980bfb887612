"""The in-memory read model: verdicts and recent votes per driver.

The recorder keeps it in step with the store after each commit and rebuilds
it from the store at start, so reads for 10,000 drivers never touch SQLite.
Pure data structure: no I/O, time is passed in.
"""
from typing import Dict, Optional, Tuple

from driverlogd.verdict.health import (
    DEFAULT_STALE_AFTER,
    DEFAULT_WINDOW_VOTES,
    WINDOW_SECONDS,
    ci_state,
    health,
)

DriverKey = Tuple[str, str, str]


class View:
    def __init__(self, stale_after: float = DEFAULT_STALE_AFTER,
                 last_n: int = DEFAULT_WINDOW_VOTES, window: float = WINDOW_SECONDS):
        self.stale_after = stale_after
        self.last_n = last_n
        self.window = window
        # key -> release id -> verdict detail (see Recorder.verdicts)
        self.verdicts: Dict[DriverKey, Dict[str, dict]] = {}
        # key -> comment id -> (timestamp, passed); the last `last_n` votes and
        # those within `window`, plus some slack trimmed now and then.
        self._recent: Dict[DriverKey, Dict[int, Tuple[int, bool]]] = {}
        self._trim_at: Dict[DriverKey, int] = {}
        # key -> the max of its votes' (timestamp, passed): states() asks for it
        # for every driver every few seconds, so it is kept, not searched.
        self._newest: Dict[DriverKey, Tuple[int, bool]] = {}

    def set_verdict(self, key: DriverKey, release: str, verdict: Optional[dict]):
        if verdict is None:
            self.verdicts.get(key, {}).pop(release, None)
        else:
            self.verdicts.setdefault(key, {})[release] = verdict

    def add_vote(self, key: DriverKey, comment_id: int, ts: int, passed: bool, now: float):
        votes = self._recent.setdefault(key, {})
        votes[comment_id] = (ts, passed)
        newest = self._newest.get(key)
        if newest is None or (ts, passed) > newest:
            self._newest[key] = (ts, passed)
        if len(votes) > self._trim_at.get(key, 2 * self.last_n):
            self._trim(key, now)

    def _trim(self, key, now):
        votes = self._recent[key]
        newest_first = sorted(votes.items(), key=lambda kv: kv[1], reverse=True)
        keep = {cid: v for i, (cid, v) in enumerate(newest_first)
                if i < self.last_n or v[0] >= now - self.window}
        self._recent[key] = keep
        # Amortised: trim again only once the kept set has doubled.
        self._trim_at[key] = max(2 * self.last_n, 2 * len(keep))

    def drop(self, key: DriverKey):
        self.verdicts.pop(key, None)
        self._recent.pop(key, None)
        self._trim_at.pop(key, None)
        self._newest.pop(key, None)

    def current(self, key: DriverKey) -> Optional[bool]:
        """Result of the newest verdict; before any, of the newest vote."""
        verdicts = self.verdicts.get(key)
        if verdicts:
            return max(verdicts.values(), key=lambda v: v["timestamp"])["result"]
        newest = self._newest.get(key)
        return newest[1] if newest else None

    def last_vote(self, key: DriverKey) -> Optional[int]:
        newest = self._newest.get(key)
        return newest[0] if newest else None

    def state(self, key: DriverKey, has_ci: bool, now: float) -> str:
        return ci_state(has_ci, self.last_vote(key), self.current(key), now, self.stale_after)

    def health(self, key: DriverKey, now: float) -> dict:
        return health(self._recent.get(key, {}).values(), now, self.last_n, self.window)
