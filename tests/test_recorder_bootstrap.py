"""Bootstrap on an empty store through a fake `ask` callable (the unit edge
the service wires to the Gerrit query client's one page)."""
import json
import logging
import pathlib
import re

import pytest

from driverlogd.bootstrap import (
    MAX_PAGES,
    bootstrap,
    branch_groups,
    mark_done,
    needs_bootstrap,
    page_query,
)
from driverlogd.catalog.model import Catalog
from driverlogd.gerrit.query import Answered
from driverlogd.recorder import Recorder
from driverlogd.store import Store
from tests.verdict_support import (
    ACME,
    CINDER,
    ISCSI,
    SMB3,
    catalog,
    cloudbase_report,
    comment,
    merged,
    ts,
)

CORPUS = pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def fake_gerrit():
    """Merged changes per (project, branch, commenter), as the query client yields them."""
    t = ts("2018-09-01")
    return {
        (CINDER, "master", "cinder_smb3_ci"): [
            comment(1, 2, "cinder_smb3_ci", cloudbase_report(2), t, status="MERGED"),
            comment(1, 1, "cinder_smb3_ci", cloudbase_report(1, smb3="FAILURE"), t - 99,
                    status="MERGED"),
            merged(1, 2, t - 50)],
        (CINDER, "stable/rocky", "cinder_smb3_ci"): [
            comment(2, 1, "cinder_smb3_ci", cloudbase_report(1, iscsi="FAILURE"), t,
                    branch="stable/rocky", status="MERGED"),
            merged(2, 1, t, branch="stable/rocky")],
    }


def make_ask(data, asked):
    """One page: the changes of the asked branches, newest first, all of them."""
    def ask(q):
        terms = dict(re.findall(r"(\w+):\{([^}]*)\}", q))
        branches = re.findall(r"branch:\{([^}]*)\}", q)
        asked.append(q)
        if terms["commentby"] == "acme-ci":
            raise OSError("connection reset")
        changes = {}
        for b in branches:
            for e in data.get((terms["project"], b, terms["commentby"]), []):
                changes.setdefault(e.change.number, []).append(e)
        answered = [Answered(n, evs[0].change.branch, max(e.created_on for e in evs), evs)
                    for n, evs in changes.items()]
        return sorted(answered, key=lambda a: -a.updated), False
    return ask


def test_bootstrap_applies_the_rules_and_logs_progress(tmp_path, caplog):
    store = Store(str(tmp_path / "state.db"))
    rec = Recorder(store, catalog())
    asked = []
    assert needs_bootstrap(store)
    with caplog.at_level(logging.INFO):
        summary = bootstrap(rec.catalog, make_ask(fake_gerrit(), asked), rec, limit=7)
    # 3 (account, repo) pairs, one page each: Gerrit said it had no more.
    assert summary == {"pairs": 3, "queries": 3, "failed": 1, "events": 5,
                       "stopped": False}
    # Every active release's branches (by name and, were there one, series) and master.
    assert "status:{merged} project:{openstack/cinder} (branch:{master} OR " \
           "branch:{stable/rocky} OR branch:{stable/stein} OR branch:{unmaintained/rocky} OR " \
           "branch:{unmaintained/stein}) commentby:{cinder_smb3_ci} limit:7" in asked
    assert "bootstrap 3 of 3: foo-ci on openstack/networking-foo: page 1: 0 changes" \
        in caplog.text
    assert "bootstrap 1 of 3: acme-ci on openstack/cinder failed: connection reset" \
        in caplog.text
    assert rec.reads.verdicts(ISCSI)["Stein"]["patchset"] == 2
    assert rec.reads.verdicts(ISCSI)["Rocky"]["result"] is False
    assert rec.reads.verdicts(SMB3)["Stein"]["result"] is True
    assert rec.reads.verdicts(ACME) == {}
    summary = bootstrap(rec.catalog, make_ask(fake_gerrit(), []), rec,
                        groups=[("cinder_smb3_ci", CINDER)])
    assert summary["failed"] == 0


def test_bootstrap_done_is_remembered_once_marked_not_after_the_merged_read_alone(tmp_path):
    store = Store(str(tmp_path / "state.db"))
    rec = Recorder(store, catalog())
    bootstrap(rec.catalog, lambda q: ([], False), rec)
    assert needs_bootstrap(store)       # the changes not merged are still to read
    mark_done(store)
    assert not needs_bootstrap(Store(str(tmp_path / "state.db")))


def test_a_stop_ends_the_bootstrap_between_pages_unfinished(tmp_path):
    import threading
    store = Store(str(tmp_path / "state.db"))
    rec = Recorder(store, catalog())
    stopping, asked = threading.Event(), []

    def ask(q):
        asked.append(q)
        stopping.set()                  # the daemon is told to stop mid-page
        return [], False
    result = bootstrap(rec.catalog, ask, rec, stopping=stopping)
    assert result["stopped"] and len(asked) == 1


def test_unsafe_values_are_not_queried_but_reported(tmp_path, caplog):
    rec = Recorder(Store(str(tmp_path / "state.db")), catalog())
    asked = []
    summary = bootstrap(rec.catalog, make_ask({}, asked), rec, groups=[("ci with space", CINDER)])
    assert summary["failed"] == 1 and asked == []
    assert "not a plain Gerrit name" in caplog.text and "not queried" in caplog.text


@pytest.mark.skipif(not (CORPUS / "default_data.json").exists(), reason="no shared corpus")
def test_first_pages_for_the_real_catalog_are_one_per_account_and_repo():
    cat = Catalog.from_data(json.loads((CORPUS / "default_data.json").read_text()))
    groups = {(d.ci.id, d.ci_repo) for d in cat.drivers if d.ci}
    names = [n for g in branch_groups(cat) for n in g.names]
    firsts = {page_query(ci, repo, names, 50) for ci, repo in groups}
    assert len(firsts) == len(groups) == 106
    assert len(groups) < sum(1 for d in cat.drivers if d.ci)   # shared accounts deduplicated


def test_a_pair_that_never_settles_stops_at_the_page_cap(tmp_path, caplog):
    """Gerrit keeps saying moreChanges and no page holds a report of the CI's:
    the pair stops at MAX_PAGES, says which verdicts are unsettled, and the
    next page asks only what is unsettled, before the oldest change read."""
    rec = Recorder(Store(str(tmp_path / "state.db")), catalog())
    asked = []

    def ask(q):
        asked.append(q)
        n = len(asked)
        when = ts("2018-09-01") - n * 3600
        return [Answered(n, "master", when, [merged(n, 1, when)])], True
    summary = bootstrap(rec.catalog, ask, rec, groups=[("foo-ci", "openstack/networking-foo")])
    assert summary["queries"] == len(asked) == MAX_PAGES
    assert 'before:"2018-09-01 11:00:01"' in asked[1]          # page 1's change, + 1 s
    assert "stopped at 20 pages with Rocky, Stein, master unsettled" in caplog.text
