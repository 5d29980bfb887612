"""The Gerrit event stream, kept alive, with nothing silently lost.

Contract (the service runs it; the verdict engine is the sink):

    class EventSink(Protocol):
        def handle(self, event) -> None: ...      # returns once durably recorded
        def position(self) -> Optional[int]: ...  # last durable eventCreatedOn; None if empty
        # optional: handle_batch(events), all durably recorded when it returns;
        # used for the lines of one read and for catch-up, one transaction each
        # optional: relevant(event) -> bool; the catch-up keeps only those
        # optional: wanted(type, project, author) -> bool; lines it says no to
        # reach the sink as Unused (their time only), unparsed (events.screen)

    client = StreamClient(config, sink, metrics, on_state=None)
    client.run()      # loops until stop(): in a greenlet (daemon) or a thread (tests)
    client.stop()
    client.state, client.state_reason    # for /healthz
    client.last_error                    # why the last attempt failed; None while streaming

States: "connecting", "catching-up", "streaming", "backoff" (state_reason says
why, e.g. a host-key refusal naming host, key type and fingerprint), "stopped".
`on_state(state, reason)` is called on every change.

One session: connect (host key checked before login) -> open
`gerrit stream-events -s ...` FIRST, so whatever happens during the catch-up
waits in the channel -> catch up with `gerrit query` from
`sink.position() - catchup_overlap` (skipped when the position is None: the
verdict engine owns the bootstrap) -> read the stream. `handle` is called
synchronously, in order, one event at a time; recording is idempotent, so the
overlap and the catch-up/stream overlap are harmless. A `dropped-output` event
is not passed on: it is counted and triggers another catch-up on the same
connection. When the stream is quiet for `keepalive_interval`, `gerrit version`
runs on a second channel and must answer within `probe_timeout`, so a half-open
link is replaced within their sum. If the sink raises, the session ends and the
event is fetched again by the next catch-up. Reconnects use exponential backoff
with full jitter (see backoff.py).
"""
import logging
import socket
import threading
import time
from typing import Callable, Optional

try:
    from typing import Protocol
except ImportError:     # Python < 3.8 has no Protocol; the contract stays the same
    Protocol = object

import paramiko

from ..metrics import EVENT_TYPES, observe_many
from ..ratelog import RateLimitedLog, printable
from ..yielding import pause
from .backoff import Backoff
from .config import GerritConfig
from .events import DroppedOutput, MalformedEvent, parse_event, screen
from .lines import BadLine, LineSplitter, decode
from .position import catchup_start, is_future
from .position import limit as position_limit
from .query import GerritQuery
from .ssh import Connection, GerritError, NetworkError, connect

log = logging.getLogger(__name__)
# Events a transaction during catch-up, about what a stream burst's
# BATCH_BYTES holds of CI reports. A catch-up after an outage is where real
# bursts come from; at 500 a transaction the recorder took 7-9 % longer.
CATCHUP_BATCH = 3000
# One transaction takes the lines of all that has arrived, read a MB at a time
# and parsed as it comes, up to BATCH_BYTES: under a burst paramiko buffers up
# to the channel's window (ssh.WINDOW_SIZE) while we work. A 64 KiB read meant
# a commit per ~50 events; at 10,000 drivers a CI report writes index pages all
# over the store, so fewer, larger commits write each page fewer times.
READ_BYTES = 1 << 20
BATCH_BYTES = 1 << 22


def _arrived(chan, data: bytes):
    """`data`, then each part that has already arrived, up to BATCH_BYTES in
    all. The transport (a greenlet in the daemon) moves what the socket holds
    into the channel only when we yield (a bare sleep(0): a lone event goes on
    at once), and the hub answers HTTP only when it polls: so a pause before
    each further part of a burst (yielding.pause; with sleep(0) alone HTTP
    waited for the whole batch, p99 ~420 ms under a CI-heavy flood). Never a
    wait for data. A generator: each part is parsed before the next is read,
    so a batch never holds more than one part's raw bytes."""
    yield data
    size = len(data)
    while size < BATCH_BYTES:
        time.sleep(0)      # the transport moves what the socket holds into the channel
        if not chan.recv_ready():
            return
        pause()            # a burst: the hub polls (HTTP) before the next part
        data = chan.recv(min(READ_BYTES, BATCH_BYTES - size))
        if not data:
            return
        size += len(data)
        yield data


class EventSink(Protocol):
    def handle(self, event) -> None: ...

    def position(self) -> Optional[int]: ...


class _Stopping(Exception):
    pass


