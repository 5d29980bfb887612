"""Pruning old CI reports: SQL only; driverlogd/retention.py decides when and
how far back. A report goes with its votes, unless something still reads it."""
from typing import Optional, Tuple

Cursor = Tuple[int, int]        # (created_on, id) of the last report looked at


class Retention:
    """Mixed into Store: expects `self.db`."""

    def prune_batch(self, before: int, keep_newest: int, batch: int = 100,
                    after: Cursor = (-1, -1)) -> Tuple[int, Optional[Cursor]]:
        """Delete up to `batch` reports older than `before`, oldest first from
        past `after`, with their votes. Kept whatever their age: a report that
        is a verdict, one with a vote among its driver's newest `keep_newest`
        (the read model's votes, the last vote that silent_after reads), and
        one on a change waiting for an answer from Gerrit (the answer
        re-judges the change's stored votes).

        Returns (reports deleted, the cursor to go on from; None when no
        older report is left to look at). Call inside a transaction."""
        rows = self.db.execute(
            "SELECT id, created_on, project, change FROM comments WHERE created_on < ? "
            "AND (created_on, id) > (?, ?) ORDER BY created_on, id LIMIT ?",
            (before, after[0], after[1], batch)).fetchall()
        if not rows:
            return 0, None
        ids = [r[0] for r in rows]
        marks = ",".join("?" * len(ids))
        keep = {i for (i,) in self.db.execute(
            f"SELECT comment_id FROM verdicts WHERE comment_id IN ({marks})", ids)}
        asked = set(self.db.execute("SELECT project, change FROM questions").fetchall())
        keep.update(r[0] for r in rows if (r[2], r[3]) in asked)
        floors = {}
        for cid, did, ts in self.db.execute(
                f"SELECT comment_id, driver_id, created_on FROM votes WHERE comment_id IN "
                f"({marks})", ids).fetchall():
            if did not in floors:
                row = self.db.execute("SELECT created_on FROM votes WHERE driver_id = ? "
                                      "ORDER BY created_on DESC LIMIT 1 OFFSET ?",
                                      (did, keep_newest - 1)).fetchone()
                floors[did] = row[0] if row else None     # None: fewer votes than that
            if floors[did] is None or ts >= floors[did]:
                keep.add(cid)
        drop = [i for i in ids if i not in keep]
        if drop:
            marks = ",".join("?" * len(drop))
            self.db.execute(f"DELETE FROM votes WHERE comment_id IN ({marks})", drop)
            self.db.execute(f"DELETE FROM comments WHERE id IN ({marks})", drop)
        return len(drop), (rows[-1][1], rows[-1][0])
