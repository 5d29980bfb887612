"""Semantic checks beyond the schema: order, references, uniqueness, dates,
CI patterns and account names, e-mail addresses.

Pure: takes the decoded document, returns Problems located by path. It runs
even when the schema failed, so it skips (silently) values of the wrong type:
the schema has already said what is wrong with them.
"""
import re
from typing import List

from .model import format_start, parse_start
from .patterns import compile_checked
from .problems import Problem, did_you_mean

# Gerrit's account user name: letters, digits and . _ @ - ; starts and ends
# with a letter or digit (Gerrit's USER_NAME_PATTERN).
_GERRIT_USER = re.compile(r"^(?:[a-zA-Z0-9][a-zA-Z0-9._@-]{0,253}[a-zA-Z0-9]|[a-zA-Z0-9])$")
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", re.I)
_SERIES_SHAPE = re.compile(r"[0-9]{4}\.[1-9][0-9]?\Z")
_DATE_SHAPE = re.compile(r"^\d{4}-[A-Z][a-z]{2}-\d{2}$")
_LOCAL = re.compile(r"^[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*$", re.I)


def _items(data, key):
    value = data.get(key) if isinstance(data, dict) else None
    return [(i, x) for i, x in enumerate(value) if isinstance(x, dict)] \
        if isinstance(value, list) else []


def _str(d, key):
    v = d.get(key)
    return v if isinstance(v, str) else None


def check(data) -> List[Problem]:
    out: List[Problem] = []
    projects = _check_projects(data, out)
    releases = _check_releases(data, out)
    _check_drivers(data, projects, releases, out)
    return out


def _check_projects(data, out):
    seen, prev = {}, None
    for i, p in _items(data, "projects"):
        pid = _str(p, "id")
        if pid is None:
            continue
        if pid in seen:
            out.append(Problem.at(("projects", i, "id"), "duplicate",
                                  f"project {pid!r} is already listed at $.projects[{seen[pid]}]"))
        else:
            seen[pid] = i
        if prev is not None and pid < prev:
            out.append(Problem.at(("projects", i, "id"), "order",
                                  f"projects must be sorted by id: {pid!r} comes after {prev!r}"))
        prev = pid
    return seen


def _check_releases(data, out):
    seen, prev, series = {}, None, {}
    for i, r in _items(data, "releases"):
        rid, start = _str(r, "id"), _str(r, "start")
        _check_series(r, i, series, out)
        if rid is not None:
            if rid.lower() in seen:
                out.append(Problem.at(("releases", i, "id"), "duplicate",
                                      f"release {rid!r} is already listed at "
                                      f"$.releases[{seen[rid.lower()][0]}]"))
            else:
                seen[rid.lower()] = (i, rid)
        if start is None or not _DATE_SHAPE.match(start):
            continue  # the schema reports a malformed date
        try:
            day = parse_start(start)
        except (ValueError, TypeError):
            out.append(Problem.at(("releases", i, "start"), "date",
                                  f"{start!r} is not a real date (YYYY-Mon-DD, e.g. 2024-Oct-03)"))
            continue
        if prev is not None and day <= prev[1]:
            out.append(Problem.at(("releases", i, "start"), "order",
                                  f"release start dates must ascend: {start} is not after "
                                  f"{format_start(prev[1])} of $.releases[{prev[0]}]"))
        prev = (i, day)
    return {rid for _, rid in seen.values()}


def _check_series(r, i, seen, out):
    """`series` names the release's branches (stable/2025.1), so it must have
    OpenStack's form and belong to one release only."""
    name = _str(r, "series")
    if name is None:
        return     # absent, or not a string: the schema says so
    where = ("releases", i, "series")
    if not _SERIES_SHAPE.match(name):
        out.append(Problem.at(where, "series",
                              f"series {name!r} is not YYYY.N, the year and the release "
                              "of that year (e.g. 2025.1)"))
    elif name in seen:
        out.append(Problem.at(where, "duplicate", f"series {name!r} is already the series of "
                                                  f"$.releases[{seen[name]}]"))
    else:
        seen[name] = i


