"""The recorder, seen through the web layer's ReadModel protocol.

Adds what only the running service knows: its generation counter, the
stream's health, and a feed of state changes found by comparing snapshots
(states also change with time alone, when a CI goes silent).
"""
import collections
import threading
import time

FEED_LENGTH = 500


def _state(result):
    return None if result is None else ("passing" if result else "failing")


class RecorderReadModel:
    def __init__(self, recorder, show_emails=False, clock=time.time):
        self.recorder = recorder
        self.show_emails = show_emails
        self.clock = clock
        self.generation = 1
        self._changed = {}                   # key -> generation of its last change
        self._feed = collections.deque(maxlen=FEED_LENGTH)
        self._lock = threading.Lock()
        self._health = (False, "starting")
        self._all_changed_at = 0
        recorder.add_listener(self._bump)
        # The baseline is the state at start: whatever changes after, even
        # before the first diff, is a change.
        self._seen = self._look(clock())

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

    def catalog_replaced(self):
        with self._lock:
            self.generation += 1
            self._all_changed_at = self.generation
            self._changed.clear()

    def set_health(self, ready, why):
        self._health = (bool(ready), why)

    # -- ReadModel ------------------------------------------------------------

    def health(self):
        return self._health

    def driver_status(self, key):
        now = self.clock()
        status = self.recorder.status(key, now)
        releases = {}
        for rid, v in status["verdicts"].items():
            # A release's cell ages like the driver's mark: old proof is silent proof.
            if now - v["timestamp"] > self.recorder.stale_after:
                v = dict(v, state="silent")
            releases[rid] = v
        return {"state": status["state"], "releases": releases, "health": status["health"]}

    def changed_keys(self, since_generation):
        """Drivers changed after `since_generation`, so the web layer re-renders only
        those; None when it cannot tell (a catalog reload), meaning all of them."""
        with self._lock:
            if self._all_changed_at > since_generation:
                return None
            return {k for k, g in self._changed.items() if g > since_generation}

    def votes(self, key, limit=50):
        return self.recorder.votes(key, limit)

    def health_30d(self, key):
        return self.recorder.health(key, self.clock())["last_30d"]

    def changes(self, since_generation=0, limit=100):
        with self._lock:
            out = [c for c in self._feed if c["generation"] > since_generation]
        return out[::-1][:limit]

    # -- the periodic diff that feeds `changes` ----------------------------

    def _look(self, now, states=None):
        states = self.recorder.states(now) if states is None else states
        results = {}
        for key in states:
            for release, v in self.recorder.verdicts(key).items():
                results[(key, release)] = (v["result"], v.get("review_url"), v.get("timestamp"))
        return states, results

    def diff(self, now=None, states=None):
        """Record what changed state since the last call; returns how many.
        `states` may be passed in when the caller has just computed them."""
        now = self.clock() if now is None else now
        (old_states, old_results), self._seen = self._seen, self._look(now, states)
        states, results = self._seen
        found = []
        for key, state in states.items():
            if old_states.get(key) != state:
                found.append((key, None, old_states.get(key), state, now, None))
        for (key, release), (result, url, ts) in results.items():
            old = old_results.get((key, release))
            if old is None or old[0] != result:
                found.append((key, release, _state(old and old[0]), _state(result),
                              ts or now, url))
        if found:
            with self._lock:
                self.generation += 1
                for key, release, old, new, ts, url in found:
                    self._feed.append({"generation": self.generation, "key": key,
                                       "release": release, "old_state": old, "new_state": new,
                                       "timestamp": ts, "review_url": url})
                    self._changed[key] = self.generation
        return len(found)
