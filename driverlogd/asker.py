"""Ask Gerrit where the rules are unsure, one targeted `gerrit query` per
change (see verdict/promotion.py for when): which patch set merged, and the
change's comments from before the daemon was watching.

Questions wait in the store until answered, so a storm of merges is one
query per change, a restart loses none, and while Gerrit cannot be reached
they wait and are retried with backoff. An answer is recorded like any other
Gerrit answer (its merge is `complete`), without moving the stream position.
"""
import collections
import logging
import time
from typing import Callable, Iterable

import gevent
import gevent.event

from driverlogd.gerrit.quoting import UnsafeValue, term

log = logging.getLogger(__name__)
BATCH = 50           # questions asked per connection
IDLE = 600           # seconds between looks when nothing is queued (a safety net)

_Question = collections.namedtuple("_Question", "project change reason attempts query")


def change_query(project: str, change: int) -> str:
    """The one query that answers a question about a change."""
    return " ".join((term("change", str(int(change))), term("project", project)))


class Asker:
    def __init__(self, recorder, answers: Callable[[Iterable[str]], Iterable],
                 metrics=None, clock: Callable[[], float] = time.time,
                 retry_first: float = 1.0, retry_max: float = 300.0):
        """`answers(queries)` runs each query string and yields, per query, the
        list of events Gerrit's answer holds (GerritQuery.events: a bad row
        counted and skipped); a generator, so one connection serves a batch.
        It raises when Gerrit cannot be reached."""
        self.recorder = recorder
        self.store = recorder.store
        self.answers = answers
        self.metrics = metrics
        self.clock = clock
        # A failed question waits retry_first, doubled per attempt up to retry_max
        # (the stream's backoff settings).
        self.retry_first, self.retry_max = retry_first, retry_max
        self._wake = gevent.event.Event()
        recorder.add_asker(self._wake.set)

    def run(self, stopping) -> None:
        """Ask until `stopping` is set; sleeps until woken or a retry is due."""
        failures = 0
        while not stopping.is_set():
            self._wake.clear()
            try:
                self.ask_due()
                due = self.store.next_question_due()
                failures = 0
            except Exception:      # the store itself failing: never stop the asking
                log.exception("asking Gerrit failed; retrying later")
                failures += 1
            if failures:
                # The questions' own backoff could not be stored: this one
                # keeps the asker from querying Gerrit in a loop meanwhile.
                wait = self._delay(failures - 1)
            else:
                wait = IDLE if due is None else max(0.0, min(IDLE, due - self.clock()))
            if wait:
                # Either wakes it: a stop must not wait out an idle sleep.
                gevent.wait([self._wake, stopping], timeout=wait, count=1)

    def ask_due(self) -> int:
        """Ask the questions now due, one query each; returns how many were answered."""
        todo = []
        for project, change, reason, attempts in self.store.questions_due(self.clock(), BATCH):
            try:
                todo.append(_Question(project, change, reason, attempts,
                                      change_query(project, change)))
            except UnsafeValue as e:     # the gate refuses such names: say so, drop it
                log.error("cannot ask about change %s of %r: %s", change, project, e)
                self.recorder.answered(project, change)
        answered = 0
        if todo:
            answers = iter(self.answers([q.query for q in todo]))
            for i, q in enumerate(todo):
                try:
                    events = next(answers)
                except StopIteration:
                    events = None
                except Exception as e:       # Gerrit unreachable, a timeout: all wait
                    for waiting in todo[i:]:
                        self._failed(waiting, e)
                    break
                if events is None:
                    self._failed(q, "no answer")
                    continue
                try:
                    self._record(q, events)
                except Exception as e:     # the store's error (disk full, I/O): it waits
                    log.error("recording Gerrit's answer on change %s of %s failed: %s",
                              q.change, q.project, e)
                    self._failed(q, e)
                    continue
                answered += 1
            close = getattr(answers, "close", None)
            if close is not None:
                close()      # the connection goes now, not when collected
        if self.metrics:
            self.metrics.questions_waiting.set(self.store.questions_waiting())
        return answered

    def _record(self, q, events):
        # Closed even when not merged after all, or not found: nothing more
        # Gerrit can tell.
        self.recorder.handle_answer(q.project, q.change, events)
        if self.metrics:
            self.metrics.questions.labels(q.reason, "answered").inc()
        log.info("asked Gerrit about change %s of %s (%s): %d events", q.change, q.project,
                 q.reason, len(events))

    def _delay(self, attempts: int) -> float:
        """retry_first, doubled per earlier attempt, up to retry_max."""
        return min(self.retry_max, self.retry_first * 2 ** min(attempts, 16))

    def _failed(self, q, error):
        delay = self._delay(q.attempts)
        with self.recorder.lock, self.store.transaction():
            self.store.retry_later(q.project, q.change, self.clock() + delay)
        if self.metrics:
            self.metrics.questions.labels(q.reason, "failed").inc()
        log.warning("asking Gerrit about change %s of %s failed (%s); again in %.1f s",
                    q.change, q.project, error, delay)
