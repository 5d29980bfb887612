"""The gevent pywsgi server around the app."""
import logging
import socket

from gevent.pool import Pool
from gevent.pywsgi import WSGIHandler, WSGIServer

LOG = logging.getLogger(__name__)


class Handler(WSGIHandler):
    """Adds the raw request target (RAW_URI, as gunicorn names it) so the app
    can tell a %2F inside a name from a path separator, and bounds every
    socket read and write: a client that stops reading, or sends its request
    a byte a minute, loses only its own connection."""

    socket_timeout = 30.0

    def __init__(self, sock, address, server, rfile=None):
        sock.settimeout(getattr(server, "socket_timeout", self.socket_timeout))
        try:   # headers and body may leave in two writes: no Nagle delay
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        super().__init__(sock, address, server, rfile)

    def get_environ(self):
        env = super().get_environ()
        env["RAW_URI"] = self.path
        return env


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


def serve(app, host="127.0.0.1", port=0, *, max_connections=1000, socket_timeout=30.0,
          access_log=False):
    """Start serving `app` on (host, port) without blocking; return the server.

    `server.server_port` is the bound port (useful with port 0);
    `server.stop(timeout)` stops it."""
    server = WSGIServer((host, port), app, handler_class=Handler,
                        spawn=Pool(max_connections),
                        log=_Log(logging.INFO) if access_log else None,
                        error_log=_Log(logging.ERROR))
    server.socket_timeout = socket_timeout
    server.start()
    return server
