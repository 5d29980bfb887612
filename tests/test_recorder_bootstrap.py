"""Bootstrap on an empty store through a fake `query` callable (the unit edge
the service wires to the Gerrit query client)."""
import json
import logging
import pathlib
import re

import pytest

from driverlogd.bootstrap import bootstrap, needs_bootstrap, queries
from driverlogd.catalog.model import Catalog
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


def make_query(data, asked):
    def query(q):
        terms = dict(re.findall(r"(\w+):\{([^}]*)\}", q))
        branches = re.findall(r"branch:\{([^}]*)\}", q)
        asked.append(q)
        if terms["commentby"] == "acme-ci":
            raise OSError("connection reset")
        return iter([e for b in branches
                     for e in data.get((terms["project"], b, terms["commentby"]), [])])
    return query


def test_bootstrap_applies_the_rules_and_logs_progress(tmp_path, caplog):
    store = Store(str(tmp_path / "state.db"))
    rec = Recorder(store, catalog())
    asked = []
    assert needs_bootstrap(store)
    with caplog.at_level(logging.INFO):
        summary = bootstrap(rec.catalog, make_query(fake_gerrit(), asked), rec, limit=7)
    # 3 (account, repo) groups x (2 active stable branches + master)
    assert summary == {"queries": 9, "failed": 3, "events": 5}
    assert "status:{merged} project:{openstack/cinder} branch:{master} " \
           "commentby:{cinder_smb3_ci} limit:7" in asked
    # A release's branches are asked together, by name and (were there one) series.
    assert "status:{merged} project:{openstack/cinder} (branch:{stable/rocky} OR " \
           "branch:{unmaintained/rocky}) commentby:{cinder_smb3_ci} limit:7" in asked
    assert "bootstrap 9 of 9" in caplog.text and "connection reset" in caplog.text
    assert rec.reads.verdicts(ISCSI)["Stein"]["patchset"] == 2
    assert rec.reads.verdicts(ISCSI)["Rocky"]["result"] is False
    assert rec.reads.verdicts(SMB3)["Stein"]["result"] is True
    assert rec.reads.verdicts(ACME) == {}
    assert needs_bootstrap(store)               # a query failed: not done
    summary = bootstrap(rec.catalog, make_query(fake_gerrit(), []), rec,
                        groups=[("cinder_smb3_ci", CINDER)])
    assert summary["failed"] == 0


def test_bootstrap_done_is_remembered(tmp_path):
    store = Store(str(tmp_path / "state.db"))
    rec = Recorder(store, catalog())
    bootstrap(rec.catalog, lambda q: iter(()), rec)
    assert not needs_bootstrap(store)


def test_unsafe_values_are_not_queried_but_reported():
    qs = queries(catalog(), groups=[("ci with space", CINDER)])
    assert qs[0][1] == "" and "not a plain Gerrit name" in qs[0][0]


@pytest.mark.skipif(not (CORPUS / "default_data.json").exists(), reason="no shared corpus")
def test_queries_for_the_real_catalog_are_one_per_account_repo_and_branch():
    cat = Catalog.from_data(json.loads((CORPUS / "default_data.json").read_text()))
    qs = queries(cat)
    groups = {(d.ci.id, d.ci_repo) for d in cat.drivers if d.ci}
    assert len(qs) == len({q for _, q in qs}) == len(groups) * (len(cat.active_releases) + 1)
    assert len(groups) < sum(1 for d in cat.drivers if d.ci)   # shared accounts deduplicated
