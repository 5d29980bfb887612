"""When a vote becomes a verdict, and when the daemon must ask Gerrit. Pure.

A vote is a driver's result from one CI report (see votes.py). It becomes
the driver's verdict for its release once the report's patch set is the one
that merged; of several such votes the newest wins. Which patch set merged
is a fact only Gerrit knows: `change-merged` says it, and so does a whole
`gerrit query` answer. Where neither has been seen, the daemon asks rather
than guess (see `question_on_report` and `question_on_merge`).

The store selects verdicts with SQL (store/verdicts.py); it must agree with
`verdict()` here, which a property test checks over random histories.
"""
import dataclasses
from typing import Iterable, Optional, Tuple

# Why a change is worth one `gerrit query`; also the metric's label values.
WHICH_PATCHSET = "merged-patchset"     # a report on a MERGED change, merged patch set unknown
BEFORE_WATCHING = "before-watching"    # a merge whose reports may predate the daemon
REASONS = (WHICH_PATCHSET, BEFORE_WATCHING)


@dataclasses.dataclass(frozen=True)
class Evidence:
    """One vote, with what the rule reads of its report and change."""
    comment_id: int
    created_on: int               # the report's time
    change: int
    patchset: int                 # the patch set the report speaks of
    digest: str                   # of the report's text: the last tie-break
    merged_patchset: Optional[int] = None    # None: not merged, or not known which


def counts(patchset: int, merged_patchset: Optional[int]) -> bool:
    """A report counts towards a verdict only for the patch set that merged."""
    return merged_patchset is not None and patchset == merged_patchset


def newest_first(e: Evidence) -> Tuple:
    """Verdict order, largest first: the newest report; ties by change,
    patch set and text, so every path picks the same one."""
    return (e.created_on, e.change, e.patchset, e.digest)


# The same rule in SQL, for the store's indexed selects: comments c, votes v,
# merges m (see store/schema.py). Keep it equal to counts() and newest_first().
SQL_COUNTS = "c.patchset = m.patchset"
SQL_NEWEST_FIRST = "v.created_on DESC, c.change DESC, c.patchset DESC, c.digest DESC"


def verdict(evidence: Iterable[Evidence]) -> Optional[Evidence]:
    """The verdict among one driver's votes for one release, or None."""
    return max((e for e in evidence if counts(e.patchset, e.merged_patchset)),
               key=newest_first, default=None)


def question_on_report(status: str, merged_patchset: Optional[int]) -> Optional[str]:
    """A report arrives on a change Gerrit says is MERGED, and which patch set
    merged is unknown (change-merged came before the daemon watched, or is
    still to come): the report may be a slow CI's on an older patch set, so it
    is promoted only once Gerrit says which merged."""
    if status == "MERGED" and merged_patchset is None:
        return WHICH_PATCHSET
    return None


def question_on_merge(complete: bool, opened_on: int,
                      watchers: Iterable[Tuple[int, bool]]) -> Optional[str]:
    """A change merged. `watchers`: per CI account commenting on its repository,
    (since when the daemon records that account's reports there, whether it
    holds one of its reports on this change).

    A whole query answer (`complete`) leaves nothing to ask. Otherwise, an
    account that holds no report on the change may have reported before the
    daemon watched it, if the change is as old as that or older (times are
    whole seconds; `opened_on` 0 is unknown, so maybe): ask for its comments.
    """
    if complete:
        return None
    for since, holds_report in watchers:
        if not holds_report and (opened_on <= 0 or opened_on <= since):
            return BEFORE_WATCHING
    return None
