"""Typed, indexed view of a validated catalog.

The gate builds it after every check passed; the daemon uses it to route CI
comments to drivers. Nothing here does I/O or validation: it trusts its input.
"""
import bisect
import calendar
import dataclasses
import datetime
import functools
from typing import Dict, Optional, Tuple

import re2

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def parse_start(text: str) -> datetime.date:
    """Parse the catalog's `YYYY-Mon-DD` dates (locale independent)."""
    year, mon, day = text.split("-")
    return datetime.date(int(year), MONTHS.index(mon) + 1, int(day))


def format_start(day: datetime.date) -> str:
    """A date as the catalog writes it, `YYYY-Mon-DD` (locale independent)."""
    return f"{day.year}-{MONTHS[day.month - 1]}-{day.day:02d}"


PATTERN_MAX_MEM = 16 << 10


def build_pattern(pattern: str):
    """Compile a vendor pattern with RE2: linear-time, so untrusted is fine.

    RE2 grows a lazy DFA per pattern up to `max_mem` (8 MiB by default): with
    thousands of patterns that was ~28 KiB each, 370 MB at 10,000 drivers. At
    16 KiB it matches short CI lines as fast, memory stays flat, a 1 MB line
    still takes linear time (~25 ms), and a pattern too big for that budget is
    refused by the gate, which compiles with these very options."""
    if _Regexp is not None:
        return _Regexp(pattern, _OPTIONS)
    return re2.compile(pattern, _OPTIONS)


_OPTIONS = re2.Options()
_OPTIONS.log_errors = False
_OPTIONS.max_mem = PATTERN_MAX_MEM
# google-re2's compile() copies the options field by field and keeps the last
# 128 patterns in a cache of its own: half of a pattern's compile time, when a
# burst of CI reports meets thousands of patterns for the first time. Its
# compiled class takes the options as they are (the RE2 copies them).
_Regexp = getattr(re2, "_Regexp", None)


# A compiled pattern is ~2.4 KB: all 13,000 of a 10,000-driver catalog were
# 32 MB once every CI had reported, a third of the daemon. The CIs reporting
# now stay compiled; one silent for a while is compiled again (~40 us a pattern).
PATTERN_CACHE = 2048


@functools.lru_cache(maxsize=PATTERN_CACHE)
def compile_pattern(pattern: str):
    """build_pattern, cached: one CI account's patterns recur across drivers and
    reloads. Only patterns something matched with lately are here (see CI)."""
    return build_pattern(pattern)


def _slotted(cls):
    """The frozen dataclass again, with __slots__ instead of a __dict__ per
    instance (what dataclass(slots=True) does from Python 3.10 on): tens of
    thousands of drivers, maintainers and CI entries at 10,000 drivers."""
    names = tuple(f.name for f in dataclasses.fields(cls))
    ns = {k: v for k, v in vars(cls).items()
          if k not in names and k not in ("__dict__", "__weakref__")}
    ns["__slots__"] = names
    ns["__getstate__"] = _getstate      # pickle and copy: frozen, so not by setattr
    ns["__setstate__"] = _setstate
    return type(cls)(cls.__name__, cls.__bases__, ns)


def _getstate(self):
    return [getattr(self, name) for name in self.__slots__]


def _setstate(self, state):
    for name, value in zip(self.__slots__, state):
        object.__setattr__(self, name, value)


@_slotted
@dataclasses.dataclass(frozen=True)
class Project:
    id: str
    name: str


@_slotted
@dataclasses.dataclass(frozen=True)
class Release:
    id: str
    start: datetime.date
    wiki: str = ""
    active: bool = False
    series: Optional[str] = None     # "2025.1": OpenStack's branch name since 2023

    @property
    def starts_at(self) -> int:
        """The instant the cycle begins: 00:00 UTC of the start day (epoch s)."""
        return calendar.timegm(self.start.timetuple())

    @property
    def branch_names(self) -> Tuple[str, ...]:
        """Branch names whose CI results speak for this release."""
        names = [self.id.lower()] + ([self.series] if self.series else [])
        return tuple(f"{kind}/{n}" for n in names for kind in ("stable", "unmaintained"))


@_slotted
@dataclasses.dataclass(frozen=True)
class Maintainer:
    name: str
    email: Optional[str] = None
    irc: Optional[str] = None
    launchpad_id: Optional[str] = None


@_slotted
@dataclasses.dataclass(frozen=True)
class CI:
    id: str
    success_pattern: str
    failure_pattern: str
    # Where the text that every match of each pattern holds ends (see
    # verdict.ci_report.cuts, which works it out when the recorder installs
    # the catalog, or at first use, and keeps it here; -1: not yet). Two
    # small ints a CI, where a cache of its own missed on every report at
    # 10,000 drivers.
    success_cut: int = dataclasses.field(default=-1, init=False, repr=False, compare=False)
    failure_cut: int = dataclasses.field(default=-1, init=False, repr=False, compare=False)

    def __post_init__(self):
        # Slotted: a default of a field not in __init__ is no class attribute.
        object.__setattr__(self, "success_cut", -1)
        object.__setattr__(self, "failure_cut", -1)

    # Compiled on first use, not at load: at 10,000 drivers the compiled
    # patterns of a catalog were ~27 MB of RE2 programs, most of them for CIs
    # that had not reported since the start. Loading still compiles every
    # pattern, to check it (patterns.compile_checked), and lets go of it.
    @property
    def success_re(self):
        return compile_pattern(self.success_pattern)

    @property
    def failure_re(self):
        return compile_pattern(self.failure_pattern)

    @classmethod
    def build(cls, id, success_pattern, failure_pattern):
        return cls(id, success_pattern, failure_pattern)


