"""The recorder's read side, seen through the web layer's ReadModel protocol.

Adds what only the running service knows: its generation counter, the
stream's health, and a feed of state changes found by comparing what it saw
before with what it sees now. A diff looks only at the drivers the recorder
said changed, except when time alone may have changed a state (a CI going
silent: the earliest such moment is known) or the catalog was replaced: then
it looks at all of them. So a tick costs what changed, not the catalog's size.
"""
import collections
import threading
import time
import types

from driverlogd.verdict.state import cell_state, silent_after

FEED_LENGTH = 500
FULL_EVERY = 600.0    # seconds; a full look now and then, as a safety net
ACTIVE = ("passing", "failing")     # the states time alone can turn silent
# A driver without verdicts: one read-only mapping for all of them, not an
# empty dict each (10,000 of them at start).
NO_RESULTS = types.MappingProxyType({})


def _state(result):
    return None if result is None else ("passing" if result else "failing")


class LiveReadModel:
    def __init__(self, recorder, show_emails=False, clock=time.time):
        self.recorder = recorder
        self.reads = recorder.reads
        self.show_emails = show_emails
        self.clock = clock
        self.generation = 1
        self._changed = {}                   # key -> generation of its last change
        self._feed = collections.deque(maxlen=FEED_LENGTH)
        self._lock = threading.Lock()
        self._readiness = (False, "starting")
        self._all_changed_at = 0
        self._listeners = []
        recorder.add_listener(self._bump)
        # What the last diff saw: key -> state, key -> the view's verdicts
        # mapping (release -> detail; replaced, never changed, on a change).
        # The baseline is the state at start: whatever changes after, even
        # before the first diff, is a change.
        self._states, self._results = {}, {}
        self._diffed_at = self.generation
        self._full_at = 0.0               # when the next full look is due
        self._look(None, clock())

    @property
    def catalog(self):
        return self.recorder.catalog

    def _bump(self, keys=None):
        with self._lock:
            self.generation += 1
            if keys is None:
                self._all_changed_at = self.generation
            for key in keys or ():
                self._changed[key] = self.generation
        self._moved()

    def catalog_replaced(self):
        with self._lock:
            self.generation += 1
            self._all_changed_at = self.generation
            self._changed.clear()
        self._moved()

    def add_listener(self, fn):
        """`fn()` is called each time the generation moved (after a commit, a
        catalog reload, or a diff that found a state change), so the event
        stream pushes at once instead of polling. Keep it cheap."""
        self._listeners.append(fn)

    def _moved(self):
        for fn in self._listeners:
            fn()

    def set_readiness(self, ready, why):
        self._readiness = (bool(ready), why)

    # -- ReadModel ------------------------------------------------------------

    def readiness(self):
        return self._readiness

    def driver_status(self, key):
        now = self.clock()
        status = self.reads.status(key, now)
        releases = {rid: cell_state(v, now, self.reads.stale_after)
                    for rid, v in status["verdicts"].items()}
        return {"state": status["state"], "releases": releases, "health": status["health"]}

    def changed_keys(self, since_generation):
        """Drivers changed after `since_generation`, so the web layer re-renders only
        those; None when it cannot tell (a catalog reload), meaning all of them."""
        with self._lock:
            if self._all_changed_at > since_generation:
                return None
            return {k for k, g in self._changed.items() if g > since_generation}

    def votes(self, key, limit=50):
        return self.reads.votes(key, limit)

    def reports(self, account, repo, limit):
        return self.reads.reports(account, repo, limit)

    def health_30d(self, key):
        return self.reads.health(key, self.clock())["last_30d"]

    def changes(self, since_generation=0, limit=100):
        with self._lock:
            out = [c for c in self._feed if c["generation"] > since_generation]
        return out[::-1][:limit]

    # -- the periodic diff that feeds `changes` ----------------------------

    def states(self):
        """Every catalog driver's state as of the last diff (read-only)."""
        return self._states

    def _look(self, keys, now):
        """Look at `keys` (None: every driver) and remember what was seen;
        returns [(key, old state, new state, old results, new results)]."""
        rec = self.reads
        if keys is None:
            # Removed drivers drop out; when the next full look is due is
            # worked out afresh from the earliest moment one may go silent.
            seen_states, self._states = self._states, {}
            seen_results, self._results = self._results, {}
            self._full_at = now + FULL_EVERY
        else:
            seen_states, seen_results = self._states, self._results
        looked = []
        for key, state, results, last in rec.look(now, keys):
            results = results or NO_RESULTS
            looked.append((key, seen_states.get(key), state, seen_results.get(key, NO_RESULTS),
                           results))
            self._states[key], self._results[key] = state, results
            if state in ACTIVE and last is not None:
                self._full_at = min(self._full_at, silent_after(last, rec.stale_after) + 1)
        return looked

    def diff(self, now=None):
        """Record what changed state since the last call; returns how many."""
        now = self.clock() if now is None else now
        with self._lock:
            since, self._diffed_at = self._diffed_at, self.generation
            full = self._all_changed_at > since or now >= self._full_at
            keys = None if full else [k for k, g in self._changed.items() if g > since]
        found = []
        for key, old, new, old_results, results in self._look(keys, now):
            if old != new:
                found.append((key, None, old, new, now, None))
            if results is old_results:       # the same mapping: no verdict changed
                continue
            for release, v in results.items():
                before = old_results.get(release)
                if before is None or before["result"] != v["result"]:
                    found.append((key, release, _state(before and before["result"]),
                                  _state(v["result"]), v.get("timestamp") or now,
                                  v.get("review_url")))
        if found:
            with self._lock:
                # Our own bump (the web layer re-renders by it) is no news to the
                # next diff, unless a commit came in meanwhile.
                quiet = self.generation == self._diffed_at
                self.generation += 1
                for key, release, old, new, ts, url in found:
                    self._feed.append({"generation": self.generation, "key": key,
                                       "release": release, "old_state": old, "new_state": new,
                                       "timestamp": ts, "review_url": url})
                    self._changed[key] = self.generation
                if quiet:
                    self._diffed_at = self.generation
            self._moved()
        return len(found)
