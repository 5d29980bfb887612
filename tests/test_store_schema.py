"""The store's file: WAL, versioned migrations, refusal of a newer schema."""
import sqlite3

import pytest

from driverlogd.store import Store, StoreError
from driverlogd.store.schema import MIGRATIONS


def test_fresh_store_is_wal_and_migrated(tmp_path):
    s = Store(str(tmp_path / "sub" / "state.db"))
    assert s.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert s.db.execute("PRAGMA synchronous").fetchone()[0] == 2       # FULL
    assert s.schema_version() == MIGRATIONS[-1][0]
    assert s.position() is None
    s.close()
    again = Store(str(tmp_path / "sub" / "state.db"), synchronous="NORMAL")
    assert again.db.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] == len(MIGRATIONS)
    assert again.db.execute("PRAGMA synchronous").fetchone()[0] == 1
    again.close()


def test_newer_schema_is_refused_with_a_message(tmp_path):
    path = str(tmp_path / "state.db")
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute("INSERT INTO schema_migrations VALUES (999, 'future', 0)")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer than this program"):
        Store(path)


def test_not_a_database(tmp_path):
    path = tmp_path / "state.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot open"):
        Store(str(path))


def test_transaction_rolls_back_as_a_whole(tmp_path):
    s = Store(str(tmp_path / "state.db"))
    with pytest.raises(RuntimeError):
        with s.transaction():
            s.advance_position(100)
            s.put_comment("p", 1, 1, "ci", "master", "u", 100, "Patch Set 1: x")
            raise RuntimeError("crash between writes")
    assert s.position() is None
    assert s.db.execute("SELECT COUNT(*) FROM comments").fetchone()[0] == 0


def test_position_never_moves_back(tmp_path):
    s = Store(str(tmp_path / "state.db"))
    with s.transaction():
        s.advance_position(200)
        s.advance_position(100)
    assert s.position() == 200


def test_version_3_store_migrates_to_rowless_tables_keeping_every_row(tmp_path, monkeypatch,
                                                                       caplog):
    """Migration 4 rebuilds votes, verdicts, merges and questions WITHOUT ROWID (one
    B-tree fewer per row written): a store made by version 3 keeps its rows, and
    the log says what the (on a big store, long) first start is doing."""
    from driverlogd.store import db as store_db
    path = str(tmp_path / "state.db")
    monkeypatch.setattr(store_db, "MIGRATIONS", MIGRATIONS[:3])
    old = Store(path)
    with old.transaction():
        did = old.driver_id(("nova", "Acme", "drv"))
        other = old.driver_id(("nova", "Acme", "drv2"))
        cid = old.put_comment("p", 7, 2, "ci", "master", "u", 100, "Patch Set 2: ok")[0]
        old.put_new_votes([(did, cid, "Epoxy", 1, "ok line", 100),
                           (other, cid, None, 0, "bad line", 100)])
        old.note_merge("p", 7, 2)
        old.ask("p", 8, "merged-patchset", 50)
        assert old.refresh_verdict(did, "Epoxy")[0]
    tables = ("votes", "verdicts", "merges", "questions")
    rows = {t: sorted(old.db.execute(f"SELECT * FROM {t}").fetchall()) for t in tables}
    assert old.schema_version() == 3
    old.close()
    monkeypatch.setattr(store_db, "MIGRATIONS", MIGRATIONS)
    caplog.set_level("INFO", logger="driverlogd.store.db")
    s = Store(path)
    assert s.schema_version() == MIGRATIONS[-1][0]
    said = [r.getMessage() for r in caplog.records]
    assert said[0].startswith("upgrading the state database to schema 4: votes, verdicts"), said
    assert said[1].startswith("state database at schema 4 ("), said
    for t in tables:
        assert sorted(s.db.execute(f"SELECT * FROM {t}").fetchall()) == rows[t], t
        sql = s.db.execute("SELECT sql FROM sqlite_master WHERE name = ?", (t,)).fetchone()[0]
        assert sql.rstrip().endswith("WITHOUT ROWID"), t
    indexes = {n for (n,) in s.db.execute("SELECT name FROM sqlite_master WHERE "
                                          "type = 'index' AND tbl_name = 'votes'")}
    assert indexes == {"votes_by_time"}       # votes_by_release: gone in schema 5
    assert s.db.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND "
                        "tbl_name = 'verdicts'").fetchall() == [("verdicts_by_comment",)]
    assert s.verdict_id(did, "Epoxy") == cid
    assert sorted(s.pairs_on_change("p", 7)) == [(did, "Epoxy")]
    assert s.questions_due(60, 10) == [("p", 8, "merged-patchset", 0)]
    assert s.db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert s.integrity() == "ok"
    s.close()


def test_foreign_keys_are_looked_up_except_in_an_unchecked_transaction(tmp_path):
    """The recorder's transactions skip the lookups; every other writer's keep them."""
    s = Store(str(tmp_path / "state.db"))
    orphan = [(1, 12345, "Epoxy", 1, "ok", 100)]       # neither driver 1 nor comment 12345
    with s.transaction(checked=False):
        s.put_new_votes(orphan)
        s.db.execute("DELETE FROM votes")
    for _ in range(2):
        with pytest.raises(sqlite3.IntegrityError):
            with s.transaction():
                s.put_new_votes(orphan)
    s.close()


def test_an_sqlite_too_old_for_the_store_is_refused_with_a_message(tmp_path, monkeypatch):
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 23, 1))
    monkeypatch.setattr(sqlite3, "sqlite_version", "3.23.1")
    with pytest.raises(StoreError, match=r"SQLite 3\.23\.1 is too old: .* needs 3\.24\.0"):
        Store(str(tmp_path / "state.db"))


def test_the_asker_reads_due_questions_from_an_index_not_a_sort():
    s = Store(":memory:")
    plans = {}
    for name, read in (("due", lambda: s.questions_due(0, 50)), ("next", s.next_question_due)):
        sql = []
        s.db.set_trace_callback(sql.append)      # the statement as the store runs it
        read()
        s.db.set_trace_callback(None)
        plans[name] = " / ".join(r[-1] for r in s.db.execute("EXPLAIN QUERY PLAN " + sql[0]))
    assert "questions_by_due" in plans["due"] and "TEMP B-TREE" not in plans["due"], plans
    assert "questions_by_due" in plans["next"], plans
    s.close()
