"""Server-sent events: push each change to the browsers as it is committed.

Every stream keeps a cursor, the generation its client holds. When the read
model's generation moves, the stream writes one `drivers` event with the
rows changed since its cursor (rowfeed.py) and moves the cursor on; commits
that land while it writes are covered by its next event, so a burst is
coalesced without waiting for one. The read model's listener hook wakes the
streams the moment a commit lands. Each stream is its own greenlet writing to its own socket, so
a client that stops reading only stalls itself (and the server's socket
timeout ends it). Streams are capped in number and length; EventSource
reconnects by itself, sending the last event id, from which it replays.
"""
import time

import gevent
import gevent.event

from driverlogd.web.rowfeed import generation_event


class GenerationWatch:
    """Lets stream greenlets wait until the generation moves."""

    def __init__(self, readmodel):
        self.rm = readmodel
        self.listeners = 0
        self._event = gevent.event.Event()
        self._async = None      # the hub's wake-up, made by the first stream
        readmodel.add_listener(self._moved)

    def _moved(self):
        """The read model's hook: may run on another thread (the tests' fake),
        so it only pokes the hub, which then wakes the streams."""
        a = self._async
        if a is not None and self.listeners:
            try:
                a.send()
            except ValueError:     # that hub is gone (a test's server stopped)
                self._async = None

    def _wake(self):
        ev, self._event = self._event, gevent.event.Event()
        ev.set()

    def wait(self, generation, timeout):
        """Block this greenlet until the generation differs from `generation`
        (returns the new one) or `timeout` passes (returns None)."""
        ev = self._event
        # Counted before the look, so a commit after it does wake us.
        self.listeners += 1
        try:
            g = self.rm.generation
            if g != generation:
                return g
            if self._async is None:
                self._async = gevent.get_hub().loop.async_(ref=False)
                self._async.start(self._wake)
            ev.wait(timeout)
        finally:
            self.listeners -= 1
        g = self.rm.generation
        return g if g != generation else None


class Stream:
    """The body of one /api/v1/events response. `on_close` runs exactly once,
    even when the client leaves before the first byte (the server then
    closes the iterable without ever starting it). `start`: the generation
    to replay from (RowFeed.start); None sends `reload` first."""

    def __init__(self, watch, feed, start, keepalive=15.0, max_seconds=300.0, on_close=None):
        self._gen = _stream(watch, feed, start, keepalive, max_seconds)
        self._on_close = on_close

    def __iter__(self):
        return self._gen

    def close(self):
        self._gen.close()
        cb, self._on_close = self._on_close, None
        if cb:
            cb()


def _stream(watch, feed, cursor, keepalive, max_seconds):
    yield b"retry: 3000\n\n" + generation_event(watch.rm.generation)
    if cursor is None:
        body, cursor = feed.reload("the generation given is not this server's")
        yield body
    deadline = time.monotonic() + max_seconds
    while time.monotonic() < deadline:
        if watch.rm.generation != cursor:
            body, cursor = feed.event(cursor)
            yield body
        elif watch.wait(cursor, min(keepalive, max(0.0, deadline - time.monotonic()))) is None:
            yield b": keepalive\n\n"
