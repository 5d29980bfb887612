"""After a bootstrap: each CI's reports on changes that have not merged, from
before the daemon watched.

The bootstrap reads merged changes only, as the original batch job did, and
that is all a verdict needs. But votes count every report: a driver's vote
history, its health (pass and flip rates), and its state before its first
verdict. A replica that watched all along holds the reports on changes still
under review or abandoned; one that starts from an empty state would not, so
the two would disagree (issue 13, "Replicas that agree"). One query per (CI
account, repository) asks Gerrit for them: the newest `limit` such changes.

Recorded like any Gerrit answer (idempotent), without moving the stream
position: the bootstrap's reading decides where the stream's catch-up starts.
What still differs between two replicas is history past these limits; see
docs/operations.md, "Running replicas".
"""
import logging
from typing import Callable, Iterable, List, Optional, Tuple

from driverlogd.gerrit.quoting import UnsafeValue, any_of, term
from driverlogd.verdict.votes import ci_groups


def queries(catalog, limit: int = 50,
            groups: Optional[Iterable[Tuple[str, str]]] = None) -> List[Tuple[str, str]]:
    """(description, `gerrit query` string or '' when a value is unsafe), one
    per (CI account, repository)."""
    out = []
    for ci_id, repo in sorted(groups if groups is not None else ci_groups(catalog)):
        what = f"{ci_id} on {repo}, changes not merged"
        try:
            out.append((what, " ".join((any_of("status", ("open", "abandoned")),
                                        term("project", repo), term("commentby", ci_id),
                                        term("limit", limit)))))
        except UnsafeValue as e:        # the gate refuses these; say so, go on
            out.append((f"{what}: {e}", ""))
    return out


def read(catalog, query: Callable[[str], Iterable], recorder, log=None, limit: int = 50,
         groups=None, stopping=None) -> dict:
    """Run every query, record what it yields (one transaction per query).
    A failing query is logged and counted; it costs vote history, never a
    verdict, and leaves the bootstrap not done (it runs again). A set
    `stopping` (an Event) ends it between queries, as it does the bootstrap.
    Returns {"queries": int, "failed": int, "events": int, "stopped": bool}."""
    log = log or logging.getLogger(__name__)
    todo = queries(catalog, limit, groups)
    failed = events = 0
    stopped = False
    for what, q in todo:
        if stopping is not None and stopping.is_set():
            stopped = True
            break
        try:
            if not q:
                raise UnsafeValue("not queried")
            batch = list(query(q))
        except Exception as e:      # the query client reports why; go on with the rest
            failed += 1
            log.warning("reading %s failed: %s", what, e)
            continue
        recorder.handle_batch(batch, advance=False)
        events += len(batch)
    return {"queries": len(todo), "failed": failed, "events": events, "stopped": stopped}
