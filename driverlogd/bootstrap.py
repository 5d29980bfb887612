"""Fill an empty store the way the original batch job did: the recent merged
changes each CI account commented on, per repository, on every active
release's branches and master, recorded through the rules.

One query page per (CI account, repository) asks all those branches at once
(`(branch:a OR branch:b ...)`), newest first. The answer holds, for every
branch, its newest changes; a branch is asked about again (alone with the
others still unsettled, `before:` the oldest change read) only while a verdict
it could give is still open:

- a (driver, release) verdict is settled once its newest counting report is
  newer than any unread report of a branch that speaks for the release: an
  unread change's reports are no newer than its lastUpdated, which is no newer
  than the oldest change read (a report's time, not the change's, decides a
  verdict); on master, a report speaks for the release whose cycle it fell
  in, so an older release's unread master reports also end where the next
  cycle began;
- a branch is done when every verdict it speaks for is settled, or Gerrit
  has no more of it.

That gives the verdicts the per-branch queries gave (they read every merged
change of each branch: `gerrit query` pages on while moreChanges), in fewer
queries: typically the first page settles master and the busy stable
branches, and a branch where merges are rare costs a page of its own.
MAX_PAGES caps a pair at 20 pages (1,000 changes at the default limit of 50,
about half a year of a busy repository's master): what is still unsettled then
is a verdict no report of that half year gives (a CI silent for longer, a
pattern that never matches); it is logged, and the stream records the CI's
next report.

`commentby:`, not `reviewer:`: since Gerrit 2.14 an account that comments
without voting (most third-party CIs) is CC, which `reviewer:` does not find.
"""
import dataclasses
import json
import logging
from typing import Callable, Dict, Iterable, List, Optional, Set, Tuple

from driverlogd.gerrit.events import ChangeMerged, CommentAdded
from driverlogd.gerrit.quoting import UnsafeValue, any_of, term, time_term
from driverlogd.verdict.promotion import counts
from driverlogd.verdict.votes import ci_groups, votes_for

DONE_KEY = "bootstrap_done"
PENDING_KEY = "bootstrap_pending"       # CI accounts new to the catalog, not read yet
MAX_PAGES = 20


@dataclasses.dataclass(frozen=True)
class Branches:
    """The branch names asked together: one active release's, or master."""
    label: str
    names: Tuple[str, ...]
    release: Optional[str]      # None: master, which speaks for a release by time


def branch_groups(catalog) -> List[Branches]:
    return [Branches(r.id, tuple(r.branch_names), r.id) for r in catalog.active_releases] + \
        [Branches("master", ("master",), None)]


def page_query(ci_id: str, repo: str, names: Iterable[str], limit: int,
               before: Optional[int] = None) -> str:
    """One page's query; UnsafeValue for a value that is not a plain name."""
    words = [term("status", "merged"), term("project", repo), any_of("branch", names),
             term("commentby", ci_id)]
    if before is not None:
        words.append(time_term("before", before))
    return " ".join(words + [term("limit", limit)])


class PairReading:
    """What the bootstrap of one (CI account, repository) has read so far,
    and what it must still ask (see the module's docstring)."""

    def __init__(self, catalog, ci_id: str, repo: str, drivers, limit: int):
        self.catalog, self.ci_id, self.repo = catalog, ci_id, repo
        self.drivers, self.limit = tuple(drivers), limit
        self.groups = branch_groups(catalog)
        self.group_of = {n: g for g in self.groups for n in g.names}
        self.closed: Set[str] = set()
        self.boundary: Optional[int] = None     # every unread change is at most this old
        self.best: Dict[Tuple[tuple, str], int] = {}    # (driver, release) -> report time
        self.seen: Set[int] = set()
        self.asked: List[Branches] = []
        self.pages = 0
        starts = [r.starts_at for r in catalog.releases]      # sorted by start
        # (active release, its cycle's first and last second: master's window)
        self.cycles = [(r.id, r.starts_at, min([s - 1 for s in starts if s > r.starts_at],
                                               default=float("inf")))
                       for r in catalog.active_releases]

    def _unread_reach(self, g: Branches) -> List[Tuple[str, int]]:
        """(release, the newest time an unread report of `g` for it can have).

        Unread changes are no newer than the boundary, nor their reports. On
        master a report speaks for the release whose cycle it fell in, so an
        older release's reports there end where the next cycle began."""
        if g.release is not None:
            return [(g.release, self.boundary)]
        return [(r, min(self.boundary, end)) for r, start, end in self.cycles
                if start <= self.boundary]

    def _needed(self, g: Branches) -> bool:
        if g.label in self.closed:
            return False
        if self.boundary is None:
            return True
        return any(self.best.get((d.key, r), -1) <= reach
                   for r, reach in self._unread_reach(g) for d in self.drivers)

    def next_query(self) -> Optional[str]:
        """The next page's query, or None: nothing left to ask (or the cap)."""
        self.asked = [g for g in self.groups if self._needed(g)]
        if not self.asked or self.pages >= MAX_PAGES:
            return None
        before = None if self.boundary is None else self.boundary + 1
        # +1 s: Gerrit keeps milliseconds but answers whole seconds; changes
        # of the boundary's second come again and are skipped as seen.
        return page_query(self.ci_id, self.repo, [n for g in self.asked for n in g.names],
                          self.limit, before)

    def still_asking(self) -> List[str]:
        return [g.label for g in self.groups if self._needed(g)]

    def take(self, answered, more: bool) -> Tuple[list, int]:
        """Weigh one page; returns (events to record, changes taken)."""
        self.pages += 1
        asked = {g.label for g in self.asked}
        events, taken, last = [], 0, None
        for a in answered:
            last = a.updated if a.updated is not None else last
            g = self.group_of.get(a.branch)
            if g is None or g.label not in asked or a.number in self.seen:
                continue
            if a.number is not None:
                self.seen.add(a.number)
            taken += 1
            events.extend(a.events)
            self._weigh(a.branch, a.events)
        for label in asked:
            # No more changes, none new, or no usable time to page by: done.
            if not more or not taken or last is None:
                self.closed.add(label)
        if last is not None:
            self.boundary = last if self.boundary is None else min(self.boundary, last)
        return events, taken

    def _weigh(self, branch: str, events) -> None:
        """Keep each (driver, release)'s newest counting report time."""
        merged = next((e.patchset for e in events if isinstance(e, ChangeMerged)), None)
        for e in events:
            if not (isinstance(e, CommentAdded) and e.author == self.ci_id
                    and counts(e.patchset, merged)):
                continue
            for v in votes_for(self.drivers, e.comment, branch, e.created_on, self.catalog):
                if v.release is not None:
                    key = (v.driver, v.release)
                    self.best[key] = max(self.best.get(key, -1), e.created_on)


