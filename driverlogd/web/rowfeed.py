"""The rows /api/v1/events pushes: the drivers changed since a generation.

A stream asks "what changed since generation N?" only when it is ready to
write, so a reader that falls behind never has events queued for it: it gets
one event covering all it missed, or `reload` when that cannot be told (the
read model has no `changed_keys`, or the catalog was replaced), would be too
big (more than `max_rows` drivers: refetching the list is cheaper), or the
client's generation is another process's (a restarted daemon). Rows are
built as /api/v1/drivers builds its items (snapshot.Record), once per
generation however many streams ask.
"""
import os

from driverlogd.web.snapshot import Record, dumps

MAX_ROWS = 500
# An event id is "<NONCE>.<generation>": a Last-Event-ID from before a restart
# (generations start again at 1) is recognised as such.
NONCE = os.urandom(3).hex()


def frame(kind, generation, doc, with_id=True):
    """One server-sent event (`doc` is JSON bytes: one line, as JSON escapes
    line breaks), then `generation` for the clients that only know that."""
    head = b"id: %s.%d\n" % (NONCE.encode(), generation) if with_id else b""
    out = head + b"event: " + kind + b"\ndata: " + doc + b"\n\n"
    if kind != b"generation":
        out += generation_event(generation)
    return out


def generation_event(generation):
    return b'event: generation\ndata: {"generation":%d}\n\n' % generation


class RowFeed:
    def __init__(self, readmodel, max_rows=MAX_ROWS):
        self.rm = readmodel
        self.max_rows = max_rows
        # The catalog, and the earliest generation it is known to be in force
        # at: a client older than that gets `reload` (its drivers may differ).
        self._catalog, self._catalog_at = readmodel.catalog, readmodel.generation
        self._names = None
        self._rows = (None, {})     # (generation, {key: row JSON})
        self._last = (None, b"")    # ((since, generation), event bytes)

    def start(self, last_event_id, since):
        """The generation a new stream replays from: the last event id it saw
        (EventSource sends it on a reconnect), else `since` (the generation
        of the list the client holds), else now. None: not this process's."""
        g = self.rm.generation
        if last_event_id:
            nonce, _, n = last_event_id.strip().partition(".")
            if nonce != NONCE or not (n.isascii() and n.isdigit()):
                return None
            since = int(n)
        elif since is None:
            return g
        return since if since <= g else None

    def reload(self, reason):
        g = self.rm.generation
        return frame(b"reload", g, dumps({"generation": g, "reason": reason})), g

    def event(self, since):
        """(one event covering generations (since, now], now)."""
        rm = self.rm
        g = rm.generation
        if self._last[0] == (since, g):
            return self._last[1], g
        if rm.catalog is not self._catalog:
            self._catalog, self._catalog_at, self._names = rm.catalog, g, None
        changed = getattr(rm, "changed_keys", None)
        keys = changed(since) if changed and since >= self._catalog_at else None
        if keys is None:
            return self.reload("what changed is not known; fetch the list again")
        if len(keys) > self.max_rows:
            return self.reload("%d drivers changed; fetch the list again" % len(keys))
        rows = [self._row(key, g) for key in sorted(keys)]
        body = frame(b"drivers", g, b'{"generation":%d,"since":%d,"drivers":[%s]}'
                     % (g, since, b",".join(r for r in rows if r)))
        self._last = ((since, g), body)
        return body, g

    def _row(self, key, generation):
        """The driver's /api/v1/drivers item as JSON; None if no longer in the catalog."""
        at, rows = self._rows
        if at != generation:
            rows = {}
            self._rows = (generation, rows)
        row = rows.get(key)
        if row is None:
            catalog = self._catalog
            driver = catalog.by_key.get(tuple(key))
            if driver is None:
                return None
            if self._names is None:
                self._names = {p.id: p.name for p in catalog.projects}
            row = rows[key] = Record(catalog, driver, self.rm.driver_status(driver.key),
                                     bool(self.rm.show_emails), self._names).frag
        return row
