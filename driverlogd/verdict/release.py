"""Branch to release: which release a CI result on a branch speaks for. Pure."""
from typing import Optional


def release_for(catalog, branch: str, when: int) -> Optional[str]:
    """The id of the active catalog release a report on `branch` at `when`
    (epoch seconds) speaks for, or None: history only.

    - `stable/<x>` and `unmaintained/<x>` are the release whose series or
      lower-cased id is x (OpenStack names branches by series since 2023.1,
      and moves them to `unmaintained/` past their maintained phase);
    - `master` is the newest release whose cycle had begun at `when`, a cycle
      beginning at 00:00 UTC of its start day;
    - anything else (feature branches, unknown releases) is history only, and
      so is a release that is not active: only active releases get verdicts.
    """
    rel = catalog.release_at(when) if branch == "master" else catalog.release_on_branch(branch)
    return rel.id if rel is not None and rel.active else None
