"""The stand-in Gerrit: a real SSH server (paramiko) on loopback.

    server = StandIn(host_key_path, authorized_keys=[pubkey_line, ...], port=0)
    server.start(); server.port
    n = server.create_change(project, branch="master", owner="alice")
    server.upload_patchset(n); server.add_comment(n, 1, "cisco-ci", "Build succeeded.",
                                                   approvals={"Verified": 1})
    server.merge(n); server.abandon(n)
    faults: drop_streams(), go_silent(), refuse_connections(True/False),
            lose_events(True/False), emit_dropped_output(), emit_raw(b"...\\n"),
            hold_queries(True/False, only=predicate); drop_streams, lose_events and
            emit_dropped_output take user="name" to touch that account's alone
    server.stop(); server.start()      # restart: same host key, same port

It answers `gerrit version`, `gerrit stream-events [-s TYPE]...` and
`gerrit query ...` (see query.py). Each stream has its own bounded queue and
writer thread, like Gerrit's: a stuck client never blocks the others, and
when a queue overflows the stream gets a `dropped-output` event. Threads
only, so it also runs inside a gevent-patched process (as in `driverlogd demo`).
"""
import json
import logging
import queue
import shlex
import socket
import threading
import time
from typing import Iterable, List, Optional

import paramiko

from . import search as query_cmd
from .store import Store, UnknownChange
from .wire import Wire

log = logging.getLogger(__name__)
VERSION = "3.9.1-standin"


