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
        self._seen = None                    # (states, verdict results) at the last diff
        self._lock = threading.Lock()
        self._health = (False, "starting")
        recorder.add_listener(self._bump)

    @property
    def catalog(self):
        return self.recorder.catalog

    def _bump(self, keys=None):
        with self._lock:
            self.generation += 1
            for key in keys or ():
                self._changed[key] = self.generation

    def catalog_replaced(self):
        with self._lock:
            self.generation += 1
            self._changed.clear()

    def set_health(self, ready, why):
        self._health = (bool(ready), why)

    # -- ReadModel ------------------------------------------------------------

    def health(self):
        return self._health

    def driver_status(self, key):
        status = self.recorder.status(key)
        return {"state": status["state"], "releases": status["verdicts"],
                "health": status["health"]}

    def votes(self, key, limit=50):
        return self.recorder.votes(key, limit)

    def changes(self, since_generation=0, limit=100):
        with self._lock:
            out = [c for c in self._feed if c["generation"] > since_generation]
        return out[::-1][:limit]

    # -- the periodic diff that feeds `changes` ----------------------------

    def diff(self):
        """Record what changed state since the last call; returns how many."""
        now = self.clock()
        states = self.recorder.states(now)
        results = {}
        for key in states:
            for release, v in self.recorder.verdicts(key).items():
                results[(key, release)] = (v["result"], v.get("review_url"), v.get("timestamp"))
        previous, self._seen = self._seen, (states, results)
        if previous is None:
            return 0    # the first look is the baseline, not a change
        old_states, old_results = previous
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
