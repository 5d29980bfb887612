"""The edge between events and the store: apply the verdict rules to one
event against the current catalog and commit its effects, with the stream
position, in one transaction. Also the read model the HTTP API serves.

It is the sink the Gerrit stream client calls (`handle`, `position`), one
event at a time. Errors of the store (disk full, I/O) propagate: the caller
must not count such an event as processed.
"""
import dataclasses
import logging
import os
import threading
import time
from typing import Callable, Dict, List, Optional, Tuple

from driverlogd.gerrit import position as stream_position
from driverlogd.gerrit.events import ChangeMerged, CommentAdded
from driverlogd.verdict import (
    DEFAULT_STALE_AFTER,
    STATES,
    WINDOW_SECONDS,
    ci_groups,
    driver_signature,
    health,
    releases_signature,
    report_patchset,
    votes_for,
)
from driverlogd.verdict.view import View

DriverKey = Tuple[str, str, str]
log = logging.getLogger(__name__)


DB_NAME = "driverlog.sqlite3"


def open_recorder(state_dir: str, catalog, metrics=None,
                  stale_after: float = DEFAULT_STALE_AFTER, synchronous: str = "FULL"):
    """The recorder over `<state_dir>/driverlog.sqlite3` (created when absent)."""
    from driverlogd.store import Store
    return Recorder(Store(os.path.join(state_dir, DB_NAME), synchronous), catalog,
                    metrics=metrics, stale_after=stale_after)


def _text(*values):
    return tuple(v.encode("utf-8", "replace").decode("utf-8") for v in values)


_LIMIT = 2 ** 62      # numbers SQLite stores as they are