class StreamClient:
    def __init__(self, config: GerritConfig, sink: EventSink, metrics,
                 on_state: Optional[Callable[[str, str], None]] = None, catchup_extra: str = ""):
        self.config = config
        self.sink = sink
        self.metrics = metrics
        self.on_state = on_state
        self.catchup_extra = catchup_extra
        self.state = "stopped"
        self.state_reason = "not started"
        self.last_error: Optional[str] = None     # why the last connection failed or ended
        self._stop = threading.Event()
        self._conn: Optional[Connection] = None
        self._lock = threading.Lock()
        self._backoff = Backoff(config.backoff_initial, config.backoff_max)
        # labels() costs more than inc(): look each child up once.
        self._counts = {t: metrics.events.labels(t) for t in EVENT_TYPES}
        # Peers repeat themselves: a burst of bad lines or future stamps is one log line.
        self._wanted = getattr(sink, "wanted", None)
        self._bad_log = RateLimitedLog(log, every=10.0)
        self._future_log = RateLimitedLog(log, every=60.0)
        words = ["gerrit", "stream-events"]
        for kind in config.subscribe:
            words += ["-s", kind]
        self.command = " ".join(words)     # config validated: letters and dashes only

    # -- state ---------------------------------------------------------------
    def _set_state(self, state: str, reason: str) -> None:
        self.state, self.state_reason = state, reason
        if self.on_state is not None:
            try:
                self.on_state(state, reason)
            except Exception:
                log.exception("on_state callback failed")

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            conn = self._conn
        if conn is not None:
            conn.close("stopping")

    # -- the loop ------------------------------------------------------------
    def run(self) -> None:
        cfg = self.config
        while not self._stop.is_set():
            last = f" (last attempt: {self.last_error})" if self.last_error else ""
            self._set_state("connecting", f"connecting to {cfg.address} as {cfg.username}{last}")
            up_since = None
            try:
                conn = connect(cfg)
            except GerritError as e:
                self.metrics.stream_connect_failures.labels(e.reason).inc()
                log.error("gerrit %s: %s", cfg.address, e)
                reason = str(e)
            else:
                with self._lock:
                    self._conn = conn
                try:
                    if self._stop.is_set():
                        break
                    up_since = time.monotonic()
                    self._session(conn)
                    reason = "the server ended the stream"
                except _Stopping:
                    break
                except GerritError as e:
                    reason = str(e)
                except (paramiko.SSHException, OSError, EOFError) as e:
                    reason = self._failure(conn, e)
                except Exception as e:     # the sink failed: reconnect; catch-up re-delivers
                    log.exception("processing a Gerrit event failed")
                    reason = f"processing an event failed: {e}"
                finally:
                    with self._lock:
                        self._conn = None
                    conn.close()
                    if self.state in ("streaming", "catching-up"):
                        self.metrics.stream_disconnects.inc()
                    self.metrics.stream_up.set(0)
                if self._stop.is_set():
                    break
                if conn.closed_because and conn.closed_because not in reason:
                    reason = f"{reason} ({conn.closed_because})"
                log.warning("gerrit %s: %s", cfg.address, reason)
            if up_since is not None and time.monotonic() - up_since >= cfg.healthy_after:
                self._backoff.reset()
            self.last_error = reason
            delay = self._backoff.next()
            self._set_state("backoff", f"{reason}; retrying in {delay:.1f} s")
            self._stop.wait(delay)
        self._set_state("stopped", "stopped")

    def _session(self, conn: Connection) -> None:
        cfg = self.config
        chan = conn.open(self.command, cfg.command_timeout)
        self._catch_up(conn, "connect")
        self.metrics.stream_connects.inc()
        self.metrics.stream_up.set(1)
        self.last_error = None
        self._set_state("streaming", f"streaming events from {cfg.address}")
        splitter = LineSplitter(cfg.max_line_bytes)
        chan.settimeout(cfg.keepalive_interval)
        while True:
            try:
                data = chan.recv(READ_BYTES)
            except socket.timeout:
                conn.probe()     # raises when the link is dead: the loop reconnects
                continue
            if self._stop.is_set():
                raise _Stopping()
            if not data:
                status = chan.exit_status if chan.exit_status_ready() else "none"
                raise NetworkError(f"stream-events from {cfg.address} ended (exit status {status})")
            # Every complete line of what has arrived goes on now, as one batch:
            # one transaction for a burst, and nothing waits for the next packet.
            batch, seen = [], dict.fromkeys(EVENT_TYPES, 0)
            for part in _arrived(chan, data):
                for line in splitter.feed(part):
                    event = self._event(line, seen)
                    if isinstance(event, DroppedOutput):
                        self._count(seen)
                        self._deliver(batch)
                        batch = []
                        log.warning("gerrit %s dropped events for this stream; catching up",
                                    self.config.address)
                        self._catch_up(conn, "dropped-output")
                        self._set_state("streaming",
                                        f"streaming events from {self.config.address}")
                    elif event is not None:
                        batch.append(event)
            self._count(seen)
            self._deliver(batch)

    def _failure(self, conn: Connection, e: BaseException) -> str:
        """Why the session ended. "connection lost" only when it was: an OS
        error on a live link is a fault of ours, and said to be one."""
        if conn.closed_because:
            return conn.closed_because
        if not conn.transport.is_active():
            return f"connection to {self.config.address} lost: {e}"
        log.error("gerrit %s: %s on a live connection", self.config.address,
                  type(e).__name__, exc_info=e)
        return f"{type(e).__name__} on a live connection to {self.config.address}: {e}"

    def _bad(self, reason: str, detail: str) -> None:
        self._bad_log("gerrit stream: skipped a line (%s): %s", reason, printable(detail))
        self.metrics.bad_events.labels(reason).inc()

    def _event(self, line, seen):
        """The line's event, or None for a bad line (counted) or one we do not
        use; `seen` counts events by type (added to the metric per read)."""
        obj = line if isinstance(line, BadLine) else decode(line)
        if obj is None:
            return None
        if isinstance(obj, BadLine):
            return self._bad(obj.reason, obj.detail)
        try:
            event = screen(obj, self._wanted) if self._wanted is not None and \
                type(obj) is dict else None
            if event is None:
                event = parse_event(obj)
        except MalformedEvent as e:
            return self._bad("malformed", str(e))
        except Exception as e:     # whatever a line holds, it never ends the session
            return self._bad("malformed", f"{type(e).__name__}: {e}")
        seen["other" if event is None else event.type] += 1
        return event

    def _count(self, seen) -> None:
        for kind, n in seen.items():
            if n:
                self._counts[kind].inc(n)
                seen[kind] = 0

    def _deliver(self, events) -> None:
        """Hand events to the sink; they count as processed once it returns."""
        if not events:
            return
        if self._stop.is_set():
            raise _Stopping()
        batch = getattr(self.sink, "handle_batch", None)
        if batch is not None and len(events) > 1:
            batch(events)
        else:
            for event in events:
                self.sink.handle(event)
        # A burst's events share a few stamps (seconds): observe each once, n times.
        stamps: dict = {}
        for event in events:
            stamps[event.created_on] = stamps.get(event.created_on, 0) + 1
        now = time.time()
        future = 0
        for created_on, n in stamps.items():
            observe_many(self.metrics.event_lag, max(0.0, now - created_on), n)
            if is_future(created_on, now, self.config.max_clock_skew):
                future += n
        if future:
            self._future(future, max(stamps), now)
        # Held at now + skew, as the position is: the "no events" alert must not
        # be silenced until some far-off date by one wrong clock.
        self.metrics.last_event_timestamp.set(
            min(max(stamps), position_limit(now, self.config.max_clock_skew)))

    def _future(self, n: int, newest: int, now: float) -> None:
        """Recorded, and their verdicts count; counted and said once a burst."""
        self.metrics.bad_events.labels("future").inc(n)
        self._future_log("gerrit %s: %d event(s) stamped up to %d s in the future (allowed "
                         "clock skew %g s): recorded, but the stream position stays at now "
                         "+ skew; is Gerrit's clock right?", self.config.address, n,
                         newest - int(now), self.config.max_clock_skew)

    def _catch_up(self, conn: Connection, why: str) -> None:
        position = self.sink.position()
        if position is None:
            log.info("no stream position yet: no catch-up after %s (bootstrap is the engine's)", why)
            return
        since = catchup_start(position, time.time(), self.config.catchup_overlap,
                              self.config.max_clock_skew)
        self._set_state("catching-up", f"catching up from {since} after {why}")
        query = GerritQuery(self.config, self.metrics, connection=conn)
        events = list(query.catch_up(since, self.catchup_extra,
                                     getattr(self.sink, "relevant", None)))
        for i in range(0, len(events), CATCHUP_BATCH):
            if i:
                pause()     # HTTP is answered between transactions, as in a stream burst
            self._deliver(events[i:i + CATCHUP_BATCH])
        log.info("catch-up after %s from %d: %d events", why, since, len(events))
