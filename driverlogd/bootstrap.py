"""Fill an empty store the way the original batch job did: for each CI
account and repository, and each active release's branches plus master, ask
Gerrit for the recent merged changes the CI commented on, and record them.

`commentby:`, not `reviewer:`: since Gerrit 2.14 an account that comments
without voting (most third-party CIs) is CC, which `reviewer:` does not find.
"""
import logging
from typing import Callable, Iterable, List, Optional, Tuple

from driverlogd.gerrit.quoting import UnsafeValue, any_of, term
from driverlogd.verdict.votes import ci_groups

DONE_KEY = "bootstrap_done"


def queries(catalog, limit: int = 50,
            groups: Optional[Iterable[Tuple[str, str]]] = None) -> List[Tuple[str, str]]:
    """(description, `gerrit query` string or '' when a value is unsafe), one
    per (CI account, repo, active release) and one for master: a release's
    branches are asked together (stable/ and unmaintained/, by series and by
    name), so each release gets its own `limit` of recent merges."""
    groups = sorted(groups if groups is not None else ci_groups(catalog))
    branches = [(r.id, r.branch_names) for r in catalog.active_releases] + \
        [("master", ("master",))]
    out = []
    for ci_id, repo in groups:
        for label, names in branches:
            what = f"{ci_id} on {repo} {label}"
            try:
                out.append((what, " ".join((term("status", "merged"), term("project", repo),
                                            any_of("branch", names), term("commentby", ci_id),
                                            term("limit", limit)))))
            except UnsafeValue as e:        # the gate refuses these; say so, go on
                out.append((f"{what}: {e}", ""))
    return out


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
    for n, (what, q) in enumerate(todo, 1):
        try:
            if not q:
                raise UnsafeValue("not queried")
            batch = list(query(q))
        except Exception as e:      # the query client reports why; go on with the rest
            failed += 1
            log.warning("bootstrap %d of %d: %s failed: %s", n, len(todo), what, e)
            continue
        recorder.handle_batch(batch)
        events += len(batch)
        log.info("bootstrap %d of %d: %s: %d events", n, len(todo), what, len(batch))
    if not failed and groups is None:
        with recorder.store.transaction():
            recorder.store.set_meta(DONE_KEY, "1")
    return {"queries": len(todo), "failed": failed, "events": events}


def needs_bootstrap(store) -> bool:
    """True until a full bootstrap ran without a failed query."""
    return store.meta(DONE_KEY) is None
