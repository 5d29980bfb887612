"""SQLite store: raw CI reports, merges, votes, verdicts, questions for
Gerrit and the stream position. This file opens it and holds the stream
position and drivers; reports.py, verdicts.py, questions.py and retention.py
the rest.

Only SQL lives here; the recorder decides what to write. Callers group the
effects of one event in `with store.transaction():`, which commits them with
the stream position or not at all.

Durability: WAL journal. synchronous=FULL (default) fsyncs the WAL at every
commit, so an acknowledged event survives power loss too; NORMAL survives a
process crash (SIGKILL) but may lose the last commits on power loss, which
a catch-up from the (equally rolled back) position re-fetches.
"""
import contextlib
import logging
import os
import sqlite3
import time
from typing import Dict, Optional

from driverlogd.catalog.model import DriverKey
from driverlogd.store.checkpoint import BACKSTOP_PAGES, Checkpointer
from driverlogd.store.questions import Questions
from driverlogd.store.reports import Reports, digest
from driverlogd.store.retention import Retention
from driverlogd.store.schema import MIGRATIONS
from driverlogd.store.verdicts import Verdicts, detail

__all__ = ["Store", "StoreError", "detail", "digest"]
MIN_SQLITE = (3, 24, 0)     # upserts: INSERT ... ON CONFLICT ... DO; Debian 12 has 3.40
log = logging.getLogger(__name__)


class StoreError(Exception):
    """The database cannot be opened or is newer than this program."""


class Store(Reports, Verdicts, Questions, Retention):
    def __init__(self, path: str, synchronous: str = "FULL"):
        if synchronous not in ("FULL", "NORMAL"):
            raise ValueError("synchronous must be FULL or NORMAL")
        if sqlite3.sqlite_version_info < MIN_SQLITE:
            raise StoreError(f"SQLite {sqlite3.sqlite_version} is too old: the state database "
                             f"needs {'.'.join(map(str, MIN_SQLITE))} or newer (upserts)")
        if path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        try:
            # Autocommit mode: transactions are explicit BEGIN IMMEDIATE/COMMIT.
            self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute(f"PRAGMA synchronous={synchronous}")
            self.db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{path}: cannot open the state database: {e}") from None
        self._driver_ids: Dict[DriverKey, int] = {}
        self._in_tx = False
        self._unchecked = False        # foreign keys off (see transaction)
        self.checkpointer = None
        if path != ":memory:":
            self.checkpointer = Checkpointer(path)
            self.db.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")

    def close(self):
        if self.checkpointer is not None:
            self.checkpointer.close()
        self.db.close()

    # -- transactions and schema -------------------------------------------

    @contextlib.contextmanager
    def transaction(self, checked: bool = True):
        """`checked=False`: foreign keys are not looked up (for a writer whose
        rows name only parents it wrote or read in the same transaction: the
        recorder; two lookups were a third of a vote's insert)."""
        if self._in_tx:          # nested: part of the enclosing transaction
            yield
            return
        if checked == self._unchecked:     # a no-op inside a transaction: set before it
            self.db.execute(f"PRAGMA foreign_keys={'ON' if checked else 'OFF'}")
            self._unchecked = not checked
        self.db.execute("BEGIN IMMEDIATE")
        self._in_tx = True
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            self._driver_ids.clear()     # ids made in the rolled-back tx are gone
            raise
        finally:
            self._in_tx = False
        self.db.execute("COMMIT")
        if self.checkpointer is not None:
            self.checkpointer.nudge()

    def _migrate(self):
        self.db.execute("CREATE TABLE IF NOT EXISTS schema_migrations ("
                        "version INTEGER PRIMARY KEY, description TEXT NOT NULL, "
                        "applied_at INTEGER NOT NULL)")
        done = {v for (v,) in self.db.execute("SELECT version FROM schema_migrations")}
        known = {v for v, _, _ in MIGRATIONS}
        if done - known:
            raise StoreError(f"schema version {max(done)} is newer than this program knows")
        for version, description, sql in MIGRATIONS:
            if version in done:
                continue
            if done:     # an existing store: a big one can take a while (schema 4: ~6 s per 1M votes)
                log.info("upgrading the state database to schema %d: %s ...", version, description)
                started = time.monotonic()
            self.db.execute("BEGIN IMMEDIATE")
            try:
                # No ';' inside statements here, but comments may hold one.
                code = "\n".join(line.split("--")[0] for line in sql.splitlines())
                for statement in code.split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)",
                                (version, description, int(time.time())))
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")
            if done:
                log.info("state database at schema %d (%.1f s)", version,
                         time.monotonic() - started)

    def schema_version(self) -> int:
        return self.db.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0]

    # -- position and meta -------------------------------------------------

    def position(self) -> Optional[int]:
        row = self.db.execute("SELECT created_on FROM position WHERE id = 1").fetchone()
        return row[0] if row else None

    def advance_position(self, created_on: int):
        """Never moves back: catch-up replays older events."""
        self.db.execute("INSERT INTO position VALUES (1, ?) ON CONFLICT (id) DO UPDATE "
                        "SET created_on = MAX(created_on, excluded.created_on)", (created_on,))

    def meta(self, key: str) -> Optional[str]:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str):
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # -- drivers -----------------------------------------------------------

    def driver_id(self, key: DriverKey) -> int:
        found = self._driver_ids.get(key)
        if found is None:
            self.db.execute("INSERT OR IGNORE INTO drivers (project_id, vendor, name) "
                            "VALUES (?, ?, ?)", key)
            found = self.db.execute("SELECT id FROM drivers WHERE project_id = ? AND "
                                    "vendor = ? AND name = ?", key).fetchone()[0]
            self._driver_ids[key] = found
        return found

    def known_driver_id(self, key: DriverKey) -> Optional[int]:
        """driver_id() when this store has handed it out already, else None."""
        return self._driver_ids.get(key)

    def driver_keys(self) -> Dict[int, DriverKey]:
        return {i: (p, v, n) for i, p, v, n in
                self.db.execute("SELECT id, project_id, vendor, name FROM drivers")}

    def signatures(self) -> Dict[DriverKey, Optional[str]]:
        return {(p, v, n): s for p, v, n, s in
                self.db.execute("SELECT project_id, vendor, name, signature FROM drivers")}

    def set_signature(self, driver_id: int, signature: Optional[str]):
        self.db.execute("UPDATE drivers SET signature = ? WHERE id = ?", (signature, driver_id))

    def integrity(self) -> str:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0]
