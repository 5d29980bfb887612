"""Gerrit's JSON events, reduced to what DriverLog reads.

The stream (`gerrit stream-events`) and catch-up (`gerrit query`) both produce
these, so the rules downstream cannot tell where an event came from.
Field meanings follow Gerrit's `json` and `cmd-stream-events` documentation.
"""
import dataclasses
import re
import time
from typing import NamedTuple, Optional, Union

from .position import MAX_TIMESTAMP

# Gerrit begins every review message with the patch set it was left on; its
# own messages (uploads, merges) do not. More digits than 18: no patch set
# (and no int() of 5,000 digits to raise in the recorder).
REVIEW_PREFIX = re.compile(r"Patch Set (\d{1,18}):")


class MalformedEvent(ValueError):
    """A line that is JSON but not an event we can use; the message says why."""


# The events are tuples (NamedTuple): a frozen dataclass took 2-3.5 us to
# make on the test machine, a tuple ~0.8, and a CI burst makes two a report.

class ChangeRef(NamedTuple):
    project: str
    branch: str
    number: int          # Gerrit 3 prints an int, Gerrit 2 a string: always int here
    url: str
    status: str          # NEW, MERGED or ABANDONED
    opened_on: int = 0   # change.createdOn; 0 when Gerrit did not send it


class _CommentAdded(NamedTuple):
    change: ChangeRef
    patchset: int        # patchSet.number: the patch set the comment was left on
    author: str          # author.username ('' when Gerrit did not send one)
    comment: str
    created_on: int      # eventCreatedOn, seconds since the epoch
    # N of the `Patch Set <N>:` the comment begins with, as every review (so
    # every CI report) does; None for any other comment. Worked out once: the
    # recorder asks at each step of the event.
    review_patchset: Optional[int]


class CommentAdded(_CommentAdded):
    __slots__ = ()
    type = "comment-added"

    def __new__(cls, change: ChangeRef, patchset: int, author: str, comment: str,
                created_on: int):
        m = REVIEW_PREFIX.match(comment)
        return tuple.__new__(cls, (change, patchset, author, comment, created_on,
                                   int(m.group(1)) if m else None))

    def _replace(self, **changes) -> "CommentAdded":
        # review_patchset follows the comment: made again, never copied.
        fields = self._asdict()
        fields.update(changes)
        del fields["review_patchset"]
        return CommentAdded(**fields)


class ChangeMerged(NamedTuple):
    change: ChangeRef
    patchset: int        # the patch set that merged
    created_on: int
    # From a `gerrit query` answer that held every comment of the change
    # (bootstrap, catch-up, a question asked): nothing more to ask about it.
    complete: bool = False
    type = "change-merged"


@dataclasses.dataclass(frozen=True)
class DroppedOutput:
    """Gerrit dropped events for this stream: a catch-up must fill the gap."""
    created_on: int
    type = "dropped-output"


class Unused(NamedTuple):
    """A comment-added or change-merged no driver cares about (see `screen`):
    only its time counts, for the stream position and the lag. A tuple: most
    of a big Gerrit's lines become one (0.2 us where a frozen dataclass took 1)."""
    type: str
    created_on: int


Event = Union[CommentAdded, ChangeMerged, DroppedOutput, Unused]


# Change and patch set numbers, as SQLite stores them (Gerrit's are far below).
MAX_NUMBER = 2 ** 62 - 1


def _int(value, what, high=MAX_NUMBER):
    """A whole number from 0 to `high`, as Gerrit 2 (strings) and 3 (numbers)
    print it. Anything else (null, objects, inf, NaN, 1e400, -1) is MalformedEvent."""
    if type(value) is int and 0 <= value <= high:      # nearly always: say so at once
        return value
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        try:
            number = int(value)
        except (ValueError, OverflowError):     # "x", NaN; inf, 1e400
            pass
        else:
            if 0 <= number <= high:
                return number
            raise MalformedEvent(f"{what} {_show(number)} is out of range")
    raise MalformedEvent(f"{what} is not a number: {_show(value)}")


