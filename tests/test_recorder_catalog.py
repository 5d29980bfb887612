"""Catalog reloads re-derive what they affect from the stored reports."""
import pytest

from driverlogd.catalog.model import Catalog
from driverlogd.recorder import Recorder
from driverlogd.store import Store
from tests.verdict_support import (
    ACME,
    CINDER,
    ISCSI,
    SMB3,
    catalog,
    catalog_data,
    cloudbase_report,
    merged_report,
    ts,
)

CB = "cinder_smb3_ci"


@pytest.fixture
def rec(tmp_path):
    store = Store(str(tmp_path / "state.db"))
    r = Recorder(store, catalog(), clock=lambda: ts("2018-10-01"))
    r.handle_batch(merged_report(1, 1, CB, cloudbase_report(1, smb3="FAILURE"), ts("2018-09-01")))
    r.handle_batch(merged_report(2, 1, CB, "Patch Set 1:\n- cinder-smb3-windows-full-tempest x : SUCCESS",
                     ts("2018-09-02")))
    r.handle_batch(merged_report(3, 1, "acme-ci", "Patch Set 1: Build Successful", ts("2018-09-03")))
    yield r
    store.close()


def test_renamed_driver_keeps_its_history_under_the_new_key(rec):
    before = rec.reads.verdicts(SMB3)
    new_key = (CINDER, "Cloudbase", "Windows SMB3 (renamed)")
    assert rec.set_catalog(catalog(smb3_name=new_key[2])) == []
    assert rec.reads.verdicts(new_key) == before and len(rec.reads.votes(new_key)) == 1
    assert rec.reads.verdicts(SMB3) == {} and rec.reads.votes(SMB3) == []
    assert SMB3 not in rec.reads.states()


def test_pattern_change_re_evaluates_stored_reports(rec):
    assert rec.reads.verdicts(SMB3)["Stein"]["change"] == 1
    # the new pattern tolerates a space before the colon: change 2 now counts
    rec.set_catalog(catalog(smb3_pattern=r"cinder-smb3-windows-full-tempest \S+ ?: ?SUCCESS"))
    assert rec.reads.verdicts(SMB3)["Stein"]["change"] == 2
    assert rec.reads.verdicts(ISCSI)["Stein"]["change"] == 1         # untouched


def test_ci_id_change_drops_then_returns_new_groups(rec):
    assert rec.reads.verdicts(ACME)
    new = rec.set_catalog(catalog(acme_ci="acme-new-ci"))
    assert new == [("acme-new-ci", CINDER)]                    # caller may bootstrap these
    assert rec.reads.verdicts(ACME) == {} and rec.reads.status(ACME)["state"] == "unseen"
    rec.set_catalog(catalog())                                 # and back: history was kept
    assert rec.reads.verdicts(ACME)["Stein"]["result"] is True


def test_catalog_changed_while_daemon_was_down(tmp_path, rec):
    path = rec.store.db.execute("PRAGMA database_list").fetchone()[2]
    rec.store.close()
    again = Recorder(Store(path), catalog(smb3_pattern=r"windows-full-tempest \S+ ?: ?SUCCESS"))
    assert again.reads.verdicts(SMB3)["Stein"]["change"] == 2


def test_release_dates_change_re_maps_master(rec):
    d = catalog_data()
    d["releases"].append({"id": "Train", "start": "2018-Aug-30", "active": True})
    rec.set_catalog(Catalog.from_data(d))
    assert sorted(rec.reads.verdicts(ISCSI)) == ["Train"]
    assert rec.reads.votes(ACME)[0]["release"] == "Train"


def test_the_real_catalog_loads_and_routes_a_shared_account(tmp_path):
    import json
    import pathlib

    from driverlogd.recorder import open_recorder
    corpus = pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
    if not (corpus / "default_data.json").exists():
        pytest.skip("no shared corpus")
    cat = Catalog.from_data(json.loads((corpus / "default_data.json").read_text()))
    rec = open_recorder(str(tmp_path / "state"), cat)
    rec.handle_batch(merged_report(9, 1, CB, cloudbase_report(1, smb3="FAILURE"), ts("2018-09-01")))
    got = {k[2]: v["Rocky"]["result"] for k, v in rec.reads.view.verdicts.items()}
    assert got == {"Windows Server iSCSI Cinder driver": True, "Windows SMB3 Cinder driver": False}
    assert (tmp_path / "state" / "driverlog.sqlite3").exists()
    assert sum(1 for s in rec.reads.states().values() if s == "none") == \
        sum(1 for d in cat.drivers if not d.ci)
