"""Branch to release: which release a CI result on a branch speaks for."""
import datetime
from typing import Optional

STABLE = "stable/"


def release_for(catalog, branch: str, when: int) -> Optional[str]:
    """The catalog's release id for a comment on `branch` at `when` (epoch seconds).

    `stable/<x>` is release x when the catalog knows it (case-insensitive);
    `master` is the newest release whose cycle started before the comment's
    day (UTC). Anything else (feature branches, unknown stable branches) is
    history only: None.
    """
    if branch.startswith(STABLE):
        rel = catalog.release(branch[len(STABLE):])
        return rel.id if rel else None
    if branch == "master":
        day = datetime.datetime.fromtimestamp(when, datetime.timezone.utc).date()
        rel = catalog.release_at(day)
        return rel.id if rel else None
    return None