def _show(value) -> str:
    """A short, safe picture of a peer's value (never repr() a deep object)."""
    if isinstance(value, (dict, list)):
        return f"a JSON {'object' if isinstance(value, dict) else 'array'}"
    return ascii(value)[:60]


def _str(value, default: str = "") -> str:
    """An optional string field; any other type counts as absent."""
    return value if isinstance(value, str) and value else default


def _created_on(value, now) -> int:
    if value is None:     # older Gerrits: stamped with the time it was read
        return int(now if now is not None else time.time())
    # Past 9999 no date can show it: the position and verdicts must never hold it.
    return _int(value, "eventCreatedOn (1970 to 9999)", MAX_TIMESTAMP)


def _change(obj) -> ChangeRef:
    change = obj.get("change")
    if not isinstance(change, dict):
        raise MalformedEvent("no 'change' object")
    project, branch = change.get("project"), change.get("branch")
    if not isinstance(project, str):
        raise MalformedEvent("change.project missing or not a string")
    if not isinstance(branch, str):
        raise MalformedEvent("change.branch missing or not a string")
    opened = change.get("createdOn")
    return ChangeRef(project, branch, _int(change.get("number"), "change.number"),
                     _str(change.get("url")), _str(change.get("status"), "NEW"),
                     _int(opened, "change.createdOn", MAX_TIMESTAMP) if opened is not None else 0)


def _patchset(obj) -> int:
    ps = obj.get("patchSet")
    if not isinstance(ps, dict):
        raise MalformedEvent("no 'patchSet' object")
    return _int(ps.get("number"), "patchSet.number")


def parse_event(obj, now: Optional[float] = None) -> Optional[Event]:
    """Turn one decoded stream line into an Event.

    Returns None for event types DriverLog does not use; raises MalformedEvent
    (and nothing else, whatever the values) for a line that claims a type we
    use but lacks what we need, or whose `eventCreatedOn` is no time between
    1970 and 9999. An event without `eventCreatedOn` (older Gerrits) is
    stamped with the time it was read.
    """
    if not isinstance(obj, dict):
        raise MalformedEvent("not a JSON object")
    kind = obj.get("type")
    if not isinstance(kind, str):
        raise MalformedEvent("no 'type'")
    if kind not in ("comment-added", "change-merged", "dropped-output"):
        return None
    created = _created_on(obj.get("eventCreatedOn"), now)
    if kind == "comment-added":
        author = obj.get("author") if isinstance(obj.get("author"), dict) else {}
        comment = obj.get("comment")
        if not isinstance(comment, str):
            raise MalformedEvent("comment missing or not a string")
        return CommentAdded(_change(obj), _patchset(obj),
                            _str(author.get("username")), comment, created)
    if kind == "change-merged":
        return ChangeMerged(_change(obj), _patchset(obj), created)
    if kind == "dropped-output":
        return DroppedOutput(created)
    return None


def screen(obj, wanted, now: Optional[float] = None) -> Optional[Unused]:
    """Unused when a stream line's deciding fields (type, change.project,
    author.username) show that no driver cares about it; None when it needs
    `parse_event` (wanted, or fields missing or odd: the full parse says
    what is wrong and the line is counted). `wanted(type, project, author)`.

    Most of a big Gerrit's lines are someone else's: the fields of theirs
    nothing reads are not checked, their time is (it moves the position)."""
    kind = obj.get("type")
    if kind != "comment-added" and kind != "change-merged":
        return None
    change = obj.get("change")
    project = change.get("project") if type(change) is dict else None
    # Not ASCII: the recorder may rewrite it ('?' for lone surrogates).
    if type(project) is not str or not project.isascii():
        return None
    author = ""
    if kind == "comment-added":
        who = obj.get("author")
        author = who.get("username") if type(who) is dict else ""
        if type(author) is not str:
            author = ""
        elif not author.isascii():
            return None
    if wanted(kind, project, author):
        return None
    return Unused(kind, _created_on(obj.get("eventCreatedOn"), now))
