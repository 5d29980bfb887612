"""The read queries over what the recorder committed: per driver its
verdicts, CI state, health and votes. Served from memory (view.py) except
figures over a time window and vote history, which the store answers."""
import threading
import time
from typing import Callable, Dict, List, Optional

from driverlogd.catalog.model import DriverKey
from driverlogd.readside.view import View
from driverlogd.verdict.health import WINDOW_SECONDS, health
from driverlogd.verdict.state import DEFAULT_STALE_AFTER


class Reads:
    def __init__(self, store, lock: threading.RLock, stale_after: float = DEFAULT_STALE_AFTER,
                 clock: Callable[[], float] = time.time):
        self.store = store
        self.lock = lock                 # the recorder's: a read sees whole commits
        self.stale_after = stale_after
        self.clock = clock
        self.catalog = None
        self.view = View(stale_after)

    # -- kept in step by the recorder -------------------------------------------

    def rebuild(self, catalog, keys: Dict[int, DriverKey]):
        """The view afresh from the store (at start, after a catalog reload)."""
        view = View(self.stale_after)
        for did, release, verdict in self.store.verdict_rows():
            view.set_verdict(keys[did], release, verdict)
        for did, cid, ts, passed in self.store.last_votes(view.last_n):
            view.add_vote(keys[did], cid, ts, bool(passed))
        self.catalog, self.view = catalog, view

    def apply(self, updates):
        """A commit's effects: ("vote", key, comment id, ts, passed) and
        ("verdict", key, release, detail or None, changed)."""
        for u in updates:
            if u[0] == "vote":
                self.view.add_vote(u[1], u[2], u[3], u[4])
            else:
                self.view.set_verdict(u[1], u[2], u[3])

    # -- queries -----------------------------------------------------------------

    def verdicts(self, key: DriverKey) -> Dict[str, dict]:
        """Per release id: {"result": bool, "review_url": str, "comment": str
        (the matched line), "timestamp": int (epoch s), "change": int,
        "patchset": int, "branch": str, "release": str}. Empty when none."""
        with self.lock:
            return dict(self.view.verdicts.get(key, {}))

    def status(self, key: DriverKey, now: Optional[float] = None) -> dict:
        """{"state": one of verdict.state.STATES,
        "health": {"last_vote": ts|None, "last_result": bool|None,
                   "last_n": {"votes": int, "pass_rate": float|None,
                              "flip_rate": float|None}},
        "verdicts": as verdicts(key)}. KeyError for a driver not in the catalog."""
        driver = self.catalog.by_key[key]
        now = self.clock() if now is None else now
        with self.lock:
            return {"state": self.view.state(key, driver.ci is not None, now),
                    "health": self.view.health(key),
                    "verdicts": dict(self.view.verdicts.get(key, {}))}

    def states(self, now: Optional[float] = None) -> Dict[DriverKey, str]:
        """CI state of every catalog driver."""
        now = self.clock() if now is None else now
        with self.lock:
            return {d.key: self.view.state(d.key, d.ci is not None, now)
                    for d in self.catalog.drivers}

    def look(self, now: float, keys=None) -> List[tuple]:
        """(key, state, {release: verdict detail} or None, last vote time or
        None) of every catalog driver, or of those of `keys`: what the live
        model's diff compares, read in one hold of the lock (thousands of
        drivers a tick under a burst, where each took it three times). The
        verdicts are the view's own mapping, which is replaced, never changed,
        when a verdict changes: read-only, and the same object while unchanged."""
        with self.lock:
            view, by_key = self.view, self.catalog.by_key
            drivers = self.catalog.drivers if keys is None else \
                [by_key[k] for k in keys if k in by_key]
            return [(d.key, view.state(d.key, d.ci is not None, now),
                     view.verdicts.get(d.key) or None, view.last_vote(d.key))
                    for d in drivers]

    def last_vote(self, key: DriverKey) -> Optional[int]:
        with self.lock:
            return self.view.last_vote(key)

    def health(self, key: DriverKey, now: Optional[float] = None) -> dict:
        """status()'s health plus "last_30d": {same} over the votes of the last
        30 days, read from the store (one indexed query), as the view keeps
        only the newest votes."""
        now = self.clock() if now is None else now
        with self.lock:
            did = self.store.find_driver_id(key)
            votes = [] if did is None else self.store.health_votes(
                did, int(now - WINDOW_SECONDS), self.view.last_n)
        return health([(ts, bool(p)) for ts, p in votes], now, self.view.last_n)

    def votes(self, key: DriverKey, limit: int = 50) -> List[dict]:
        """A driver's votes, newest first, shaped as verdicts() values
        ("release" None for branches that are history only)."""
        with self.lock:
            did = self.store.find_driver_id(key)
            return [] if did is None else self.store.votes(did, limit)

    def reports(self, author: str, project: Optional[str], limit: int) -> List[dict]:
        """An account's newest `limit` stored reports (on `project`, or on all
        when None), newest first (Store.recent_reports)."""
        with self.lock:
            return self.store.recent_reports(author, project, limit)
