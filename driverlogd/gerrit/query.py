"""`gerrit query` over SSH, paged, and turned into the stream's own events.

Contract (the verdict engine's bootstrap and the stream's catch-up use it):

    q = GerritQuery(config, metrics)            # opens its own connection per call
    q.changes(query, *, comments=True, patch_sets=True, limit_per_page=None) -> Iterator[dict]
    q.catch_up(since, extra="") -> Iterator[Event]   # created_on >= since, oldest first
    q.events(query) -> Iterator[Event]               # every change's, bad rows skipped
    q.page(query) -> (list[Answered], more)          # one answer, as the bootstrap reads it
    events_from_change(change: dict) -> list[Event]  # raises MalformedEvent only

`query` is a Gerrit query string built from `quoting.term(...)` pieces; it is
checked again and single-quoted before it goes on the command line. Paging uses
`--start` until the `stats` line says `moreChanges: false`. Each page is read
whole before its changes are handed out, so a slow consumer never trips the
command's deadline. Lines that are not JSON are counted in `bad_events` and
skipped, and so is a change whose fields make no events (counted `malformed`);
an `{"type": "error"}` line raises `CommandError`.
"""
import dataclasses
import logging
import re
from typing import Iterator, List, Optional, Tuple

from ..ratelog import RateLimitedLog, printable
from . import quoting
from .config import GerritConfig
from .events import REVIEW_PREFIX, ChangeMerged, Event, MalformedEvent, parse_event
from .lines import BadLine, decode
from .ssh import CommandError, Connection, connect

log = logging.getLogger(__name__)
_bad_log = RateLimitedLog(log, every=10.0)

# Gerrit writes one of these change messages when a change is submitted.
_MERGED_MESSAGE = re.compile(r"Change has been successfully (merged|cherry-picked|rebased|pushed)")


@dataclasses.dataclass(frozen=True)
class Answered:
    """One change of a query page, as the bootstrap weighs it."""
    number: Optional[int]    # None: the row had no usable number
    branch: str
    updated: Optional[int]   # lastUpdated, seconds; None when unusable
    events: List[Event]      # [] for a row that makes none (counted malformed)


class GerritQuery:
    def __init__(self, config: GerritConfig, metrics=None, connection: Optional[Connection] = None):
        self.config = config
        self.metrics = metrics
        self._connection = connection     # borrowed from the stream client, never closed here
        self.skipped = 0                  # lines skipped (counted in bad_events, logged)

    def _bad(self, reason: str, detail: str) -> None:
        self.skipped += 1
        _bad_log("gerrit query: skipped a line (%s): %s", reason, printable(detail))
        if self.metrics is not None:
            self.metrics.bad_events.labels(reason).inc()

    def changes(self, query: str, *, comments: bool = True, patch_sets: bool = True,
                limit_per_page: Optional[int] = None) -> Iterator[dict]:
        quoting.arg(query)     # refuse early, before any connection is made
        page = int(limit_per_page or self.config.catchup_page)
        conn = self._connection or connect(self.config)
        try:
            start = 0
            while True:
                words = ["gerrit", "query", "--format=JSON"]
                if comments:
                    words.append("--comments")
                if patch_sets:
                    words.append("--patch-sets")
                words += ["--start", str(start), query, quoting.term("limit", page)]
                rows, more = self._page(conn, quoting.command(words))
                yield from rows
                start += len(rows)
                if not more:
                    return
                if not rows:
                    log.warning("gerrit query: moreChanges without rows at --start %d; stopping", start)
                    return
        finally:
            if self._connection is None:
                conn.close()

    def _page(self, conn: Connection, command: str):
        rows: List[dict] = []
        more = False
        lines, status, err = conn.run(command, self.config.command_timeout,
                                      self.config.max_query_line_bytes)
        for line in lines:
            obj = line if isinstance(line, BadLine) else decode(line)
            if obj is None:
                continue
            if isinstance(obj, BadLine):
                self._bad(obj.reason, obj.detail)
            elif not isinstance(obj, dict):
                self._bad("malformed", f"query row is not an object: {obj!r}")
            elif obj.get("type") == "stats":
                more = bool(obj.get("moreChanges"))
            elif obj.get("type") == "error":
                raise CommandError(f"gerrit query failed: {obj.get('message')}")
            else:
                rows.append(obj)
        if status != 0:
            raise CommandError(f"{command!r} exited with status {status}: {err or 'no message'}")
        return rows, more

    def _events(self, change) -> List[Event]:
        """The change's events; none, counted, when a field makes no sense."""
        try:
            return events_from_change(change)
        except MalformedEvent as e:
            self._bad("malformed", f"change {_number_of(change)}: {e}")
            return []

    def page(self, query: str) -> Tuple[List[Answered], bool]:
        """One answer of `query` (which carries its own `limit:`), each change
        with its events, and the stats line's moreChanges: the bootstrap
        decides itself what, if anything, to ask next."""
        quoting.arg(query)
        conn = self._connection or connect(self.config)
        try:
            rows, more = self._page(conn, quoting.command(
                ["gerrit", "query", "--format=JSON", "--comments", "--patch-sets", query]))
        finally:
            if self._connection is None:
                conn.close()
        return [Answered(_maybe_int(row.get("number")), _text(row.get("branch")),
                         _maybe_int(row.get("lastUpdated")), self._events(row))
                for row in rows], more

    def events(self, query: str) -> Iterator[Event]:
        """Every event of the changes `query` finds (the bootstrap's reading)."""
        for change in self.changes(query):
            yield from self._events(change)

    def catch_up(self, since: int, extra: str = "", keep=None) -> Iterator[Event]:
        """Events Gerrit can still tell about from `since` on, oldest first;
        only those `keep(event)` accepts, when given. They are held until the
        last page is in (to hand them on oldest first), so after a long outage
        dropping the ones nobody records (people's reviews) saves most of it."""
        query = quoting.time_term("since", since) + (f" {extra}" if extra else "")
        found = []
        for change in self.changes(query, comments=True, patch_sets=True):
            events = self._events(change)
            # A merged change's whole answer is kept: reports posted before
            # `since` may be ones the daemon never saw (it was not yet
            # watching), and recording a known one again changes nothing.
            whole = bool(events) and isinstance(events[-1], ChangeMerged)
            found.extend(e for e in events
                         if (whole or e.created_on >= since) and (keep is None or keep(e)))
        found.sort(key=lambda e: e.created_on)     # stable: a change's own order is kept
        if self.metrics is not None:
            self.metrics.catchup_runs.inc()
            self.metrics.catchup_events.inc(len(found))
        return iter(found)


