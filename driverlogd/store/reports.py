"""The store's facts from Gerrit: CI reports, merges, and since when each CI
account's reports are recorded. SQL only; the recorder decides what to write."""
import hashlib
import heapq
import itertools
from typing import Dict, Iterable, Iterator, Optional, Tuple


def digest(message: str) -> str:
    return hashlib.sha1(message.encode("utf-8", "surrogatepass")).hexdigest()


# The repositories an account reported on: one index seek each (a skip-scan
# of comments_by_account_time), however many reports each holds.
_PROJECTS_OF = """
WITH RECURSIVE p(project) AS (
  SELECT MIN(project) FROM comments WHERE author = ?1
  UNION ALL
  SELECT (SELECT MIN(project) FROM comments WHERE author = ?1 AND project > p.project)
  FROM p WHERE p.project IS NOT NULL)
SELECT project FROM p WHERE project IS NOT NULL"""


_INSERT_COMMENT = """
INSERT INTO comments (project, change, patchset, author, digest, branch, url, created_on, message)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (project, change, patchset, author, digest) DO NOTHING"""


class Reports:
    """Mixed into Store: expects `self.db`."""

    # -- CI reports ------------------------------------------------------------

    def put_comment(self, project, change, patchset, author, branch, url, created_on,
                    message) -> Tuple[int, int, bool, bool, Optional[int]]:
        """Store a report once; returns (id, its time, whether the row changed,
        whether it is new, the patch set its change merged as or None).

        A replay with a later stamp keeps the later one, so the outcome does
        not depend on which copy came first.
        """
        key = (project, change, patchset, author, digest(message))
        # Insert first: a new report (the usual case) needs no read of its own
        # row. Not RETURNING its id and merge row: at 10,000 drivers that one
        # statement took 22 us where these two take 12 + 4, and the recorder's
        # next inserts were slower after it too (votes 7.8 -> 5.6 us a row).
        cur = self.db.execute(_INSERT_COMMENT, key + (branch, url, created_on, message))
        merged = self.merged_patchset(project, change)
        if cur.rowcount == 1:
            return cur.lastrowid, created_on, True, True, merged
        row = self.db.execute("SELECT id, created_on FROM comments WHERE project = ? AND "
                              "change = ? AND patchset = ? AND author = ? AND digest = ?",
                              key).fetchone()
        if created_on > row[1]:
            self.db.execute("UPDATE comments SET created_on = ? WHERE id = ?",
                            (created_on, row[0]))
            self.db.execute("UPDATE votes SET created_on = ? WHERE comment_id = ?",
                            (created_on, row[0]))
            return row[0], created_on, True, False, merged
        return row[0], row[1], False, False, merged

    def comments_by(self, author: str, project: str) -> Iterator[tuple]:
        """(id, branch, created_on, message) of an account's reports on a repo."""
        return self.db.execute("SELECT id, branch, created_on, message FROM comments "
                               "WHERE author = ? AND project = ?", (author, project))

    def recent_reports(self, author: str, project: Optional[str], limit: int) -> list:
        """An account's newest `limit` reports (on `project`, or on every
        repository when None), newest first, as dicts: "message", "project",
        "change", "patchset", "branch", "review_url", "timestamp"."""
        projects = [project] if project else [p for (p,) in self.db.execute(_PROJECTS_OF, (author,))]
        # Each repository's newest, read newest first from the (author,
        # project, created_on) index and stopped at `limit`; then merged.
        rows = heapq.merge(*(self.db.execute(
            "SELECT created_on, id, message, project, change, patchset, branch, url "
            "FROM comments WHERE author = ? AND project = ? "
            "ORDER BY created_on DESC, id DESC LIMIT ?", (author, p, limit)).fetchall()
            for p in projects), reverse=True)
        return [{"message": m, "project": p, "change": c, "patchset": ps, "branch": b,
                 "review_url": u, "timestamp": t}
                for t, _, m, p, c, ps, b, u in itertools.islice(rows, limit)]

    def all_comments(self) -> Iterator[tuple]:
        return self.db.execute("SELECT id, author, project, branch, created_on, message "
                               "FROM comments")

    def reporters_on(self, project: str, change: int) -> set:
        """The accounts with a report on the change held (one indexed read)."""
        return {a for (a,) in self.db.execute("SELECT author FROM comments WHERE "
                                              "project = ? AND change = ?", (project, change))}

    # -- merges ----------------------------------------------------------------

    def note_merge(self, project: str, change: int, patchset: int,
                   complete: bool = False) -> Tuple[Optional[int], Optional[int], bool]:
        """Record that a change merged as `patchset` (what change-merged or a
        query answer says), `complete` when Gerrit's whole answer on it was
        recorded. Returns the merged patch set known before and after, and
        whether the change's whole answer is now recorded. When the patch set
        differs before and after, verdicts on the change need re-checking.
        (Stores before this version also hold rows of merges whose patch set
        was not said: NULL, as unknown as no row.)"""
        # Nearly always the change's first merge row: one statement where a
        # read and a write were.
        if self.db.execute("INSERT INTO merges VALUES (?, ?, ?, ?) ON CONFLICT (project, "
                           "change) DO NOTHING", (project, change, patchset,
                                                  int(complete))).rowcount == 1:
            return None, patchset, bool(complete)
        # The insert met the change's row: what it says decides.
        old_ps, old_complete = self.db.execute(
            "SELECT patchset, complete FROM merges WHERE project = ? AND change = ?",
            (project, change)).fetchone()
        # Gerrit merges a patch set once; the larger wins should two ever
        # disagree, so the outcome does not depend on the order they came in.
        new_ps = patchset if old_ps is None else max(old_ps, patchset)
        new_complete = int(bool(old_complete) or complete)
        if (new_ps, new_complete) != (old_ps, old_complete):
            self.db.execute("INSERT OR REPLACE INTO merges VALUES (?, ?, ?, ?)",
                            (project, change, new_ps, new_complete))
        return old_ps, new_ps, bool(new_complete)

    def merged_patchset(self, project: str, change: int) -> Optional[int]:
        row = self.db.execute("SELECT patchset FROM merges WHERE project = ? AND change = ?",
                              (project, change)).fetchone()
        return row[0] if row else None

    # -- since when each CI account's reports are recorded -----------------------

    def watch(self, groups: Iterable[Tuple[str, str]], since: int):
        """From `since` on, reports of these (account, repo) pairs are recorded;
        pairs already watched keep their earlier time."""
        self.db.executemany("INSERT OR IGNORE INTO watching VALUES (?, ?, ?)",
                            [(a, p, since) for a, p in groups])

    def watching(self) -> Dict[Tuple[str, str], int]:
        """(account, repo) -> since when its reports are recorded."""
        return {(a, p): t for a, p, t in self.db.execute("SELECT author, project, since "
                                                         "FROM watching")}
