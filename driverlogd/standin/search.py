"""`gerrit query` for the stand-in: options, operators, ordering, paging.

Supports what DriverLog sends and a little more: `--format=JSON`,
`--comments`, `--patch-sets`, `--current-patch-set`, `--all-approvals`,
`--start N`/`-S N`, `--limit N`, and the operators `status:`, `project:`,
`branch:`, `owner:`, `reviewer:`, `commentby:`, `since:`/`after:`,
`before:`/`until:`, `change:`, `limit:`, with `-` negation, values quoted
with "..." or {...}, and one level of `(a OR b ...)`. Results come newest first (lastUpdated), followed by
the `stats` line; an unsupported operator gives Gerrit's `error` line.
"""
import calendar
import re
import time
from typing import Callable, List, Tuple

DEFAULT_LIMIT = 500
_TERM = re.compile(r'\s*(-?)(?:([a-z_]+):("[^"]*"|\{[^}]*\}|[^\s"{}]+)|(\S+))')
_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
                   r"(?:\s*([+-])(\d{2}):?(\d{2}))?\Z")
_STATUS = {"open": {"NEW"}, "new": {"NEW"}, "pending": {"NEW"}, "reviewed": {"NEW"},
           "merged": {"MERGED"}, "abandoned": {"ABANDONED"}, "closed": {"MERGED", "ABANDONED"}}


class QueryError(ValueError):
    pass


def parse_time(text: str) -> int:
    m = _TIME.match(text.strip())
    if not m:
        raise QueryError(f"Invalid date/time format: {text}")
    y, mo, d, h, mi, s = (int(g or 0) for g in m.groups()[:6])
    seconds = calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0))
    if m.group(7):
        offset = int(m.group(8)) * 3600 + int(m.group(9)) * 60
        seconds -= offset if m.group(7) == "+" else -offset
    return seconds


def parse_args(args: List[str]) -> Tuple[dict, str]:
    opts = {"format": "TEXT", "comments": False, "patch_sets": False, "current_patch_set": False,
            "all_approvals": False, "start": 0, "limit": None}
    rest: List[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            rest.extend(args[i + 1:])
            break
        if a.startswith("--format"):
            if "=" not in a:
                i += 1
            opts["format"] = a.split("=", 1)[1] if "=" in a else (args[i] if i < len(args) else "")
        elif a in ("--start", "-S", "--limit") or a.startswith("--start="):
            if "=" in a:
                text = a.split("=", 1)[1]
            else:
                i += 1
                text = args[i] if i < len(args) else ""
            if not text.isdigit():
                raise QueryError(f"option {a} needs a number")
            opts["limit" if a == "--limit" else "start"] = int(text)
        elif a in ("--comments", "--patch-sets", "--current-patch-set", "--all-approvals"):
            opts[a[2:].replace("-", "_")] = True
        elif a.startswith("--"):
            raise QueryError(f'"{a}" is not a valid option')
        else:
            rest.append(a)
        i += 1
    return opts, " ".join(rest)


def _unquote(value: str) -> str:
    if len(value) >= 2 and (value[0], value[-1]) in (('"', '"'), ("{", "}")):
        return value[1:-1]
    return value


def compile_query(query: str) -> Tuple[Callable[[dict], bool], int]:
    """A predicate over stored changes, and the limit the query asked for.

    Terms are ANDed; `(a OR b ...)` groups one level of alternatives."""
    tests: List[Callable[[dict], bool]] = []
    limit = DEFAULT_LIMIT
    pos = 0
    query = query.strip()
    while pos < len(query):
        if query[pos].isspace():
            pos += 1
        elif query[pos] == "(":
            test, pos = _group(query, pos + 1)
            tests.append(test)
        else:
            op, value, test, pos = _term_at(query, pos)
            if op == "limit":
                limit = int(value)
            else:
                tests.append(test)
    return (lambda c: all(t(c) for t in tests)), limit


def _term_at(query: str, pos: int):
    m = _TERM.match(query, pos)
    if not m or m.end() == pos:
        raise QueryError(f"line 1:{pos} no viable alternative at input '{query[pos:]}'")
    negate, op, value, bare = m.groups()
    if bare is not None:
        if not bare.isdigit():
            raise QueryError(f"Unsupported query: {bare}")
        op, value = "change", bare
    value = _unquote(value)
    if op == "limit":
        return op, value, None, m.end()
    test = _operator(op, value)
    return op, value, (lambda t: lambda c: not t(c))(test) if negate else test, m.end()


def _group(query: str, pos: int):
    """`a OR b OR c)` from just after the opening parenthesis."""
    alternatives: List[Callable[[dict], bool]] = []
    while pos < len(query):
        if query[pos].isspace():
            pos += 1
        elif query[pos] == ")":
            if not alternatives:
                break
            return (lambda c: any(t(c) for t in alternatives)), pos + 1
        elif query.startswith("OR", pos) and pos + 2 < len(query) and query[pos + 2] in " (":
            pos += 2
        else:
            op, _, test, pos = _term_at(query, pos)
            if op == "limit":
                raise QueryError("limit: inside parentheses")
            alternatives.append(test)
    raise QueryError(f"line 1:{pos} mismatched parentheses")


def _operator(op: str, value: str) -> Callable[[dict], bool]:
    if op == "status":
        if value not in _STATUS:
            raise QueryError(f"Unrecognized value: {value}")
        wanted = _STATUS[value]
        return lambda c: c["status"] in wanted
    if op == "project":
        return lambda c: c["project"] == value
    if op == "branch":
        name = value[len("refs/heads/"):] if value.startswith("refs/heads/") else value
        return lambda c: c["branch"] == name
    if op == "owner":
        return lambda c: c["owner"] == value
    if op == "reviewer":
        # Since Gerrit 2.14 an account is a reviewer once it voted (or was
        # added as one); commenting without a vote makes it CC, not a reviewer.
        return lambda c: any(a["by"] == value for ps in c["patchSets"] for a in ps["approvals"])
    if op == "commentby":
        # Any change message or comment the account wrote.
        return lambda c: any(m["username"] == value for m in c["messages"])
    if op in ("since", "after"):
        t = parse_time(value)
        return lambda c: c["lastUpdated"] >= t
    if op in ("before", "until"):
        t = parse_time(value)
        return lambda c: c["lastUpdated"] <= t
    if op == "change":
        return lambda c: str(c["number"]) == value or c["id"] == value
    raise QueryError(f"Unsupported operator {op}:{value}")


def run(store, args: List[str], now=time.time) -> Tuple[List[dict], dict]:
    """Rows and the stats line for one query; raises QueryError."""
    opts, query = parse_args(args)
    if opts["format"].upper() != "JSON":
        raise QueryError("the stand-in answers --format=JSON only")
    if not query.strip():
        raise QueryError("query is required")
    started = now()
    match, limit = compile_query(query)
    if opts["limit"] is not None:
        limit = min(limit, opts["limit"])
    limit = min(limit, DEFAULT_LIMIT)
    with store.lock:
        hits = sorted((c for c in store.changes.values() if match(c)),
                      key=lambda c: (c["lastUpdated"], c["number"]), reverse=True)
        page = hits[opts["start"]:opts["start"] + limit]
        rows = [store.change_json(c, comments=opts["comments"], patch_sets=opts["patch_sets"],
                                  current_patch_set=opts["current_patch_set"],
                                  all_approvals=opts["all_approvals"]) for c in page]
    stats = {"type": "stats", "rowCount": len(rows),
             "runTimeMilliseconds": int((now() - started) * 1000),
             "moreChanges": len(hits) > opts["start"] + limit}
    return rows, stats
