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
