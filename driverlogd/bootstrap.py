"""Fill an empty store the way the original batch job did: for each CI
account and repository, and each active release branch plus master, ask
Gerrit for the recent merged changes the CI commented on, and record them.
"""
import logging
import re
from typing import Callable, Iterable, List, Optional, Tuple

from driverlogd.verdict import ci_groups

_PLAIN = re.compile(r"^[A-Za-z0-9._/@+-]+$")
DONE_KEY = "bootstrap_done"


def _term(name: str, value: str) -> str:
    if _PLAIN.match(value):
        return f"{name}:{value}"
    return name + ':"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def queries(catalog, limit: int = 50,
            groups: Optional[Iterable[Tuple[str, str]]] = None) -> List[str]:
    """The `gerrit query` strings to run: one per (CI account, repo, branch)."""
    groups = sorted(groups if groups is not None else ci_groups(catalog))
    branches = [f"stable/{r.id.lower()}" for r in catalog.active_releases] + ["master"]
    return [" ".join((_term("status", "merged"), _term("project", repo),
                      _term("branch", branch), _term("reviewer", ci_id), f"limit:{limit}"))
            for ci_id, repo in groups for branch in branches]


def bootstrap(catalog, query: Callable[[str], Iterable], recorder, log=None,
              limit: int = 50, groups=None) -> dict:
    """Run every query, record what it yields (one transaction per query).

    `query(q)` yields CommentAdded / ChangeMerged events. A failing query is
    logged and counted, the others still run; the store remembers a bootstrap
    that completed without failures (see `needs_bootstrap`).
    Returns {"queries": int, "failed": int, "events": int}.
    """
    log = log or logging.getLogger(__name__)
    todo = queries(catalog, limit, groups)
    failed = events = 0
    for n, q in enumerate(todo, 1):
        try:
            batch = list(query(q))
        except Exception as e:      # the query client reports why; go on with the rest
            failed += 1
            log.warning("bootstrap %d of %d: %s failed: %s", n, len(todo), q, e)
            continue
        recorder.handle_batch(batch)
        events += len(batch)
        log.info("bootstrap %d of %d: %s: %d events", n, len(todo), q, len(batch))
    if not failed and groups is None:
        with recorder.store.transaction():
            recorder.store.set_meta(DONE_KEY, "1")
    return {"queries": len(todo), "failed": failed, "events": events}


def needs_bootstrap(store) -> bool:
    """True until a full bootstrap ran without a failed query."""
    return store.meta(DONE_KEY) is None
