"""The gevent pywsgi server around the app, held against abusive clients.

What one client can take is bounded (driverlogd/httplimits.py has the numbers):
- a request's headers, and its body if any, must arrive within
  `header_timeout` of its first byte, else 408 and the connection closes;
- a keep-alive connection waits `idle_timeout` for its next request;
- connections are counted: when `max_idle` are idle, the oldest idle one is
  closed; when a new connection would pass `max_connections`, the oldest idle
  one, else the oldest still sending its request, is closed for it, so held
  connections never starve new ones; when all are being answered, a 503;
- a malformed request line, header, chunked body or Content-Length gets a
  4xx, never a 500, and at most one rate-limited log line, never a traceback.
Every refusal is counted in `driverlog_http_bad_requests_total` or
`driverlog_http_connections_closed_total`.
"""
import collections
import http.client
import io
import json
import logging
import socket

import gevent
from gevent.pywsgi import WSGIHandler, WSGIServer

from driverlogd.httplimits import Limits, fitted, raise_fd_limit
from driverlogd.ratelog import RateLimitedLog, printable

LOG = logging.getLogger(__name__)
REASONS = {400: "Bad Request", 408: "Request Timeout", 413: "Payload Too Large",
           414: "URI Too Long", 431: "Request Header Fields Too Large",
           503: "Service Unavailable"}


class HeaderTimeout(Exception):
    """The request's headers (or body) did not arrive in time."""


