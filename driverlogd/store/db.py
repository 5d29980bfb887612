"""SQLite store: raw CI reports, merges, votes, verdicts and stream position.

Only SQL lives here; the recorder decides what to write. Callers group the
effects of one event in `with store.transaction():`, which commits them with
the stream position or not at all.

Durability: WAL journal. synchronous=FULL (default) fsyncs the WAL at every
commit, so an acknowledged event survives power loss too; NORMAL survives a
process crash (SIGKILL) but may lose the last commits on power loss, which
a catch-up from the (equally rolled back) position re-fetches.
"""
import contextlib
import hashlib
import os
import sqlite3
import time
from typing import Dict, Iterator, List, Optional, Tuple

from driverlogd.store.schema import MIGRATIONS

DriverKey = Tuple[str, str, str]

# The verdict rule: of a driver's votes for a release, those on a change's
# merged patch set, newest first (ties broken the same way everywhere).
_VERDICT_RULE = """
JOIN merges m ON m.project = c.project AND m.change = c.change
WHERE v.driver_id = ?1 AND v.release = ?2
  AND c.patchset = COALESCE(m.patchset, m.hint)
ORDER BY v.created_on DESC, c.change DESC, c.patchset DESC, c.digest DESC
LIMIT 1"""
VERDICT_SQL = "SELECT c.id FROM votes v JOIN comments c ON c.id = v.comment_id" + _VERDICT_RULE

# What a verdict or vote reads like outside the store.
DETAIL_SQL = """
SELECT v.driver_id, v.release, v.passed, v.line, c.created_on, c.change,
       c.patchset, c.url, c.branch, c.id
FROM votes v JOIN comments c ON c.id = v.comment_id"""

# VERDICT_SQL's choice, read as DETAIL_SQL reads it, and the stored verdict's
# comment id: one statement where three were.
_BEST_SQL = DETAIL_SQL.replace("SELECT ", "SELECT (SELECT comment_id FROM verdicts WHERE "
                               "driver_id = ?1 AND release = ?2), ", 1) + _VERDICT_RULE


# Verdict order's key (newest first) and the detail, for offer_verdict():
# a change's best verdict-worthy vote for a driver and release (CROSS JOIN:
# from the change's few comments, never from all the driver's votes) ...
_CHANGE_BEST_SQL = """
SELECT c.id, v.created_on, c.change, c.patchset, c.digest, v.driver_id, v.release, v.passed,
       v.line, c.created_on, c.change, c.patchset, c.url, c.branch, c.id
FROM comments c CROSS JOIN votes v ON v.driver_id = ?1 AND v.comment_id = c.id
JOIN merges m ON m.project = c.project AND m.change = c.change
WHERE c.project = ?3 AND c.change = ?4 AND v.release = ?2
  AND c.patchset = COALESCE(m.patchset, m.hint)
ORDER BY v.created_on DESC, c.patchset DESC, c.digest DESC
LIMIT 1"""
# ... and the stored verdict.
_CURRENT_SQL = DETAIL_SQL.replace(
    "SELECT ", "SELECT c.id, v.created_on, c.change, c.patchset, c.digest, ", 1) + """
JOIN verdicts d ON d.driver_id = v.driver_id AND d.comment_id = v.comment_id
WHERE d.driver_id = ?1 AND d.release = ?2"""
# Both in one row (the stored verdict's columns NULL when there is none).
_OFFER_SQL = f"SELECT * FROM ({_CHANGE_BEST_SQL}) LEFT JOIN ({_CURRENT_SQL}) ON 1"


class StoreError(Exception):
    """The database cannot be opened or is newer than this program."""


def digest(message: str) -> str:
    return hashlib.sha1(message.encode("utf-8", "surrogatepass")).hexdigest()


def _newest(a, b):
    return b if a is None else a if b is None else max(a, b)


def _coalesce(a, b):
    return b if a is None else a


def detail(row) -> dict:
    """A vote or verdict as the read model shows it."""
    _, release, passed, line, ts, change, ps, url, branch, _ = row
    return {"result": bool(passed), "review_url": url, "comment": line,
            "timestamp": ts, "change": change, "patchset": ps,
            "branch": branch, "release": release}


