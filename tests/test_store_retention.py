"""Retention: old CI reports leave the real SQLite store, except what a verdict,
a health figure or a pending question still reads."""
import pytest

from driverlogd import retention
from driverlogd.metrics import Metrics
from driverlogd.recorder import Recorder
from driverlogd.store import Store
from driverlogd.verdict.health import WINDOW_SECONDS
from tests.verdict_support import ISCSI, SMB3, catalog, cloudbase_report, comment, merged, ts

CB = "cinder_smb3_ci"
NOW = ts("2018-10-01")


@pytest.fixture
def rec(tmp_path):
    store = Store(str(tmp_path / "state.db"))
    r = Recorder(store, catalog(), metrics=Metrics(), clock=lambda: NOW)
    yield r
    store.close()


def reports(rec):
    return {c: t for c, t in rec.store.db.execute("SELECT change, created_on FROM comments")}


def test_old_reports_go_but_verdicts_newest_votes_and_questions_stay(rec):
    metrics = Metrics()
    # A verdict from May: merged, so it is what the dashboard shows for Rocky.
    rec.handle(comment(100, 1, CB, cloudbase_report(1), ts("2018-05-01")))
    rec.handle(merged(100, 1, ts("2018-05-01") + 60))
    verdict = rec.reads.verdicts(ISCSI)["Rocky"]
    # A report on a change Gerrit has not yet said which patch set merged of:
    # its question's answer will judge it.
    rec.handle(comment(300, 1, CB, cloudbase_report(1), ts("2018-05-10"), status="MERGED"))
    # 25 later reports on changes under review, all older than 30 days:
    # each driver's newest 20 stay, the 5 oldest go.
    for n in range(25):
        rec.handle(comment(1000 + n, 1, CB, cloudbase_report(1, iscsi="FAILURE"),
                           ts("2018-06-01") + n * 3600))
    health = rec.reads.health(ISCSI, NOW)
    assert len(reports(rec)) == 27

    pruned = retention.prune(rec, 30, metrics, now=NOW, batch=4, pause=lambda: None)

    assert pruned == 5
    left = reports(rec)
    assert 100 in left and 300 in left
    assert sorted(c for c in left if c >= 1000) == list(range(1005, 1025))
    assert rec.reads.verdicts(ISCSI)["Rocky"] == verdict
    assert rec.store.verdict_id(rec.store.find_driver_id(ISCSI), "Rocky") is not None
    assert rec.reads.health(ISCSI, NOW) == health and rec.reads.health(SMB3, NOW)["last_n"]
    assert len(rec.reads.votes(ISCSI, 500)) == 22          # the 5 pruned took their votes
    assert metrics.registry.get_sample_value("driverlog_reports_pruned_total") == 5
    assert retention.prune(rec, 30, metrics, now=NOW, pause=lambda: None) == 0
    assert rec.store.integrity() == "ok"


def test_recent_reports_stay_whatever_the_setting(rec):
    for n in range(25):       # all inside the 30 days health_30d reads
        rec.handle(comment(2000 + n, 1, CB, cloudbase_report(1), NOW - 20 * 86400 + n))
    assert retention.prune(rec, 1, now=NOW, pause=lambda: None) == 0
    assert retention.cutoff(NOW, 1) == NOW - WINDOW_SECONDS
    assert retention.cutoff(NOW, 90) == NOW - 90 * 86400