def raw_response(status: int, message: str) -> bytes:
    """A whole HTTP/1.1 error answer that closes the connection."""
    body = json.dumps({"error": {"status": status, "message": message}}).encode()
    head = (f"HTTP/1.1 {status} {REASONS[status]}\r\nContent-Type: application/json; "
            f"charset=utf-8\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    return head.encode("latin-1") + body


def _client_error(ex) -> tuple:
    """(status, metrics reason, message) for what the request parser raised."""
    if isinstance(ex, HeaderTimeout):
        return 408, "timeout", "the request did not arrive in time"
    text = str(ex)
    if isinstance(ex, http.client.HTTPException) or "Line too long" in text:
        return 431, "too_large", "too many or too long header lines"
    return 400, "malformed", "malformed request"


class Handler(WSGIHandler):
    """One connection. Adds the raw request target (RAW_URI, as gunicorn names
    it) so the app can tell a %2F inside a name from a path separator."""

    _deadline = None
    shed = False       # closed by the server to make room: no refusal to count

    def __init__(self, sock, address, server, rfile=None):
        sock.settimeout(server.limits.socket_timeout)
        try:   # headers and body may leave in two writes: no Nagle delay
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        super().__init__(sock, address, server, rfile)

    # -- reading a request, within its deadline ---------------------------------
    def read_requestline(self):
        server, limits = self.server, self.server.limits
        if not server.wait_idle(self, limits.idle_timeout):
            return ""      # idle too long, shed, or gone: close quietly
        server.reading[self] = None
        self._deadline = gevent.Timeout.start_new(limits.header_timeout, HeaderTimeout())
        try:
            return super().read_requestline()
        except HeaderTimeout as e:
            self._refuse_raw(e)
            return ""

    def read_request(self, raw_requestline):
        words = raw_requestline.split()
        if len(words) != 3:      # HTTP/0.9 would wait for headers never sent
            raise ValueError("not an HTTP/1.x request line")
        if not words[1].startswith("/") and "://" not in words[1]:
            raise ValueError("the request target is neither a path nor a URL")
        done = super().read_request(raw_requestline)
        for name in ("content-length", "transfer-encoding"):
            # Two that differ are how requests are smuggled past a proxy.
            if len(set(self.headers.get_all(name) or ())) > 1:
                raise ValueError(f"conflicting {name} headers")
        return done

    def handle_one_request(self):
        try:
            result = super().handle_one_request()
        except gevent.GreenletExit:
            raise
        except Exception as e:     # a header pywsgi could not turn into an environ
            result = self._client_error(e)
        finally:
            self._stop_deadline()
        if isinstance(result, tuple) and result[0] == "414":    # pywsgi's own refusal
            self.server.refused("too_large", 414)
        return result

    def _stop_deadline(self):
        self.server.reading.pop(self, None)
        if self._deadline is not None:
            self._deadline.close()
            self._deadline = None

    def get_environ(self):
        env = super().get_environ()
        env["RAW_URI"] = self.path
        return env

    def handle_one_response(self):
        refusal = self._read_body()
        self._stop_deadline()      # the answer may take long (event streams): not bound here
        if refusal:
            self._answer(*refusal)
            return
        super().handle_one_response()

    def _read_body(self):
        """Read a body now, within the request's deadline, and hand the app a
        copy; (status, reason, message) when it is refused."""
        env, limit = self.environ, self.server.limits.max_body_bytes
        coding = env.get("HTTP_TRANSFER_ENCODING", "").lower()
        if coding and coding != "chunked":
            return 400, "malformed", "unsupported Transfer-Encoding"
        if not coding and not self.content_length:
            return None
        if (self.content_length or 0) > limit:
            return 413, "too_large", f"request body larger than {limit} bytes"
        try:
            body = self.wsgi_input.read(limit + 1)
        except HeaderTimeout as e:
            return _client_error(e)
        except (OSError, ValueError):     # bad chunk sizes, a short body, a reset
            return 400, "malformed", "malformed request body"
        if len(body) > limit:
            return 413, "too_large", f"request body larger than {limit} bytes"
        env["wsgi.input"] = io.BytesIO(body)
        return None

    # -- refusing ------------------------------------------------------------------
    def _answer(self, status, reason, message):
        """Refuse through pywsgi's own writer (the environ exists)."""
        self.close_connection = True
        if self.shed:
            return
        self.server.refused(reason, status)
        body = json.dumps({"error": {"status": status, "message": message}}).encode()
        try:
            self.start_response(f"{status} {REASONS[status]}",
                                [("Content-Type", "application/json; charset=utf-8"),
                                 ("Content-Length", str(len(body))), ("Connection", "close")])
            self.write(body)
        except OSError:
            pass

    def _client_error(self, ex):
        status, reason, message = _client_error(ex)
        if self.shed:
            return str(status), b""
        self.server.refused(reason, status)
        self.log_error("refused a request from %s (%s): %s", self.client_address[0], status,
                       printable(f"{type(ex).__name__}: {ex}", 120))
        return str(status), raw_response(status, message)

    _handle_client_error = _client_error      # pywsgi's hook for bad request lines and headers

    def _refuse_raw(self, ex):
        status, body = self._client_error(ex)
        try:
            self.socket.sendall(body)
        except OSError:
            pass

    def handle_error(self, t, v, tb):
        """A socket error while answering is the client's doing (it stopped
        reading, or reset): close, one rate-limited line. Anything else is ours."""
        if isinstance(v, OSError):
            self.close_connection = True
            self.server.closed("lost")
            self.log_error("lost %s while answering: %s", self.client_address[0],
                           printable(v, 120))
            return
        super().handle_error(t, v, tb)

    def log_error(self, msg, *args):
        self.server.client_log("http: " + msg, *args)


class Server(WSGIServer):
    """Counts connections, keeps the idle ones in age order, sheds the oldest."""

    def __init__(self, listener, app, limits: Limits, metrics=None, **kw):
        super().__init__(listener, app, handler_class=Handler, **kw)
        self.limits = limits
        self.metrics = metrics
        self.open = 0
        # handler -> None, oldest first: waiting for a request, and reading one.
        self.idle = collections.OrderedDict()
        self.reading = collections.OrderedDict()
        self.client_log = RateLimitedLog(LOG, logging.WARNING, every=10.0)

    def handle(self, sock, address):
        self.open += 1
        try:
            if self.open > self.limits.max_connections and not self._shed("capacity"):
                self.closed("busy")
                try:
                    sock.sendall(raw_response(503, "too many connections; retry shortly"))
                except OSError:
                    pass
                sock.close()
                return
            super().handle(sock, address)
        except OSError:      # the client went while pywsgi wrote its own refusal
            self.closed("lost")
        finally:
            self.open -= 1

    def wait_idle(self, handler, timeout) -> bool:
        """Wait, counted as idle, for the first byte of the handler's next
        request; False when none came (timeout, shed, closed)."""
        self.idle[handler] = None
        while len(self.idle) > self.limits.max_idle:
            self._shed("idle_limit")
        try:
            handler.socket.settimeout(timeout)
            first = handler.rfile.peek(1)
        except socket.timeout:
            self.closed("idle_timeout")
            return False
        except (OSError, ValueError):       # reset, or closed under us
            return False
        finally:
            self.idle.pop(handler, None)
            if handler.socket is not None:
                handler.socket.settimeout(self.limits.socket_timeout)
        return bool(first)

    def _shed(self, reason) -> bool:
        """Close the oldest idle connection, or for a new connection (capacity)
        the oldest still sending its request; False when there is none."""
        if self.idle:
            handler, _ = self.idle.popitem(last=False)
        elif reason == "capacity" and self.reading:
            handler, _ = self.reading.popitem(last=False)
        else:
            return False
        handler.shed = True
        self.closed(reason)
        try:    # wakes its reader with end-of-file; it then closes itself
            handler.socket.shutdown(socket.SHUT_RDWR)
        except (OSError, AttributeError):
            pass
        return True

    def refused(self, reason, status):
        if self.metrics is not None:
            self.metrics.http_bad_requests.labels(reason).inc()
            self.metrics.http_responses.labels(str(status)).inc()

    def closed(self, reason):
        if self.metrics is not None:
            self.metrics.http_connections_closed.labels(reason).inc()


class _Log:
    """pywsgi writes access lines to a file-like object: route them to logging."""

    def __init__(self, level):
        self.level = level

    def write(self, line):
        line = line.rstrip()
        if line:
            LOG.log(self.level, "%s", line)

    def flush(self):
        pass


def serve(app, host="127.0.0.1", port=0, *, limits=None, metrics=None, access_log=False):
    """Start serving `app` on (host, port) without blocking; return the server.

    `limits`: a httplimits.Limits (defaults otherwise); `metrics`: where the
    refusals are counted (the app's, by default). `server.server_port` is the
    bound port (useful with port 0); `server.stop(timeout)` stops it."""
    limits, shrunk = fitted(limits or Limits(), raise_fd_limit())
    if shrunk:
        LOG.warning("http: only %d connections fit the open-files limit (raise LimitNOFILE=)",
                    limits.max_connections)
    metrics = metrics if metrics is not None else getattr(app, "metrics", None)
    server = Server((host, port), app, limits, metrics, backlog=1024,
                    log=_Log(logging.INFO) if access_log else None,
                    error_log=_Log(logging.ERROR))
    if metrics is not None and hasattr(metrics, "http_connections"):
        metrics.http_connections.labels("open").set_function(lambda: server.open)
        metrics.http_connections.labels("idle").set_function(lambda: len(server.idle))
    server.start()
    return server