def _number_of(change) -> str:
    number = change.get("number") if isinstance(change, dict) else None
    return printable(number, 30) if isinstance(number, (int, str)) else "?"


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def _maybe_int(value) -> Optional[int]:
    try:
        return _int(value, "") or None
    except MalformedEvent:
        return None


def _int(value, what) -> int:
    """A number of a query row (absent is 0); MalformedEvent for anything else."""
    if not value:
        return 0
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        try:
            return int(value)
        except (ValueError, OverflowError):
            pass
    raise MalformedEvent(f"{what} is not a number")


def _merged_on(change: dict) -> int:
    for message in reversed(_list(change.get("comments"))):
        if isinstance(message, dict) and _MERGED_MESSAGE.match(_text(message.get("message"))):
            return _int(message.get("timestamp"), "comments[].timestamp")
    return _int(change.get("lastUpdated"), "lastUpdated")


def _patch_sets(change: dict) -> List[dict]:
    sets = [p for p in _list(change.get("patchSets")) if isinstance(p, dict)]
    if not sets and isinstance(change.get("currentPatchSet"), dict):
        sets = [change["currentPatchSet"]]
    return sets


def events_from_change(change: dict) -> List[Event]:
    """A query result as the events the stream would have given (comments, then the merge).

    Only review comments (messages starting `Patch Set N:`, as every
    comment-added event's comment does) become CommentAdded; Gerrit's own
    messages (uploads, merges) do not. A comment's `change.status` is the
    status at the time of the comment: MERGED
    only for comments left at or after the merge, so the rules see what the
    stream would have shown. Raises MalformedEvent for a change missing fields.
    """
    if not isinstance(change, dict):
        raise MalformedEvent("query row is not an object")
    status = _text(change.get("status")) or "NEW"
    merged_on = _merged_on(change) if status == "MERGED" else None
    sets = _patch_sets(change)
    base = {k: change.get(k) for k in ("project", "branch", "number", "url", "id", "createdOn")}
    events: List[Event] = []
    for message in _list(change.get("comments")):
        if not isinstance(message, dict):
            continue
        text = _text(message.get("message"))
        prefix = REVIEW_PREFIX.match(text)
        if not prefix:
            continue
        when = _int(message.get("timestamp"), "comments[].timestamp")
        then = status
        if merged_on is not None:
            then = "MERGED" if when >= merged_on else "NEW"
        reviewer = message.get("reviewer") if isinstance(message.get("reviewer"), dict) else {}
        events.append(parse_event({
            "type": "comment-added", "change": dict(base, status=then),
            "patchSet": {"number": prefix.group(1)},     # parse_event checks it
            "author": reviewer, "comment": text, "eventCreatedOn": when}))
    if merged_on is not None:
        current = change.get("currentPatchSet") or {}
        number = current.get("number") if isinstance(current, dict) and current else None
        if number is None:
            number = max((_int(p.get("number"), "patchSets[].number") for p in sets),
                         default=None)
        merged = parse_event({"type": "change-merged", "change": dict(base, status="MERGED"),
                              "patchSet": {"number": number}, "eventCreatedOn": merged_on})
        # The answer held every comment: nothing more to ask Gerrit about it.
        events.append(merged._replace(complete=True))
    return events
