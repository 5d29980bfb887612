"""The store's derived rows: each driver's votes and verdicts, and the reads
the read model makes. The verdict rule is verdict/promotion.py's; the SQL
here selects by it (SQL_COUNTS, SQL_NEWEST_FIRST) and a property test keeps
the two equal."""
from typing import Iterator, List, Optional, Tuple

from driverlogd.catalog.model import DriverKey
from driverlogd.verdict.promotion import SQL_COUNTS, SQL_NEWEST_FIRST, Evidence

# Of a driver's votes for a release, those that count, newest first.
_VERDICT_RULE = f"""
JOIN merges m ON m.project = c.project AND m.change = c.change
WHERE v.driver_id = ?1 AND v.release = ?2 AND {SQL_COUNTS}
ORDER BY {SQL_NEWEST_FIRST}
LIMIT 1"""

# What a verdict or vote reads like outside the store.
DETAIL_SQL = """
SELECT v.driver_id, v.release, v.passed, v.line, c.created_on, c.change,
       c.patchset, c.url, c.branch, c.id
FROM votes v JOIN comments c ON c.id = v.comment_id"""

# The rule's choice, read as DETAIL_SQL reads it, and the stored verdict's
# comment id: one statement where three were.
_BEST_SQL = DETAIL_SQL.replace("SELECT ", "SELECT (SELECT comment_id FROM verdicts WHERE "
                               "driver_id = ?1 AND release = ?2), ", 1) + _VERDICT_RULE

# For offer_verdict(): the order key and detail of a change's best counting
# vote for a driver and release (CROSS JOIN: from the change's few comments,
# never from all the driver's votes) ...
_CHANGE_BEST_SQL = f"""
SELECT c.id, v.created_on, c.change, c.patchset, c.digest, v.driver_id, v.release, v.passed,
       v.line, c.created_on, c.change, c.patchset, c.url, c.branch, c.id
FROM comments c CROSS JOIN votes v ON v.driver_id = ?1 AND v.comment_id = c.id
JOIN merges m ON m.project = c.project AND m.change = c.change
WHERE c.project = ?3 AND c.change = ?4 AND v.release = ?2 AND {SQL_COUNTS}
ORDER BY {SQL_NEWEST_FIRST}
LIMIT 1"""
# ... and the stored verdict's.
_CURRENT_SQL = DETAIL_SQL.replace(
    "SELECT ", "SELECT c.id, v.created_on, c.change, c.patchset, c.digest, ", 1) + """
JOIN verdicts d ON d.driver_id = v.driver_id AND d.comment_id = v.comment_id
WHERE d.driver_id = ?1 AND d.release = ?2"""
# Both in one row (the stored verdict's columns NULL when there is none).
_OFFER_SQL = f"SELECT * FROM ({_CHANGE_BEST_SQL}) LEFT JOIN ({_CURRENT_SQL}) ON 1"

# For offer_change(): every counting vote on a change with a release, its
# order key and detail, and the order key of the stored verdict of its driver
# and release (NULL when none): the pairs and their best in one read, where
# there was a read of the pairs and then one per pair.
_CHANGE_OFFERS_SQL = f"""
SELECT v.driver_id, v.release, c.id, v.created_on, c.change, c.patchset, c.digest,
       v.driver_id, v.release, v.passed, v.line, c.created_on, c.change, c.patchset, c.url,
       c.branch, c.id,
       dc.id, dv.created_on, dc.change, dc.patchset, dc.digest
FROM comments c CROSS JOIN votes v ON v.comment_id = c.id
JOIN merges m ON m.project = c.project AND m.change = c.change
LEFT JOIN verdicts d ON d.driver_id = v.driver_id AND d.release = v.release
LEFT JOIN votes dv ON dv.driver_id = d.driver_id AND dv.comment_id = d.comment_id
LEFT JOIN comments dc ON dc.id = d.comment_id
WHERE c.project = ?1 AND c.change = ?2 AND v.release IS NOT NULL AND {SQL_COUNTS}"""


def detail(row) -> dict:
    """A vote or verdict as the read model shows it."""
    _, release, passed, line, ts, change, ps, url, branch, _ = row
    return {"result": bool(passed), "review_url": url, "comment": line,
            "timestamp": ts, "change": change, "patchset": ps,
            "branch": branch, "release": release}


