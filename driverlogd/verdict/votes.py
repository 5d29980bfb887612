"""Which drivers a CI comment speaks for, and what it says for each.

Pure: takes the catalog and plain values, returns plain values.
"""
from typing import Dict, List, NamedTuple, Optional, Tuple

from driverlogd.catalog.model import DriverKey
from driverlogd.gerrit.events import REVIEW_PREFIX
from driverlogd.verdict.ci_report import first_result_of, report_lines
from driverlogd.verdict.release import release_for

_new_tuple = tuple.__new__


class Vote(NamedTuple):
    """One driver's result from one CI report (a tuple: a frozen dataclass
    took 2 us to make, one per driver a report names)."""
    driver: DriverKey
    release: Optional[str]   # None: the branch counts for history only
    passed: bool
    line: str                # the line that matched


def ci_groups(catalog) -> Dict[Tuple[str, str], tuple]:
    """Drivers by (CI account, repository it comments on).

    One account often tests several drivers of a repo, told apart by patterns.
    """
    groups: Dict[Tuple[str, str], list] = {}
    for d in catalog.drivers:
        if d.ci:
            groups.setdefault((d.ci.id, d.ci_repo), []).append(d)
    return {k: tuple(v) for k, v in groups.items()}


def driver_signature(driver) -> Optional[str]:
    """What a driver's votes are derived from; a change means re-derive them."""
    if not driver.ci:
        return None
    ci = driver.ci
    return "\x1f".join((ci.id, driver.ci_repo, ci.success_pattern, ci.failure_pattern))


def releases_signature(catalog) -> str:
    """What branch→release mapping depends on; a change means re-map every vote."""
    return "\x1f".join(f"{r.id}@{r.start.isoformat()}/{r.series or ''}/{int(r.active)}"
                       for r in catalog.releases)


def votes_for(drivers, message: str, branch: str, when: int, catalog) -> List[Vote]:
    """Votes a report gives `drivers` (all of one account and repo).

    A message that is not a `Patch Set N:` report gives nothing; a driver
    whose patterns match no line gets nothing.
    """
    m = REVIEW_PREFIX.match(message)
    if m is None:
        return []
    lines = report_lines(message, message[m.end():])
    release = release_for(catalog, branch, when)
    votes = []
    for d in drivers:
        found = first_result_of(lines, d.ci)
        if found is not None:
            # tuple.__new__: NamedTuple's own __new__ is Python code (~0.5 us).
            votes.append(_new_tuple(Vote, (d.key, release, found[0], found[1])))
    return votes