class Recorder:
    def __init__(self, store, catalog, metrics=None, stale_after: float = DEFAULT_STALE_AFTER,
                 clock: Callable[[], float] = time.time, position_every: int = 60,
                 max_clock_skew: float = stream_position.DEFAULT_MAX_CLOCK_SKEW):
        """`position_every`: events no driver cares about write nothing, except
        the stream position once it lags that many seconds (event time).
        `max_clock_skew`: the position never goes past now plus this."""
        self.store = store
        self.metrics = metrics
        self.clock = clock
        self.stale_after = stale_after
        self.position_every = position_every
        self.lock = threading.RLock()      # readers (export thread) vs. writer
        self._listeners: List[Callable[[], None]] = []
        self.max_clock_skew = max_clock_skew
        self._position = stream_position.at_start(store.position(), clock(), max_clock_skew, log)
        # labels() costs more than inc(): look the two children up once.
        self._votes_counter = {True: metrics.votes.labels("pass"),
                               False: metrics.votes.labels("fail")} if metrics else {}
        self._install(catalog)
        with store.transaction():
            self._reconcile()
        self._rebuild_view()

    # -- the sink protocol -------------------------------------------------

    def position(self) -> Optional[int]:
        """The newest eventCreatedOn durably applied; None on an empty store."""
        return self._position

    def handle(self, event) -> None:
        """Apply one CommentAdded / ChangeMerged; returns once committed.

        Anything else (DroppedOutput, None) is ignored: the position must not
        move past a gap the stream client has yet to fill.
        """
        self.handle_batch((event,))

    def mark_position(self, created_on: int) -> None:
        """Record that nothing before `created_on` is missing (a bootstrap that
        found no events), so the stream's catch-up starts there."""
        created_on = stream_position.clamp(created_on, self.clock(), self.max_clock_skew)
        with self.lock, self.store.transaction():
            self.store.advance_position(created_on)
        self._position = created_on if self._position is None else max(self._position, created_on)

    def handle_batch(self, events) -> None:
        """Apply several events in one transaction (bootstrap, catch-up)."""
        events = [c for c in map(self._clean, events) if c is not None]
        if not events:
            return
        newest = stream_position.clamp(max(e.created_on for e in events), self.clock(),
                                       self.max_clock_skew)
        relevant = [e for e in events if self._relevant(e)]
        if not relevant:
            if self._position is None or newest - self._position >= self.position_every:
                with self.store.transaction():
                    self.store.advance_position(newest)
                self._after_commit([], newest)
            return
        started = time.perf_counter()
        updates: list = []
        with self.lock:
            with self.store.transaction():
                for event in relevant:
                    if isinstance(event, CommentAdded):
                        self._comment(event, updates)
                    else:
                        self._merged(event, updates)
                self.store.advance_position(newest)
            self._after_commit(updates, newest)
        if self.metrics:
            self.metrics.store_write.observe(time.perf_counter() - started)

    def _clean(self, e):
        """The event as SQLite can store it, or None (with a log line and a
        count) for numbers no Gerrit sends; text that is not valid Unicode
        (lone surrogates from JSON escapes) gets '?' marks."""
        if not isinstance(e, (CommentAdded, ChangeMerged)):
            return None
        n = report_patchset(e.comment) if isinstance(e, CommentAdded) else 0
        if not (0 <= e.change.number < _LIMIT and 0 <= e.patchset < _LIMIT
                and 0 <= e.created_on < _LIMIT and 0 <= (n or 0) < _LIMIT):
            log.warning("skipped %s event on change %s: number out of range", e.type,
                        str(e.change.number)[:30])
            if self.metrics:
                self.metrics.bad_events.labels("malformed").inc()
            return None
        ch = e.change
        # ASCII (nearly every Gerrit string) is valid Unicode as it is.
        if not (ch.project.isascii() and ch.branch.isascii() and ch.url.isascii()):
            fixed = _text(ch.project, ch.branch, ch.url)
            if fixed != (ch.project, ch.branch, ch.url):
                e = dataclasses.replace(e, change=dataclasses.replace(
                    ch, project=fixed[0], branch=fixed[1], url=fixed[2]))
        if isinstance(e, CommentAdded) and not (e.comment.isascii() and e.author.isascii()):
            fixed = _text(e.comment, e.author)
            if fixed != (e.comment, e.author):
                e = dataclasses.replace(e, comment=fixed[0], author=fixed[1])
        return e

    def relevant(self, e) -> bool:
        """Whether recording `e` could change anything: a CI report by an account
        of the catalog on its repo, or a merge in such a repo. The stream's
        catch-up holds only these."""
        return isinstance(e, (CommentAdded, ChangeMerged)) and self._relevant(e)

    def _relevant(self, e) -> bool:
        if isinstance(e, CommentAdded):
            return (e.author, e.change.project) in self._groups and \
                report_patchset(e.comment) is not None
        return e.change.project in self._repos

    def _comment(self, e: CommentAdded, updates: list):
        ch = e.change
        ps = report_patchset(e.comment)
        cid, ts, changed, new = self.store.put_comment(ch.project, ch.number, ps, e.author,
                                                       ch.branch, ch.url, e.created_on, e.comment)
        gained = set()     # (driver id, release) with a vote on this change new or newer
        lost = set()       # ... whose vote may have left it: read all its votes again
        if changed:
            for v in votes_for(self._groups[(e.author, ch.project)], e.comment, ch.branch,
                               ts, self.catalog):
                did = self._driver_id(v.driver)
                before = self.store.put_vote(did, cid, v.release, v.passed, v.line, ts,
                                             fresh=new)
                if v.release:
                    gained.add((did, v.release))
                if before:
                    lost.add((did, before))
                updates.append(("vote", v.driver, cid, ts, v.passed))
        # The change was already merged when the CI reported: that patch set
        # (or a newer one) is the merged one, until change-merged says which.
        if ch.status == "MERGED":
            self._note_merge(ch, gained, lost, hint=e.patchset)
        elif (gained or lost) and self.store.merged_patchset(ch.project, ch.number) is None:
            # No patch set of this change merged (yet): its votes are no
            # verdict, so none of these verdicts can differ.
            return
        self._refresh(lost, updates)
        self._refresh(gained - lost, updates, among=(ch.project, ch.number))

    def _merged(self, e: ChangeMerged, updates: list):
        ch = e.change
        gained, lost = set(), set()
        self._note_merge(ch, gained, lost, patchset=e.patchset)
        self._refresh(lost, updates)
        self._refresh(gained - lost, updates, among=(ch.project, ch.number))

    def _note_merge(self, ch, gained, lost, **known):
        """Votes on a newly merged change can only gain verdicts; when the
        merged patch set moved (hint -> change-merged's), some may lose one."""
        before, after = self.store.note_merge(ch.project, ch.number, **known)
        if before != after:
            pairs = self.store.pairs_on_change(ch.project, ch.number)
            (gained if before is None else lost).update(pairs)

    def _refresh(self, pairs, updates, among=None):
        """Re-check verdicts: from all the votes, or (`among`: a (project,
        change) whose votes only gained) from the stored verdict and that change's."""
        for did, release in pairs:
            changed, verdict = self.store.refresh_verdict(did, release) if among is None \
                else self.store.offer_verdict(did, release, *among)
            # Unchanged still goes to the view: a replay may have moved the
            # same report's time later.
            updates.append(("verdict", self._keys[did], release, verdict, changed))

    def _after_commit(self, updates, newest):
        """Only once committed does the read model see the effects."""
        self._position = newest if self._position is None else max(self._position, newest)
        for u in updates:
            if u[0] == "vote":
                self.view.add_vote(u[1], u[2], u[3], u[4])
                if self.metrics:
                    self._votes_counter[bool(u[4])].inc()
            else:
                self.view.set_verdict(u[1], u[2], u[3])
                if self.metrics and u[4]:
                    self.metrics.verdict_changes.inc()
        if updates:
            self._notify({u[1] for u in updates})

    # -- catalog (re)load ----------------------------------------------------

    def set_catalog(self, catalog) -> List[Tuple[str, str]]:
        """Switch to a new catalog (SIGHUP), re-deriving the votes and verdicts
        of drivers whose CI account, repo or patterns changed (all of them when
        releases changed) from the stored reports; history is kept.

        Returns the (ci_id, repo) pairs new to this catalog, whose earlier
        reports the store never kept: the caller may bootstrap them.
        """
        with self.lock:
            old = set(self._groups)
            self._install(catalog)
            with self.store.transaction():
                self._reconcile()
            self._rebuild_view()
        self._notify()
        return sorted(set(self._groups) - old)

    def _install(self, catalog):
        self.catalog = catalog
        self._groups = ci_groups(catalog)
        self._repos = {repo for _, repo in self._groups}

    def _driver_id(self, key: DriverKey) -> int:
        did = self.store.driver_id(key)
        self._keys[did] = key
        return did

    def _reconcile(self):
        self._keys: Dict[int, DriverKey] = self.store.driver_keys()
        stored = self.store.signatures()
        remap = self.store.meta("releases") != releases_signature(self.catalog)
        redo: Dict[Tuple[str, str], list] = {}
        for d in self.catalog.drivers:
            sig = driver_signature(d)
            if stored.get(d.key) != sig or (remap and sig):
                did = self._driver_id(d.key)
                self.store.drop_votes(did)
                self.store.set_signature(did, sig)
                if sig:
                    redo.setdefault((d.ci.id, d.ci_repo), []).append(d)
        for key, sig in stored.items():
            if key not in self.catalog.by_key and sig is not None:
                did = self._driver_id(key)       # gone from the catalog
                self.store.drop_votes(did)
                self.store.set_signature(did, None)
        for (author, repo), drivers in redo.items():
            for cid, branch, ts, message in self.store.comments_by(author, repo).fetchall():
                for v in votes_for(drivers, message, branch, ts, self.catalog):
                    self.store.put_vote(self._driver_id(v.driver), cid, v.release,
                                        v.passed, v.line, ts)
            for d in drivers:
                for did, release in self.store.pairs_of_driver(self._driver_id(d.key)):
                    self.store.refresh_verdict(did, release)
        if redo:
            log.info("re-derived votes of %d driver(s) from stored CI reports",
                     sum(len(v) for v in redo.values()))
        self.store.set_meta("releases", releases_signature(self.catalog))

    def _rebuild_view(self):
        view = View(self.stale_after)
        for did, release, verdict in self.store.verdict_rows():
            view.set_verdict(self._keys[did], release, verdict)
        for did, cid, ts, passed in self.store.last_votes(view.last_n):
            view.add_vote(self._keys[did], cid, ts, bool(passed))
        self.view = view

    # -- read model ------------------------------------------------------------

    def add_listener(self, fn: Callable[..., None]):
        """`fn(keys)` is called after every commit that touched the read model,
        with the set of driver keys touched (None after a catalog reload:
        anything may have changed). Keep it cheap: it runs in handle()."""
        self._listeners.append(fn)

    def _notify(self, keys=None):
        for fn in self._listeners:
            fn(keys)

    def verdicts(self, key: DriverKey) -> Dict[str, dict]:
        """Per release id: {"result": bool, "review_url": str, "comment": str
        (the matched line), "timestamp": int (epoch s), "change": int,
        "patchset": int, "branch": str, "release": str}. Empty when none."""
        with self.lock:
            return dict(self.view.verdicts.get(key, {}))

    def status(self, key: DriverKey, now: Optional[float] = None) -> dict:
        """{"state": one of passing|failing|silent|unseen|none,
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

    def states(self, now: Optional[float] = None, keys=None) -> Dict[DriverKey, str]:
        """CI state of every catalog driver, or of those of `keys` in the catalog."""
        now = self.clock() if now is None else now
        with self.lock:
            if keys is None:
                return {d.key: self.view.state(d.key, d.ci is not None, now)
                        for d in self.catalog.drivers}
            by_key = self.catalog.by_key
            return {k: self.view.state(k, by_key[k].ci is not None, now)
                    for k in keys if k in by_key}

    def last_vote(self, key: DriverKey) -> Optional[int]:
        with self.lock:
            return self.view.last_vote(key)

    def health(self, key: DriverKey, now: Optional[float] = None) -> dict:
        """status()'s health plus "last_30d": {same} over the votes of the last
        30 days, read from the store (one indexed query), as the read model
        keeps only the newest votes."""
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

    def refresh_metrics(self, now: Optional[float] = None, states=None):
        """Set the gauges that age with time: drivers by state, and per CI
        account its newest vote and its failing drivers (what the alert rules
        read). Call it from a periodic tick; pass `states` if already computed."""
        if not self.metrics:
            return
        states = self.states(now) if states is None else states
        counts = dict.fromkeys(STATES, 0)
        for state in states.values():
            counts[state] += 1
        for state, n in counts.items():
            self.metrics.drivers.labels(state).set(n)
        failing: Dict[str, int] = {}
        last: Dict[str, int] = {}
        with self.lock:
            for d in self.catalog.drivers:
                if d.ci is None:
                    continue
                failing[d.ci.id] = failing.get(d.ci.id, 0) + (states.get(d.key) == "failing")
                voted = self.view.last_vote(d.key)
                if voted is not None and voted > last.get(d.ci.id, -1):
                    last[d.ci.id] = voted
        # Set whole: accounts gone from the catalog stop being exported.
        self.metrics.ci_failing_drivers.set_all(failing)
        self.metrics.ci_last_vote.set_all(last)
