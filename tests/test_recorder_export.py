"""The merged-catalog export: atomic, debounced, never missing the final state."""
import json
import os

from driverlogd.export import Exporter, document, write_atomic
from driverlogd.recorder import Recorder
from driverlogd.store import Store
from tests.verdict_support import (
    ISCSI,
    catalog,
    catalog_data,
    cloudbase_report,
    merged_report,
    ts,
)


def recorder(tmp_path):
    return Recorder(Store(str(tmp_path / "state.db")), catalog(), clock=lambda: ts("2018-10-01"))


def test_document_merges_catalog_and_verdicts(tmp_path):
    rec = recorder(tmp_path)
    rec.handle_batch(merged_report(1, 1, "cinder_smb3_ci", cloudbase_report(1), ts("2018-09-01")))
    doc = document(rec, now=ts("2018-10-01"))
    by_name = {d["name"]: d for d in doc["drivers"]}
    iscsi = by_name[ISCSI[2]]
    assert iscsi["verdicts"]["Stein"]["result"] is True
    assert set(iscsi["verdicts"]["Stein"]) == {"result", "review_url", "comment", "timestamp",
                                               "change", "patchset"}
    assert iscsi["ci_state"] == "passing" and by_name["No CI"]["ci_state"] == "none"
    assert [r["start"] for r in doc["releases"]] == [r["start"] for r in catalog_data()["releases"]]
    assert iscsi["releases"] == ["Rocky", "Stein"]


def test_emails_only_when_asked(tmp_path):
    data = catalog_data()
    data["drivers"][0]["maintainers"] = [{"name": "A", "email": "a@example.org"}]
    from driverlogd.catalog.model import Catalog
    rec = Recorder(Store(str(tmp_path / "s.db")), Catalog.from_data(data))
    assert document(rec)["drivers"][0]["maintainers"] == [{"name": "A"}]
    assert document(rec, show_emails=True)["drivers"][0]["maintainers"][0]["email"]


def test_write_atomic_leaves_no_temp_files(tmp_path):
    path = tmp_path / "out.json"
    write_atomic(str(path), b"one")
    write_atomic(str(path), b"two")
    assert path.read_bytes() == b"two" and os.listdir(tmp_path) == ["out.json"]


def test_burst_is_debounced_and_final_state_written(tmp_path):
    rec = recorder(tmp_path)
    path = tmp_path / "export.json"
    ex = Exporter(str(path), rec, min_interval=3600)     # at most one write an hour...
    ex.start()
    for n in range(1, 51):
        rec.handle_batch(merged_report(n, 1, "cinder_smb3_ci", cloudbase_report(1), ts("2018-09-01") + n))
    ex.close()                                            # ...but close writes the last state
    assert ex.writes <= 2
    doc = json.loads(path.read_text())
    iscsi = [d for d in doc["drivers"] if d["name"] == ISCSI[2]][0]
    assert iscsi["verdicts"]["Stein"]["change"] == 50


def test_failed_write_is_retried(tmp_path):
    rec = recorder(tmp_path)
    ex = Exporter(str(tmp_path / "missing-dir" / "x.json"), rec)
    assert ex.flush() is False                            # logged, still dirty
    os.mkdir(tmp_path / "missing-dir")
    assert ex.flush() is True