def bootstrap(catalog, ask: Callable[[str], tuple], recorder, log=None,
              limit: int = 50, groups=None, stopping=None) -> dict:
    """Read every (CI account, repository), record what it yields (one
    transaction per page).

    `ask(q)` returns one page: (list of gerrit.query.Answered, moreChanges).
    A failing pair is logged and counted, the others still run. The caller
    marks the bootstrap done (`mark_done`) once the reports on changes not
    merged are read too (unmerged.py): a daemon killed in between must read
    them again at its next start.
    A set `stopping` (an Event) ends it between pages, unfinished: a stop
    must not wait out a big catalog's bootstrap.
    Returns {"pairs", "queries", "failed", "events", "stopped"}.
    """
    log = log or logging.getLogger(__name__)
    drivers = ci_groups(catalog)
    pairs = sorted(groups if groups is not None else drivers)
    failed = events = queries = 0
    stopped = False
    for n, (ci_id, repo) in enumerate(pairs, 1):
        what = f"bootstrap {n} of {len(pairs)}: {ci_id} on {repo}"
        reading = PairReading(catalog, ci_id, repo, drivers.get((ci_id, repo), ()), limit)
        try:
            while (q := reading.next_query()) is not None:
                if stopping is not None and stopping.is_set():
                    stopped = True
                    break
                queries += 1
                batch, taken = reading.take(*ask(q))
                recorder.handle_batch(batch)
                events += len(batch)
                left = reading.still_asking()
                log.info("%s: page %d: %d changes, %d events%s", what, reading.pages, taken,
                         len(batch), f"; asking again for {', '.join(left)}" if left else "")
            left = reading.still_asking()
            if left:
                log.warning("%s: stopped at %d pages with %s unsettled", what, reading.pages,
                            ", ".join(left))
        except Exception as e:      # the query client reports why; go on with the rest
            failed += 1
            log.warning("%s failed: %s", what, e if not isinstance(e, UnsafeValue)
                        else f"{e}; not queried")
        if stopped:
            log.info("bootstrap stopped at %d of %d; it starts again with the daemon",
                     n, len(pairs))
            break
    return {"pairs": len(pairs), "queries": queries, "failed": failed, "events": events,
            "stopped": stopped}


def mark_done(store) -> None:
    """The whole bootstrap (both reads, every CI account) ran without a
    failed query: the next start skips it."""
    with store.transaction():
        store.set_meta(DONE_KEY, "1")


def needs_bootstrap(store) -> bool:
    """True until a full bootstrap ran without a failed query."""
    return store.meta(DONE_KEY) is None


def pending(store) -> List[Tuple[str, str]]:
    """The (CI account, repository) pairs new to the catalog whose own
    bootstrap has not completed: kept in the store, so a daemon killed
    during a reload's bootstrap, or stopped before it, reads them at its
    next start."""
    return sorted(tuple(p) for p in json.loads(store.meta(PENDING_KEY) or "[]"))


def add_pending(store, pairs) -> None:
    before = set(pending(store))
    _set_pending(store, before, before | set(map(tuple, pairs)))


def drop_pending(store, pairs) -> None:
    """Their bootstrap completed, or they left the catalog."""
    before = set(pending(store))
    _set_pending(store, before, before - set(map(tuple, pairs)))


def _set_pending(store, before, after) -> None:
    # Every start and every completed bootstrap passes here, mostly with
    # nothing to change: no commit (an fsync) then.
    if after != before:
        with store.transaction():
            store.set_meta(PENDING_KEY, json.dumps(sorted(after)))