DriverKey = Tuple[str, str, str]


@_slotted
@dataclasses.dataclass(frozen=True)
class Driver:
    project_id: str
    vendor: str
    name: str
    description: str = ""
    wiki: str = ""
    repo: Optional[str] = None
    maintainers: Tuple[Maintainer, ...] = ()
    releases: Tuple[str, ...] = ()
    ci: Optional[CI] = None
    # (project_id, vendor, name), made once: the read model's dicts all hold it.
    key: DriverKey = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "key", (self.project_id, self.vendor, self.name))

    @property
    def ci_repo(self) -> str:
        """The Gerrit project the vendor CI comments on."""
        return self.repo or self.project_id


@dataclasses.dataclass(frozen=True)
class Catalog:
    projects: Tuple[Project, ...]
    releases: Tuple[Release, ...]          # ascending by start date
    drivers: Tuple[Driver, ...]
    by_key: Dict[DriverKey, Driver] = dataclasses.field(compare=False, repr=False)
    by_ci_id: Dict[str, Tuple[Driver, ...]] = dataclasses.field(compare=False, repr=False)
    release_by_lower_id: Dict[str, Release] = dataclasses.field(compare=False, repr=False)
    # branch name -> release, for every name of release.branch_names
    release_by_branch: Dict[str, Release] = dataclasses.field(compare=False, repr=False)
    # releases' starts_at, for release_at's bisect (made once: each CI report asks)
    release_starts: Tuple[int, ...] = dataclasses.field(init=False, compare=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "release_starts", tuple(r.starts_at for r in self.releases))

    @classmethod
    def from_data(cls, data: dict) -> "Catalog":
        """Build from a decoded catalog that already passed validation."""
        share = _Sharer()    # one object for each repeated id, list and text
        projects = tuple(Project(share(p["id"]), _own(p["name"]))
                         for p in data.get("projects", ()))
        releases = tuple(sorted(
            (Release(share(r["id"]), parse_start(r["start"]), _own(r.get("wiki", "")),
                     bool(r.get("active", False)), _own(r.get("series") or None))
             for r in data.get("releases", ())),
            key=lambda r: r.start))
        drivers = tuple(_driver(d, share) for d in data.get("drivers", ()))
        by_ci = {}
        for d in drivers:
            if d.ci:
                by_ci.setdefault(d.ci.id, []).append(d)
        return cls(projects, releases, drivers,
                   by_key={d.key: d for d in drivers},
                   by_ci_id={k: tuple(v) for k, v in by_ci.items()},
                   release_by_lower_id={r.id.lower(): r for r in releases},
                   release_by_branch={b: r for r in releases for b in r.branch_names})

    @property
    def active_releases(self) -> Tuple[Release, ...]:
        return tuple(r for r in self.releases if r.active)

    def release(self, release_id: str) -> Optional[Release]:
        """Case-insensitive lookup, as `stable/<x>` branch names are lower case."""
        return self.release_by_lower_id.get(release_id.lower())

    def release_at(self, when: float) -> Optional[Release]:
        """The newest release whose development had begun at `when` (epoch
        seconds): master's. A cycle begins at 00:00 UTC of its start day."""
        i = bisect.bisect_right(self.release_starts, when)
        return self.releases[i - 1] if i else None

    def release_on_branch(self, branch: str) -> Optional[Release]:
        """The release `stable/<x>` or `unmaintained/<x>` is, x its series or
        its id lower-cased; None for any other branch."""
        return self.release_by_branch.get(branch.lower())


def _own(s):
    """A copy of the text `s`, made now. The decoded catalog's strings were
    made amid its dicts and lists, which are all dropped once the model is
    built: the model keeping those very strings left them scattered over
    pymalloc's pools, which then stay mostly empty but cannot be returned
    (at 10,000 drivers, 11 MB of free blocks after a load). Copies made here
    sit together with the model's other objects. ("" + s + "", the quickest
    copy found: str() and slicing give `s` itself.)"""
    return s.join(("", "")) if type(s) is str else s


class _Sharer(dict):
    """share(x): one object for each equal id, text or tuple, copied (`_own`)."""

    def __call__(self, x):
        got = self.get(x)
        if got is None:
            got = self[x] = _own(x)
        return got


def _driver(d: dict, share) -> Driver:
    ci = d.get("ci")
    releases = tuple(share(r) for r in d.get("releases", ()))
    repo = d.get("repo") or None
    return Driver(
        project_id=share(d["project_id"]), vendor=share(d["vendor"]),
        name=_own(d["name"]), description=share(d.get("description", "")),
        wiki=_own(d.get("wiki", "")), repo=repo and share(repo),
        maintainers=tuple(Maintainer(_own(m["name"]), _own(m.get("email")), _own(m.get("irc")),
                                     _own(m.get("launchpad_id")))
                          for m in d.get("maintainers", ())),
        releases=share(releases),
        ci=CI.build(share(ci["id"]), _own(ci["success_pattern"]), _own(ci["failure_pattern"]))
        if ci else None,
    )
