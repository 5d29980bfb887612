"""Changes the daemon must ask Gerrit about, kept until answered: a restart
or an unreachable Gerrit loses none. SQL only."""
from typing import List, Optional, Tuple


class Questions:
    """Mixed into Store: expects `self.db`."""

    def ask(self, project: str, change: int, reason: str, now: int) -> None:
        """Queue one question per change: asking again while it waits
        changes nothing (a storm of merges is one query per change)."""
        self.db.execute("INSERT OR IGNORE INTO questions VALUES (?, ?, ?, ?, 0, ?)",
                        (project, change, reason, now, now))

    def questions_due(self, now: float, limit: int) -> List[Tuple[str, int, str, int]]:
        """(project, change, reason, attempts) due at `now`, oldest first."""
        return self.db.execute("SELECT project, change, reason, attempts FROM questions "
                               "WHERE due <= ? ORDER BY due, asked LIMIT ?",
                               (now, limit)).fetchall()

    def next_question_due(self) -> Optional[int]:
        row = self.db.execute("SELECT MIN(due) FROM questions").fetchone()
        return row[0]

    def questions_waiting(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM questions").fetchone()[0]

    def answered(self, project: str, change: int) -> None:
        self.db.execute("DELETE FROM questions WHERE project = ? AND change = ?",
                        (project, change))

    def retry_later(self, project: str, change: int, due: int) -> None:
        self.db.execute("UPDATE questions SET attempts = attempts + 1, due = ? "
                        "WHERE project = ? AND change = ?", (due, project, change))
