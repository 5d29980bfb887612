"""Re-derive votes and verdicts when the catalog changes, from the CI reports
the store kept: a driver whose CI account, repository or patterns changed
(every driver with CI when the releases changed) gets its votes again; a
driver gone from the catalog loses them. History is kept."""
import logging
from typing import Dict, List, Tuple

from driverlogd.verdict.votes import driver_signature, releases_signature, votes_for

log = logging.getLogger(__name__)


def reconcile(store, catalog) -> int:
    """Bring the store's votes and verdicts in line with `catalog`, inside the
    caller's transaction. Returns how many drivers were re-derived."""
    stored = store.signatures()
    remap = store.meta("releases") != releases_signature(catalog)
    redo: Dict[Tuple[str, str], List] = {}
    for d in catalog.drivers:
        sig = driver_signature(d)
        if stored.get(d.key) != sig or (remap and sig):
            did = store.driver_id(d.key)
            store.drop_votes(did)
            store.set_signature(did, sig)
            if sig:
                redo.setdefault((d.ci.id, d.ci_repo), []).append(d)
    for key, sig in stored.items():
        if key not in catalog.by_key and sig is not None:
            did = store.driver_id(key)       # gone from the catalog
            store.drop_votes(did)
            store.set_signature(did, None)
    for (author, repo), drivers in redo.items():
        for cid, branch, ts, message in store.comments_by(author, repo).fetchall():
            for v in votes_for(drivers, message, branch, ts, catalog):
                store.put_vote(store.driver_id(v.driver), cid, v.release, v.passed, v.line, ts)
        for d in drivers:
            for did, release in store.pairs_of_driver(store.driver_id(d.key)):
                store.refresh_verdict(did, release)
    done = sum(len(v) for v in redo.values())
    if done:
        log.info("re-derived votes of %d driver(s) from stored CI reports", done)
    store.set_meta("releases", releases_signature(catalog))
    return done
