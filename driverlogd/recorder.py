"""The sink of Gerrit's events: apply the verdict rules to each event against
the current catalog and commit its effects, with the stream position, in one
transaction; then hand them to the read side.

It is what the Gerrit stream client, the catch-up, the bootstrap and the
questions asked of Gerrit all feed (`handle`, `handle_batch`, `position`).
Where an event leaves the daemon unsure (promotion.question_on_*), the
question is queued in the same transaction, for asker.py to ask.
Errors of the store (disk full, I/O) propagate: the caller must not count
such an event as processed.
"""
import itertools
import logging
import os
import threading
import time
from typing import Callable, Dict, List, Optional, Tuple

from driverlogd import rederive
from driverlogd.catalog.model import DriverKey
from driverlogd.gerrit import position as stream_position
from driverlogd.gerrit.events import ChangeMerged, CommentAdded, Unused
from driverlogd.readside.reads import Reads
from driverlogd.verdict.ci_report import cuts
from driverlogd.verdict.promotion import question_on_merge, question_on_report
from driverlogd.verdict.state import DEFAULT_STALE_AFTER
from driverlogd.verdict.votes import ci_groups, votes_for

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
        self.reads = Reads(store, self.lock, stale_after, clock)
        self._listeners: List[Callable] = []
        self._askers: List[Callable[[], None]] = []
        self.max_clock_skew = max_clock_skew
        self._position = stream_position.at_start(store.position(), clock(), max_clock_skew, log)
        # labels() costs more than inc(): look the two children up once.
        self._votes_counter = {True: metrics.votes.labels("pass"),
                               False: metrics.votes.labels("fail")} if metrics else {}
        self._install(catalog)

    @property
    def catalog(self):
        return self._catalog

    # -- the sink protocol -------------------------------------------------

    def position(self) -> Optional[int]:
        """The newest eventCreatedOn durably applied; None on an empty store."""
        return self._position

    def handle(self, event) -> None:
        """Apply one CommentAdded / ChangeMerged; returns once committed.

        An Unused event only moves the position. Anything else (DroppedOutput,
        None) is ignored: the position must not move past a gap the stream
        client has yet to fill.
        """
        self.handle_batch((event,))

    def mark_position(self, created_on: int) -> None:
        """Record that nothing before `created_on` is missing (a bootstrap that
        found no events), so the stream's catch-up starts there."""
        created_on = stream_position.clamp(created_on, self.clock(), self.max_clock_skew)
        with self.lock, self.store.transaction():
            self.store.advance_position(created_on)
        self._position = created_on if self._position is None else max(self._position, created_on)

    def handle_batch(self, events, advance: bool = True) -> None:
        """Apply several events in one transaction (a read's burst, bootstrap,
        catch-up). `advance=False`: the stream position stays where it is."""
        self._apply(events, advance)

    def handle_answer(self, project: str, change: int, events) -> None:
        """Gerrit's answer to a question about a change: its events (no part
        of the stream: the position stays) and the question closed, in one
        transaction (one fsync where there were two)."""
        self._apply(events, False, (project, change))

    def _apply(self, events, advance: bool, answered: Optional[Tuple[str, int]] = None):
        events = [c for c in map(self._clean, events) if c is not None]
        if not events and answered is None:
            return
        newest = stream_position.clamp(max(e.created_on for e in events), self.clock(),
                                       self.max_clock_skew) if advance else None
        relevant = [e for e in events if self._relevant(e)]
        if not relevant and answered is None:
            if advance and (self._position is None
                            or newest - self._position >= self.position_every):
                with self.store.transaction():
                    self.store.advance_position(newest)
                self._after_commit([], newest, False)
            return
        started = time.perf_counter()
        updates: list = []
        asked = []
        with self.lock:
            # Unchecked: every row written here names a comment written or read,
            # and a driver id made, in this same transaction.
            with self.store.transaction(checked=False):
                for event in relevant:
                    if isinstance(event, CommentAdded):
                        self._comment(event, updates, asked)
                    else:
                        self._merged(event, updates, asked)
                if advance:
                    self.store.advance_position(newest)
                if answered is not None:
                    self.store.answered(*answered)
            self._after_commit(updates, newest, bool(asked))
        if self.metrics:
            self.metrics.store_write.observe(time.perf_counter() - started)

    def _clean(self, e):
        """The event as SQLite can store it, or None (with a log line and a
        count) for numbers no Gerrit sends; text that is not valid Unicode
        (lone surrogates from JSON escapes) gets '?' marks."""
        if type(e) is Unused:      # its time was checked by the parse
            return e
        if not isinstance(e, (CommentAdded, ChangeMerged)):
            return None
        n = e.review_patchset if isinstance(e, CommentAdded) else 0
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
                e = e._replace(change=ch._replace(project=fixed[0], branch=fixed[1],
                                                  url=fixed[2]))
        if isinstance(e, CommentAdded) and not (e.comment.isascii() and e.author.isascii()):
            fixed = _text(e.comment, e.author)
            if fixed != (e.comment, e.author):
                e = e._replace(comment=fixed[0], author=fixed[1])
        return e

    def relevant(self, e) -> bool:
        """Whether recording `e` could change anything: a CI report by an account
        of the catalog on its repo, or a merge in such a repo. The stream's
        catch-up holds only these."""
        return isinstance(e, (CommentAdded, ChangeMerged)) and self._relevant(e)

    def wanted(self, kind: str, project: str, author: str) -> bool:
        """What `_relevant` says from a stream line's type, project and author
        alone, before it is parsed (see gerrit.events.screen): False only
        where the event cannot matter."""
        if kind == "comment-added":
            return (author, project) in self._groups
        return project in self._watched

    def _relevant(self, e) -> bool:
        if type(e) is Unused:
            return False
        if isinstance(e, CommentAdded):
            return (e.author, e.change.project) in self._groups and \
                e.review_patchset is not None
        return e.change.project in self._watched

    def _comment(self, e: CommentAdded, updates: list, asked: list):
        ch = e.change
        cid, ts, changed, new, merged = self.store.put_comment(
            ch.project, ch.number, e.review_patchset, e.author, ch.branch, ch.url, e.created_on,
            e.comment)
        pairs = []         # (driver id, release) of each vote on this change new or newer
        lost = set()       # ... whose vote may have left it: read all its votes again
        if changed:
            rows = []
            for v in votes_for(self._groups[(e.author, ch.project)], e.comment, ch.branch, ts,
                               self._catalog):
                did = self._driver_id(v.driver)
                if new:      # the usual case: no vote on it yet, nothing to read first
                    rows.append((did, cid, v.release, int(v.passed), v.line, ts))
                else:
                    before = self.store.put_vote(did, cid, v.release, v.passed, v.line, ts)
                    if before:
                        lost.add((did, before))
                pairs.append((did, v.release))
                updates.append(("vote", v.driver, cid, ts, v.passed))
            if rows:
                self.store.put_new_votes(rows)
        if ch.status == "MERGED":
            # Merged, but which patch set Gerrit has not said: ask, never guess.
            self._ask(ch, question_on_report(ch.status, merged), asked)
        if merged is None:
            return     # no verdict can differ: nothing on this change counts (yet)
        self._refresh(lost, updates)
        self._refresh({p for p in pairs if p[1]} - lost, updates, among=(ch.project, ch.number))

    def _merged(self, e: ChangeMerged, updates: list, asked: list):
        ch = e.change
        before, after, complete = self.store.note_merge(ch.project, ch.number, e.patchset,
                                                        e.complete)
        if e.complete:
            self.store.answered(ch.project, ch.number)
        if not complete:
            # Only accounts watched since the change opened or later may have
            # missed its reports; whose reports are held is read for those alone.
            # Newest-watched first: those are a prefix, and the rule stops at
            # the first account without a report (a big repo has hundreds).
            older = itertools.takewhile(
                lambda w: ch.opened_on <= 0 or ch.opened_on <= w[1],
                self._watched.get(ch.project, ()))
            first = next(older, None)
            if first is not None:
                held = self.store.reporters_on(ch.project, ch.number)
                self._ask(ch, question_on_merge(complete, ch.opened_on, (
                    (since, a in held) for a, since in itertools.chain((first,), older))),
                    asked)
        if before is None and after is not None:
            # Newly merged: its votes can only gain verdicts (each pair's, from
            # the stored verdict and this change's, in one read); those kept
            # are in the read side already.
            for did, release, verdict in self.store.offer_change(ch.project, ch.number):
                updates.append(("verdict", self._keys[did], release, verdict, True))
        elif before != after:
            # A moved merged patch set may take some away: all their votes again.
            self._refresh(self.store.pairs_on_change(ch.project, ch.number), updates)

    def _ask(self, ch, reason: Optional[str], asked: list):
        if reason is not None:
            self.store.ask(ch.project, ch.number, reason, int(self.clock()))
            asked.append((ch.project, ch.number, reason))

    def answered(self, project: str, change: int) -> None:
        """A question about a change that Gerrit answered without a merge in it."""
        with self.lock, self.store.transaction():
            self.store.answered(project, change)

    def _refresh(self, pairs, updates, among=None):
        """Re-check verdicts: from all the votes, or (`among`: a (project,
        change) whose votes only gained) from the stored verdict and that change's."""
        for did, release in pairs:
            changed, verdict = self.store.refresh_verdict(did, release) if among is None \
                else self.store.offer_verdict(did, release, *among)
            # Unchanged still goes to the view: a replay may have moved the
            # same report's time later.
            updates.append(("verdict", self._keys[did], release, verdict, changed))

    def _after_commit(self, updates, newest, asked: bool):
        """Only once committed do the read side and the asker see the effects."""
        if newest is not None:
            self._position = newest if self._position is None else max(self._position, newest)
        self.reads.apply(updates)
        if self.metrics:
            # Counted per commit, not per vote: each inc() takes the metric's lock.
            votes, verdicts = {True: 0, False: 0}, 0
            for u in updates:
                if u[0] == "vote":
                    votes[bool(u[4])] += 1
                elif u[4]:
                    verdicts += 1
            for passed, n in votes.items():
                if n:
                    self._votes_counter[passed].inc(n)
            if verdicts:
                self.metrics.verdict_changes.inc(verdicts)
        if updates:
            self._notify({u[1] for u in updates})
        if asked:
            for fn in self._askers:
                fn()

    # -- catalog (re)load ----------------------------------------------------

    def set_catalog(self, catalog) -> List[Tuple[str, str]]:
        """Switch to a new catalog (SIGHUP): see rederive.py.

        Returns the (ci_id, repo) pairs new to this catalog, whose earlier
        reports the store never kept: the caller may bootstrap them.
        """
        with self.lock:
            old = set(self._groups)
            self._install(catalog)
        self._notify()
        return sorted(set(self._groups) - old)

    def _install(self, catalog):
        self._catalog = catalog
        self._groups = ci_groups(catalog)
        for drivers in self._groups.values():
            for d in drivers:      # ~5 us a CI: on the (re)load, off the stream's path
                cuts(d.ci)
        with self.store.transaction():
            rederive.reconcile(self.store, catalog)
            # From now on these accounts' reports are recorded; a change older
            # than that may hold reports the daemon never saw.
            self.store.watch(self._groups, int(self.clock()))
            since = self.store.watching()
        # repo -> ((CI account, since when watched there), ...), newest-watched first
        watched: Dict[str, list] = {}
        for author, repo in self._groups:
            watched.setdefault(repo, []).append((author, since[(author, repo)]))
        self._watched: Dict[str, Tuple[Tuple[str, int], ...]] = {
            repo: tuple(sorted(w, key=lambda x: (-x[1], x[0]))) for repo, w in watched.items()}
        # The catalog's own key tuples where it has them: the rows' fresh strings
        # were a second copy of every key (2.3 MB at 10,000 drivers).
        known = catalog.by_key
        self._keys: Dict[int, DriverKey] = {
            i: known[k].key if k in known else k for i, k in self.store.driver_keys().items()}
        self.reads.rebuild(catalog, self._keys)

    def _driver_id(self, key: DriverKey) -> int:
        did = self.store.known_driver_id(key)
        if did is None:       # made in this transaction: the key map learns it
            did = self.store.driver_id(key)
            self._keys[did] = key
        return did

    # -- who hears of commits ---------------------------------------------------

    def add_listener(self, fn: Callable[..., None]):
        """`fn(keys)` is called after every commit that touched the read side,
        with the set of driver keys touched (None after a catalog reload:
        anything may have changed). Keep it cheap: it runs in handle()."""
        self._listeners.append(fn)

    def add_asker(self, fn: Callable[[], None]):
        """`fn()` is called after a commit that queued a question for Gerrit."""
        self._askers.append(fn)

    def _notify(self, keys=None):
        for fn in self._listeners:
            fn(keys)
