"""Build remote Gerrit command lines from values that came from outside.

Gerrit's SSH daemon splits the command line itself (honouring single and
double quotes), then joins the query arguments and parses them as a query,
where a value may be quoted with "..." or {...}. Two levels of quoting is
where injection hides, so values are not escaped but *validated*: a value
that is not a plain name (project, branch, account, label) is refused with a
clear message, and every argument is then single-quoted for the remote
command line. Nothing else reaches the remote shell.
"""
import datetime
import re
from typing import Iterable

from .position import MAX_TIMESTAMP

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
# Project paths, branch names, usernames and e-mail-like account names.
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._/@+~=-]{0,254}\Z")
_OPERATORS = frozenset({
    "status", "project", "branch", "reviewer", "commentby", "owner", "label",
    "since", "after", "before", "until", "limit", "change", "is", "topic",
})
_STATUSES = frozenset({"open", "merged", "abandoned", "closed", "new", "reviewed"})
# Anything an argument may contain once built (the remote side sees it single-quoted);
# parentheses group `(project:{a} OR project:{b})`.
_ARG = re.compile(r"[A-Za-z0-9_.,/@+~=:{}\" <>()-]*\Z")


class UnsafeValue(ValueError):
    """A value refused for a Gerrit command line; the message names it."""


def name(value: str, what: str = "value") -> str:
    """Return `value` if it is a plain Gerrit name, else raise UnsafeValue."""
    if not isinstance(value, str) or not _NAME.match(value) or ".." in value:
        raise UnsafeValue(f"{what} {value!r} is not a plain Gerrit name "
                          "(letters, digits and ._/@+~=- only)")
    return value


def term(operator: str, value) -> str:
    """One query term such as `project:{openstack/nova}`, validated."""
    if operator not in _OPERATORS:
        raise UnsafeValue(f"query operator {operator!r} is not one DriverLog uses")
    if operator == "limit":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise UnsafeValue(f"limit must be a positive integer, not {value!r}")
        return f"limit:{value}"
    if operator == "status" and value not in _STATUSES:
        raise UnsafeValue(f"status {value!r} is not a Gerrit change status")
    return f"{operator}:{{{name(value, operator)}}}"


def timestamp(epoch_seconds: int) -> str:
    """Gerrit's query time format, in UTC (the server's time zone is assumed UTC).

    Any number gives a time: it is held between the epoch and the last second
    of year 9999 (NaN is the epoch), so a poisoned position can never stop a
    catch-up query from being built."""
    if isinstance(epoch_seconds, bool) or not isinstance(epoch_seconds, (int, float)):
        raise UnsafeValue(f"timestamp must be a number, not {epoch_seconds!r}")
    if epoch_seconds != epoch_seconds:     # NaN
        epoch_seconds = 0
    seconds = int(min(max(epoch_seconds, 0), MAX_TIMESTAMP))
    moment = _EPOCH + datetime.timedelta(seconds=seconds)     # no C time_t involved
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def any_of(operator: str, values) -> str:
    """`(project:{a} OR project:{b})`: one group of alternatives, each validated."""
    terms = [term(operator, v) for v in sorted(set(values))]
    if not terms:
        raise UnsafeValue("an empty group of alternatives matches nothing")
    return terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")"


def time_term(operator: str, epoch_seconds: int) -> str:
    """`since:"2024-05-01 10:00:00"` and friends."""
    if operator not in ("since", "after", "before", "until"):
        raise UnsafeValue(f"{operator!r} is not a time operator")
    return f'{operator}:"{timestamp(epoch_seconds)}"'


def arg(value: str) -> str:
    """Single-quote one argument for Gerrit's SSH command-line splitter."""
    if not isinstance(value, str) or not _ARG.match(value):
        raise UnsafeValue(f"argument {value!r} holds characters not allowed on a Gerrit command line")
    return f"'{value}'"


_BARE = re.compile(r"[A-Za-z0-9_.=/-]+\Z")


def command(words: Iterable[str]) -> str:
    """Join words into one command line; any word that is not bare is quoted with `arg`."""
    return " ".join(w if isinstance(w, str) and _BARE.match(w) else arg(w) for w in words)