class Store:
    def __init__(self, path: str, synchronous: str = "FULL"):
        if synchronous not in ("FULL", "NORMAL"):
            raise ValueError("synchronous must be FULL or NORMAL")
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

    def close(self):
        self.db.close()

    # -- transactions and schema -------------------------------------------

    @contextlib.contextmanager
    def transaction(self):
        if self._in_tx:          # nested: part of the enclosing transaction
            yield
            return
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

    def driver_keys(self) -> Dict[int, DriverKey]:
        return {i: (p, v, n) for i, p, v, n in
                self.db.execute("SELECT id, project_id, vendor, name FROM drivers")}

    def signatures(self) -> Dict[DriverKey, Optional[str]]:
        return {(p, v, n): s for p, v, n, s in
                self.db.execute("SELECT project_id, vendor, name, signature FROM drivers")}

    def set_signature(self, driver_id: int, signature: Optional[str]):
        self.db.execute("UPDATE drivers SET signature = ? WHERE id = ?", (signature, driver_id))

    # -- comments and merges -------------------------------------------------

    def put_comment(self, project, change, patchset, author, branch, url, created_on,
                    message) -> Tuple[int, int, bool, bool]:
        """Store a report once; returns (id, its time, whether the row changed,
        whether it is new).

        A replay with a later stamp keeps the later one, so the outcome does
        not depend on which copy came first.
        """
        key = (project, change, patchset, author, digest(message))
        # Insert first: a new report (the usual case) costs one statement.
        cur = self.db.execute("INSERT INTO comments (project, change, patchset, author, "
                              "digest, branch, url, created_on, message) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (project, "
                              "change, patchset, author, digest) DO NOTHING",
                              key + (branch, url, created_on, message))
        if cur.rowcount == 1:
            return cur.lastrowid, created_on, True, True
        row = self.db.execute("SELECT id, created_on FROM comments WHERE project = ? AND "
                              "change = ? AND patchset = ? AND author = ? AND digest = ?",
                              key).fetchone()
        if created_on > row[1]:
            self.db.execute("UPDATE comments SET created_on = ? WHERE id = ?",
                            (created_on, row[0]))
            self.db.execute("UPDATE votes SET created_on = ? WHERE comment_id = ?",
                            (created_on, row[0]))
            return row[0], created_on, True, False
        return row[0], row[1], False, False

    def comments_by(self, author: str, project: str) -> Iterator[tuple]:
        """(id, branch, created_on, message) of an account's reports on a repo."""
        return self.db.execute("SELECT id, branch, created_on, message FROM comments "
                               "WHERE author = ? AND project = ?", (author, project))

    def all_comments(self) -> Iterator[tuple]:
        return self.db.execute("SELECT id, author, project, branch, created_on, message "
                               "FROM comments")

    def note_merge(self, project: str, change: int, patchset: Optional[int] = None,
                   hint: Optional[int] = None) -> Tuple[Optional[int], Optional[int]]:
        """Record what is known of a change's merge; returns the effective merged
        patch set (change-merged's, else the hint) before and after. When they
        differ, verdicts on the change need re-checking."""
        row = self.db.execute("SELECT patchset, hint FROM merges WHERE project = ? AND "
                              "change = ?", (project, change)).fetchone()
        old = row or (None, None)
        new = (_newest(old[0], patchset), _newest(old[1], hint))
        if row is None or new != old:
            self.db.execute("INSERT OR REPLACE INTO merges VALUES (?, ?, ?, ?)",
                            (project, change) + new)
        return _coalesce(*old), _coalesce(*new)

    def merged_patchset(self, project: str, change: int) -> Optional[int]:
        row = self.db.execute("SELECT COALESCE(patchset, hint) FROM merges WHERE "
                              "project = ? AND change = ?", (project, change)).fetchone()
        return row[0] if row else None

    # -- votes and verdicts ------------------------------------------------

    def put_vote(self, driver_id, comment_id, release, passed, line, created_on,
                 fresh: bool = False) -> Optional[str]:
        """Upsert; returns the release it had before when that differed.
        `fresh`: the comment was inserted in this transaction (comments are
        never deleted, so no vote on it exists yet): nothing to read first."""
        row = None if fresh else self.db.execute(
            "SELECT release FROM votes WHERE driver_id = ? AND comment_id = ?",
            (driver_id, comment_id)).fetchone()
        self.db.execute("INSERT OR REPLACE INTO votes VALUES (?, ?, ?, ?, ?, ?)",
                        (driver_id, comment_id, release, int(passed), line, created_on))
        return row[0] if row and row[0] != release else None

    def drop_votes(self, driver_id: int):
        self.db.execute("DELETE FROM verdicts WHERE driver_id = ?", (driver_id,))
        self.db.execute("DELETE FROM votes WHERE driver_id = ?", (driver_id,))

    def pairs_on_change(self, project: str, change: int) -> List[Tuple[int, str]]:
        return self.db.execute(
            "SELECT DISTINCT v.driver_id, v.release FROM comments c JOIN votes v "
            "ON v.comment_id = c.id WHERE c.project = ? AND c.change = ? "
            "AND v.release IS NOT NULL", (project, change)).fetchall()

    def pairs_of_driver(self, driver_id: int) -> List[Tuple[int, str]]:
        return self.db.execute("SELECT DISTINCT driver_id, release FROM votes WHERE "
                               "driver_id = ? AND release IS NOT NULL", (driver_id,)).fetchall()

    def refresh_verdict(self, driver_id: int, release: str) -> Tuple[bool, Optional[dict]]:
        """Make the stored verdict the newest vote on a merged patch set.

        Returns (changed, verdict detail or None).
        """
        row = self.db.execute(_BEST_SQL, (driver_id, release)).fetchone()
        if row is None:
            best = None
            old = self.db.execute("SELECT comment_id FROM verdicts WHERE driver_id = ? AND "
                                  "release = ?", (driver_id, release)).fetchone()
            old = old[0] if old else None
        else:
            old, row = row[0], row[1:]
            best = row[-1]
        if best == old:
            return False, None if row is None else detail(row)
        if best is None:
            self.db.execute("DELETE FROM verdicts WHERE driver_id = ? AND release = ?",
                            (driver_id, release))
            return True, None
        self.db.execute("INSERT OR REPLACE INTO verdicts VALUES (?, ?, ?)",
                        (driver_id, release, best))
        return True, detail(row)

    def offer_verdict(self, driver_id: int, release: str, project: str,
                      change: int) -> Tuple[bool, Optional[dict]]:
        """refresh_verdict() for when votes on one change were added or became
        verdict-worthy and none stopped being: the verdict is the newer of the
        stored one and that change's best, one short read where a full
        refresh reads all the driver's votes of the release.
        Returns (changed, verdict detail or None)."""
        row = self.db.execute(_OFFER_SQL, (driver_id, release, project, change)).fetchone()
        if row is None:       # no verdict-worthy vote on the change: the stored one stays
            new, old = None, self.db.execute(_CURRENT_SQL, (driver_id, release)).fetchone()
        else:
            new, old = row[:15], (row[15:] if row[15] is not None else None)
        if new is None or (old is not None and (new[0] == old[0] or new[1:5] < old[1:5])):
            return False, None if old is None else detail(old[5:])
        self.db.execute("INSERT OR REPLACE INTO verdicts VALUES (?, ?, ?)",
                        (driver_id, release, new[0]))
        return True, detail(new[5:])

    # -- reads for the read model --------------------------------------------

    def verdict_rows(self) -> Iterator[tuple]:
        """(driver_id, release, detail) of every verdict."""
        for row in self.db.execute(DETAIL_SQL + " JOIN verdicts d ON d.driver_id = "
                                   "v.driver_id AND d.comment_id = v.comment_id"):
            yield row[0], row[1], detail(row)

    def last_votes(self, last_n: int) -> Iterator[tuple]:
        """(driver_id, comment_id, created_on, passed) of each driver's newest
        `last_n` votes."""
        return self.db.execute(
            "SELECT driver_id, comment_id, created_on, passed FROM ("
            " SELECT driver_id, comment_id, created_on, passed, ROW_NUMBER() OVER ("
            "  PARTITION BY driver_id ORDER BY created_on DESC) AS n FROM votes)"
            " WHERE n <= ?", (last_n,))

    def health_votes(self, driver_id: int, since: int, last_n: int) -> List[tuple]:
        """(created_on, passed) of one driver's newest `last_n` votes and of
        all its votes since `since` (votes_by_time answers both)."""
        # UNION drops the rows both halves find; comment_id keeps equal votes apart.
        rows = self.db.execute(
            "SELECT comment_id, created_on, passed FROM votes WHERE driver_id = ?1"
            " AND created_on >= ?2 UNION SELECT * FROM (SELECT comment_id, created_on, passed"
            " FROM votes WHERE driver_id = ?1 ORDER BY created_on DESC LIMIT ?3)",
            (driver_id, since, last_n)).fetchall()
        return [(ts, passed) for _, ts, passed in rows]

    def votes(self, driver_id: int, limit: int) -> List[dict]:
        rows = self.db.execute(DETAIL_SQL + " WHERE v.driver_id = ? ORDER BY "
                               "v.created_on DESC, c.change DESC, c.patchset DESC, c.digest DESC "
                               "LIMIT ?",
                               (driver_id, limit)).fetchall()
        return [detail(r) for r in rows]

    def find_driver_id(self, key: DriverKey) -> Optional[int]:
        row = self.db.execute("SELECT id FROM drivers WHERE project_id = ? AND vendor = ? "
                              "AND name = ?", key).fetchone()
        return row[0] if row else None

    def integrity(self) -> str:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0]