class Verdicts:
    """Mixed into Store: expects `self.db`."""

    def put_vote(self, driver_id, comment_id, release, passed, line,
                 created_on) -> Optional[str]:
        """Upsert; returns the release it had before when that differed."""
        row = self.db.execute("SELECT release FROM votes WHERE driver_id = ? AND comment_id = ?",
                              (driver_id, comment_id)).fetchone()
        self.db.execute("INSERT OR REPLACE INTO votes VALUES (?, ?, ?, ?, ?, ?)",
                        (driver_id, comment_id, release, int(passed), line, created_on))
        return row[0] if row and row[0] != release else None

    def put_new_votes(self, rows):
        """put_vote() for a comment inserted in this transaction (no vote on
        it exists yet), in one statement: `rows` are (driver_id, comment_id,
        release, passed, line, created_on), as the table's columns."""
        self.db.executemany("INSERT INTO votes VALUES (?, ?, ?, ?, ?, ?)", rows)

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

    def offer_change(self, project: str, change: int) -> List[Tuple[int, str, dict]]:
        """offer_verdict() for every (driver, release) with a vote on the
        change, for a change that just merged: its votes can only gain
        verdicts. Returns (driver id, release, verdict detail) of each pair
        whose verdict this change became; the others' stay as they were."""
        best = {}        # (driver id, release) -> (order key, row)
        for row in self.db.execute(_CHANGE_OFFERS_SQL, (project, change)):
            pair, key = row[:2], row[3:7]
            # The rule's order (SQL_NEWEST_FIRST): the largest key wins.
            if pair not in best or key > best[pair][0]:
                best[pair] = key, row
        out = []
        for (did, release), (key, row) in best.items():
            # As _CURRENT_SQL reads it: the verdict's vote and report both held.
            if row[17] is not None and row[18] is not None and \
                    (row[2] == row[17] or key < row[18:22]):
                continue
            self.db.execute("INSERT OR REPLACE INTO verdicts VALUES (?, ?, ?)",
                            (did, release, row[2]))
            out.append((did, release, detail(row[7:17])))
        return out

    # -- reads for the read model --------------------------------------------

    def verdict_rows(self) -> Iterator[tuple]:
        """(driver_id, release, detail) of every verdict."""
        # From the verdicts (CROSS JOIN keeps that order): a few per driver,
        # where the votes are thousands.
        for row in self.db.execute(DETAIL_SQL.replace(
                "FROM votes v", "FROM verdicts d CROSS JOIN votes v ON d.driver_id = "
                "v.driver_id AND d.comment_id = v.comment_id")):
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
        rows = self.db.execute(DETAIL_SQL + f" WHERE v.driver_id = ? ORDER BY {SQL_NEWEST_FIRST} "
                               "LIMIT ?",
                               (driver_id, limit)).fetchall()
        return [detail(r) for r in rows]

    def find_driver_id(self, key: DriverKey) -> Optional[int]:
        row = self.db.execute("SELECT id FROM drivers WHERE project_id = ? AND vendor = ? "
                              "AND name = ?", key).fetchone()
        return row[0] if row else None

    def evidence(self, driver_id: int, release: str) -> List[Evidence]:
        """Every vote of a driver for a release as the pure rule reads it
        (promotion.verdict): for tests that hold the SQL to the rule."""
        return [Evidence(*row) for row in self.db.execute(
            "SELECT c.id, v.created_on, c.change, c.patchset, c.digest, m.patchset "
            "FROM votes v JOIN comments c ON c.id = v.comment_id LEFT JOIN merges m "
            "ON m.project = c.project AND m.change = c.change "
            "WHERE v.driver_id = ? AND v.release = ?", (driver_id, release))]

    def verdict_id(self, driver_id: int, release: str) -> Optional[int]:
        """The comment id of the stored verdict, or None."""
        row = self.db.execute("SELECT comment_id FROM verdicts WHERE driver_id = ? AND "
                              "release = ?", (driver_id, release)).fetchone()
        return row[0] if row else None
