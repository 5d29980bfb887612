"""The paged bootstrap against the stand-in over real SSH: the same verdicts
as the per-branch queries it replaced (tests/bootstrap_oracle.py), in fewer
queries, on a realistic history (see seed_history)."""
import logging
import re

import pytest

from driverlogd.bootstrap import MAX_PAGES, bootstrap
from driverlogd.catalog.model import Catalog
from driverlogd.demo.traffic import SettableClock
from driverlogd.gerrit.query import GerritQuery
from driverlogd.gerrit.ssh import connect
from driverlogd.metrics import Metrics
from driverlogd.recorder import Recorder
from driverlogd.store import Store
from tests.bootstrap_oracle import catalog_data, per_branch, seed_history, verdicts


@pytest.fixture
def history(standin):
    clock = SettableClock()
    standin.server.store.clock = clock
    seed_history(standin.server, clock)
    return standin


def _recorder(tmp_path, name):
    return Recorder(Store(str(tmp_path / f"{name}.db")), Catalog.from_data(catalog_data()))


def test_pages_give_the_per_branch_verdicts_in_fewer_queries(history, tmp_path, caplog):
    limit = 25
    server = history.server
    conn = connect(history.config())
    try:
        client = GerritQuery(history.config(), Metrics(), connection=conn)
        old = _recorder(tmp_path, "per_branch")
        asked_old = per_branch(old.catalog, client.events, old, limit)
        mark = len(server.commands)
        new = _recorder(tmp_path, "paged")
        with caplog.at_level(logging.INFO):
            summary = bootstrap(new.catalog, client.page, new, limit=limit)
    finally:
        conn.close()
    expected = verdicts(old)
    assert verdicts(new) == expected
    # The history makes the comparison worth something: verdicts on every
    # branch kind, the unmaintained one's included, and a silent CI's.
    releases = {r for v in expected.values() for r in v}
    assert releases == {"Caracal", "Dalmatian", "Epoxy", "Flamingo"}
    assert expected[("openstack/cinder", "Silent", "Silent iSCSI")]

    pages = [c for c in server.commands[mark:] if c.startswith("gerrit query")]
    pairs, groups = 6, 5
    assert summary == {"pairs": pairs, "queries": len(pages), "failed": 0,
                       "events": summary["events"], "stopped": False}
    assert asked_old == pairs * groups
    # One first page per pair asks every branch; the rare branches are asked again.
    firsts = [p for p in pages if "before:" not in p]
    assert len(firsts) == pairs and all(p.count("branch:") == 17 for p in firsts)
    again = [p for p in pages if "before:" in p]
    assert again and all("branch:{master}" not in p or p.count("branch:") < 17 for p in again)
    # Never more pages than the per-branch reading, which read every page.
    old_pages = sum(1 for c in server.commands[:mark] if c.startswith("gerrit query"))
    assert pairs < len(pages) <= old_pages
    assert len(pages) <= pairs * MAX_PAGES
    assert re.search(r"bootstrap 6 of 6: silent-ci on openstack/cinder: page 1: "
                     r"\d+ changes, \d+ events; asking again for ", caplog.text)
    assert "unsettled" not in caplog.text