def _dump(obj) -> bytes:
    return (json.dumps(obj, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8")


def _key_id(key) -> tuple:
    return (key.get_name(), key.get_base64())


def _parse_pubkey(line) -> tuple:
    if isinstance(line, paramiko.PKey):
        return _key_id(line)
    parts = str(line).split()
    if len(parts) < 2:
        raise ValueError(f"not a public key line: {line!r}")
    return (parts[0], parts[1])


class _Stream:
    """One `stream-events` session: a bounded queue drained by its own thread."""

    def __init__(self, chan, types, wire, maxsize):
        self.chan, self.types, self.wire = chan, set(types), wire
        self.queue: "queue.Queue[Optional[bytes]]" = queue.Queue(maxsize)
        self.overflowed = False

    def offer(self, kind: Optional[str], line: bytes) -> None:
        if kind is not None and self.types and kind not in self.types:
            return
        try:
            self.queue.put_nowait(line)
        except queue.Full:
            self.overflowed = True

    def pump(self) -> None:
        while not self.chan.closed:
            try:
                item = self.queue.get(timeout=0.5)
            except queue.Empty:
                continue
            if item is None:
                return
            batch = [item]
            size = len(item)
            while size < 1 << 16:
                try:
                    more = self.queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self.queue.put(None)
                    break
                batch.append(more)
                size += len(more)
            if self.overflowed:
                self.overflowed = False
                batch.append(_dump({"type": "dropped-output", "eventCreatedOn": int(time.time())}))
            self.chan.sendall(b"".join(batch))


class _Session(paramiko.ServerInterface):
    def __init__(self, standin: "StandIn", wire: Wire):
        self.standin, self.wire = standin, wire
        self.username = None

    def get_allowed_auths(self, username):
        return "publickey"

    def check_auth_publickey(self, username, key):
        if _key_id(key) in self.standin.authorized:
            self.username = self.wire.user = username
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_channel_request(self, kind, chanid):
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_exec_request(self, channel, command):
        text = command.decode("utf-8", "replace") if isinstance(command, bytes) else command
        t = threading.Thread(target=self.standin._command, args=(channel, text, self.wire),
                             name="standin-cmd", daemon=True)
        t.start()
        return True


class StandIn:
    def __init__(self, host_key_path: str, authorized_keys: Iterable = (), port: int = 0,
                 host: str = "127.0.0.1", url_base: Optional[str] = None, clock=None,
                 stream_queue_size: int = 200000):
        self.host_key = paramiko.PKey.from_path(host_key_path)
        self.authorized = {_parse_pubkey(k) for k in authorized_keys}
        self.host, self.port = host, port
        self.store = Store(url_base or "http://127.0.0.1:8080/", clock)
        self.stream_queue_size = stream_queue_size
        self.commands: List[str] = []       # every command received, for tests
        self._lock = threading.Lock()
        self._streams: List[_Stream] = []
        self._transports: List[tuple] = []  # (transport, wire)
        self._listener: Optional[socket.socket] = None
        self._refuse = False
        self._lose = False               # True: every stream's; a name: that account's
        self._queries_open = threading.Event()
        self._queries_open.set()
        self._hold_only = None          # hold_queries(only=...): which queries wait
        self._running = False
        self._acceptor: Optional[threading.Thread] = None

    # -- lifecycle ------------------------------------------------------------
    def start(self) -> "StandIn":
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        listener.settimeout(0.2)     # so stop() is noticed without closing under accept()
        self._listener, self._running = listener, True
        self._acceptor = threading.Thread(target=self._accept, args=(listener,),
                                          name="standin-accept", daemon=True)
        self._acceptor.start()
        return self

    def stop(self) -> None:
        self._running = False
        if self._acceptor is not None:
            self._acceptor.join(5)
            self._acceptor = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        self.drop_streams()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _accept(self, listener: socket.socket) -> None:
        while self._running:
            try:
                sock, _ = listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            sock.settimeout(None)
            if self._refuse or not self._running:
                sock.close()
                continue
            threading.Thread(target=self._serve, args=(sock,), name="standin-conn",
                             daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)   # as Gerrit's SSHD does
        wire = Wire(sock)
        transport = paramiko.Transport(wire)
        transport.add_server_key(self.host_key)
        with self._lock:
            self._transports.append((transport, wire))
        try:
            transport.start_server(server=_Session(self, wire))
        except (paramiko.SSHException, OSError, EOFError) as e:
            log.debug("stand-in: handshake failed: %s", e)
            self._forget(transport, wire)
            return
        transport.join()
        self._forget(transport, wire)

    def _forget(self, transport, wire) -> None:
        wire.closed = True
        transport.close()
        with self._lock:
            if (transport, wire) in self._transports:
                self._transports.remove((transport, wire))

    def open_connections(self) -> int:
        with self._lock:
            return sum(1 for t, _ in self._transports if t.is_active())

    # -- commands -------------------------------------------------------------
    def _command(self, chan, command: str, wire: Wire) -> None:
        with self._lock:
            self.commands.append(command)
        try:
            words = shlex.split(command)
        except ValueError as e:
            return self._finish(chan, 1, err=f"fatal: {e}\n")
        try:
            if words[:2] == ["gerrit", "version"]:
                return self._finish(chan, 0, out=f"gerrit version {VERSION}\n".encode())
            if words[:2] == ["gerrit", "stream-events"]:
                return self._stream(chan, words[2:], wire)
            if words[:2] == ["gerrit", "query"]:
                return self._query(chan, words[2:])
            return self._finish(chan, 1, err=f"fatal: {' '.join(words[:2])}: not found\n")
        except (OSError, EOFError, paramiko.SSHException) as e:
            log.debug("stand-in: %r ended: %s", command, e)
            chan.close()

    @staticmethod
    def _finish(chan, status: int, out: bytes = b"", err: str = "") -> None:
        if out:
            chan.sendall(out)
        if err:
            chan.sendall_stderr(err.encode())
        chan.send_exit_status(status)
        chan.shutdown_write()
        # paramiko answers the exec request only after this thread was started:
        # closing at once could overtake that answer, so let the client close first.
        deadline = time.monotonic() + 2.0
        while not chan.closed and time.monotonic() < deadline:
            time.sleep(0.005)
        chan.close()

    def _held(self, args: List[str]) -> bool:
        only = self._hold_only
        return not self._queries_open.is_set() and (only is None or only(" ".join(args)))

    def _query(self, chan, args: List[str]) -> None:
        while self._held(args):                     # hold_queries(): a slow Gerrit
            if chan.closed or not self._running:
                return
            self._queries_open.wait(0.2)
        try:
            rows, stats = query_cmd.run(self.store, args)
        except query_cmd.QueryError as e:
            return self._finish(chan, 1, out=_dump({"type": "error", "message": str(e)}))
        self._finish(chan, 0, out=b"".join(_dump(r) for r in rows) + _dump(stats))

    def _stream(self, chan, args: List[str], wire: Wire) -> None:
        types = []
        i = 0
        while i < len(args):
            if args[i] in ("-s", "--subscribe") and i + 1 < len(args):
                types.append(args[i + 1])
                i += 2
            else:
                return self._finish(chan, 1, err=f'fatal: "{args[i]}" is not a valid option\n')
        stream = _Stream(chan, types, wire, self.stream_queue_size)
        with self._lock:
            self._streams.append(stream)
        try:
            stream.pump()
        finally:
            with self._lock:
                self._streams.remove(stream)
            chan.close()

    # -- publishing -------------------------------------------------------------
    def _publish(self, event: dict, filtered: bool = True) -> dict:
        line = _dump(event)
        with self._lock:
            if self._lose is True and event.get("type") != "dropped-output":
                return event
            for stream in self._streams:
                if self._lose and stream.wire.user == self._lose:
                    continue
                stream.offer(event["type"] if filtered else None, line)
        return event

    def emit_raw(self, data: bytes) -> None:
        """Write bytes as they are to every stream (for malformed-input tests)."""
        with self._lock:
            for stream in self._streams:
                stream.offer(None, data)

    def emit_event(self, event: dict) -> dict:
        return self._publish(event)

    def stream_count(self) -> int:
        with self._lock:
            return len(self._streams)

    # -- the Gerrit actions -------------------------------------------------------
    def create_change(self, project: str, branch: str = "master", subject: Optional[str] = None,
                      owner: str = "alice", topic: Optional[str] = None) -> int:
        return self._publish(self.store.create_change(project, branch, subject, owner, topic))[
            "change"]["number"]

    def upload_patchset(self, number: int, uploader: Optional[str] = None) -> int:
        return self._publish(self.store.upload_patchset(number, uploader))["patchSet"]["number"]

    def add_comment(self, number: int, patchset: Optional[int], username: str, message: str,
                    approvals=None, raw: bool = False) -> dict:
        return self._publish(self.store.add_comment(number, patchset, username, message,
                                                    approvals, raw))

    def merge(self, number: int, submitter: str = "admin") -> dict:
        return self._publish(self.store.merge(number, submitter))

    def abandon(self, number: int, by: str = "admin") -> dict:
        return self._publish(self.store.abandon(number, by))

    # -- faults ---------------------------------------------------------------------
    def drop_streams(self, user: Optional[str] = None) -> None:
        """Close every connection (streams end with EOF, as when Gerrit restarts),
        or only those logged in as `user`."""
        with self._lock:
            victims = [(t, w) for t, w in self._transports if user in (None, w.user)]
            streams = [s for s in self._streams if user in (None, s.wire.user)]
        for stream in streams:
            stream.queue.put(None)
        for transport, wire in victims:
            self._forget(transport, wire)

    def go_silent(self) -> None:
        """Every open connection stops reading and writing; sockets stay open."""
        with self._lock:
            for _, wire in self._transports:
                wire.silent = True

    def refuse_connections(self, refuse: bool = True) -> None:
        self._refuse = refuse

    def lose_events(self, lose: bool = True, user: Optional[str] = None) -> None:
        """While set, events change the store but never reach any stream (or
        the streams of `user`: one slow consumer's queue overflowing)."""
        self._lose = (user or True) if lose else False

    def emit_dropped_output(self, user: Optional[str] = None) -> None:
        """Gerrit's word that it dropped events, to every stream or `user`'s."""
        line = _dump({"type": "dropped-output", "eventCreatedOn": self.store.now()})
        with self._lock:
            for stream in self._streams:
                if user in (None, stream.wire.user):
                    stream.offer(None, line)

    def hold_queries(self, hold: bool = True, only=None) -> None:
        """While set, `gerrit query` answers nothing yet (a slow Gerrit): what
        waits is answered once released. `only(text)`, given the query's
        words after `gerrit query` joined by spaces, holds just the queries it
        is true for (e.g. the bootstrap's reads of changes not merged)."""
        if hold:
            self._hold_only = only
            self._queries_open.clear()
        else:
            self._queries_open.set()


__all__ = ["StandIn", "UnknownChange", "VERSION"]
