"""unmerged.py: after a bootstrap, each CI's reports on changes that have not
merged, one query per (CI account, repository), recorded as votes without
moving the stream position; a failing query is counted, the others still run."""
from driverlogd import unmerged
from driverlogd.recorder import Recorder
from driverlogd.store import Store
from tests.verdict_support import ISCSI, catalog, cloudbase_report, comment, ts


def test_one_query_per_ci_account_and_repository():
    asked = [q for _, q in unmerged.queries(catalog(), limit=7)]
    assert "(status:{abandoned} OR status:{open}) project:{openstack/cinder} " \
           "commentby:{cinder_smb3_ci} limit:7" in asked
    assert len(asked) == len(set(asked)) == 3     # cinder_smb3_ci, acme-ci, foo-ci


def test_reports_on_open_changes_become_votes_and_the_position_stays(tmp_path):
    rec = Recorder(Store(str(tmp_path / "state.db")), catalog())
    open_change = [comment(5, 1, "cinder_smb3_ci", cloudbase_report(1), ts("2018-09-01"))]

    def query(q):
        if "acme-ci" in q:
            raise RuntimeError("Gerrit said no")
        return open_change if "cinder_smb3_ci" in q else []
    result = unmerged.read(rec.catalog, query, rec)
    assert result == {"queries": 3, "failed": 1, "events": 1, "stopped": False}
    assert [v["change"] for v in rec.reads.votes(ISCSI)] == [5]
    assert rec.reads.verdicts(ISCSI) == {}       # not merged: no verdict
    assert rec.position() is None


def test_a_stop_ends_the_reading_between_queries():
    import threading
    rec = Recorder(Store(":memory:"), catalog())
    stopping, asked = threading.Event(), []

    def query(q):
        asked.append(q)
        stopping.set()                  # the daemon is told to stop meanwhile
        return []
    result = unmerged.read(rec.catalog, query, rec, stopping=stopping)
    assert len(asked) == 1 and result["stopped"]      # the bootstrap is not done