def _check_drivers(data, projects, releases, out):
    keys, prev = {}, None
    for i, d in _items(data, "drivers"):
        pid, vendor, name = _str(d, "project_id"), _str(d, "vendor"), _str(d, "name")
        if pid is not None and pid not in projects:
            out.append(Problem.at(("drivers", i, "project_id"), "reference",
                                  f"project {pid!r} is not in $.projects"
                                  + did_you_mean(pid, projects)))
        if None not in (pid, vendor, name):
            key = (pid, vendor, name)
            if key in keys:
                out.append(Problem.at(("drivers", i, "name"), "duplicate",
                                      f"driver {vendor} / {name} of {pid} is already "
                                      f"listed at $.drivers[{keys[key]}]"))
            else:
                keys[key] = i
        if pid is not None and vendor is not None:
            if prev is not None and (pid, vendor) < prev:
                out.append(Problem.at(("drivers", i, "vendor" if pid == prev[0] else
                                       "project_id"), "order",
                                      "drivers must be sorted by project_id, then vendor: "
                                      f"{pid} / {vendor} comes after {prev[0]} / {prev[1]}"))
            prev = (pid, vendor)
        _check_claims(d, i, releases, out)
        _check_maintainers(d, i, out)
        if isinstance(d.get("ci"), dict):
            _check_ci(d["ci"], ("drivers", i, "ci"), out)


def _check_claims(d, i, releases, out):
    claims = d.get("releases")
    if not isinstance(claims, list):
        return
    seen = set()
    for j, rid in enumerate(claims):
        if not isinstance(rid, str):
            continue
        where = ("drivers", i, "releases", j)
        if rid not in releases:
            out.append(Problem.at(where, "reference", f"release {rid!r} is not in $.releases"
                                  + did_you_mean(rid, releases)))
        if rid in seen:
            out.append(Problem.at(where, "duplicate", f"release {rid!r} is claimed twice"))
        seen.add(rid)


def _check_maintainers(d, i, out):
    for j, m in _items(d, "maintainers"):
        email = _str(m, "email")
        if email is not None:
            why = email_problem(email)
            if why:
                out.append(Problem.at(("drivers", i, "maintainers", j, "email"), "email",
                                      f"{email!r} is not a valid e-mail address: {why}"))


def email_problem(email: str):
    """Why an address cannot be delivered to, or None (RFC 5321 limits, plain form)."""
    if len(email) > 254 or email.count("@") != 1:
        return "it needs exactly one '@' and at most 254 characters"
    local, domain = email.split("@")
    if not local or len(local) > 64 or not _LOCAL.match(local):
        return "the part before '@' must be letters, digits, . _ + - without leading, " \
               "trailing or doubled dots"
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(x) for x in labels):
        return "the domain must be dot-separated labels of letters, digits and inner hyphens"
    if not labels[-1].isalpha() or len(labels[-1]) < 2:
        return "the top-level domain must be letters only"
    return None


def _check_ci(ci, where, out):
    account = _str(ci, "id")
    if account is not None and not _GERRIT_USER.match(account):
        out.append(Problem.at(where + ("id",), "gerrit-user",
                              f"{account!r} is not a plausible Gerrit user name (letters, "
                              "digits, '.', '_', '@', '-'; starting and ending with a letter "
                              "or digit)"))
    texts = {}
    for key in ("success_pattern", "failure_pattern"):
        pattern = _str(ci, key)
        if pattern is None:
            continue
        texts[key] = pattern
        _, problem = compile_checked(pattern)
        if problem:
            out.append(Problem.at(where + (key,), problem[0], problem[1]))
    if len(texts) == 2 and texts["success_pattern"] == texts["failure_pattern"]:
        out.append(Problem.at(where + ("failure_pattern",), "regex-same",
                              "failure_pattern is the same as success_pattern, so no comment "
                              "could ever be told a success from a failure"))
