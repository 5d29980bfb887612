"""Server-sent events: tell browsers the generation moved, nothing more.

One watcher greenlet polls `readmodel.generation` while anyone listens and
wakes every listener at once; each listener is its own greenlet writing to
its own socket, so a client that stops reading only stalls itself (and the
server's socket timeout ends it). Streams are capped in number and length;
EventSource reconnects by itself.
"""
import json
import time

import gevent
import gevent.event


class GenerationWatch:
    def __init__(self, readmodel, interval=0.2):
        self.rm = readmodel
        self.interval = interval
        self.listeners = 0
        self._event = gevent.event.Event()
        self._greenlet = None

    def _run(self):
        last = self.rm.generation
        while self.listeners > 0:
            gevent.sleep(self.interval)
            g = self.rm.generation
            if g != last:
                last = g
                ev, self._event = self._event, gevent.event.Event()
                ev.set()
        self._greenlet = None

    def wait(self, generation, timeout):
        """Block this greenlet until the generation differs from `generation`
        (returns the new one) or `timeout` passes (returns None)."""
        g = self.rm.generation
        if g != generation:
            return g
        ev = self._event
        self.listeners += 1
        try:
            if self._greenlet is None:
                self._greenlet = gevent.spawn(self._run)
            ev.wait(timeout)
        finally:
            self.listeners -= 1
        g = self.rm.generation
        return g if g != generation else None


def _event(generation):
    return b"event: generation\ndata: " + json.dumps({"generation": generation}).encode() + b"\n\n"


class Stream:
    """The body of one /api/v1/events response. `on_close` runs exactly once,
    even when the client leaves before the first byte (the server then
    closes the iterable without ever starting it)."""

    def __init__(self, watch, keepalive=15.0, max_seconds=300.0, on_close=None):
        self._gen = _stream(watch, keepalive, max_seconds)
        self._on_close = on_close

    def __iter__(self):
        return self._gen

    def close(self):
        self._gen.close()
        cb, self._on_close = self._on_close, None
        if cb:
            cb()


def _stream(watch, keepalive, max_seconds):
    generation = watch.rm.generation
    yield b"retry: 3000\n\n" + _event(generation)
    deadline = time.monotonic() + max_seconds
    while time.monotonic() < deadline:
        g = watch.wait(generation, min(keepalive, max(0.0, deadline - time.monotonic())))
        if g is None:
            yield b": keepalive\n\n"
        else:
            generation = g
            yield _event(g)
