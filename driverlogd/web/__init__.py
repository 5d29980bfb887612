"""driverlogd's read-only web layer: JSON API, dashboard, feeds, metrics.

Public: make_app(readmodel, metrics, *, max_request_bytes=...) -> WSGI app;
serve(app, host, port) -> started gevent WSGIServer; ReadModel (the protocol
the service implements).
"""
from driverlogd.web.server import serve
from driverlogd.web.source import STATES, ReadModel
from driverlogd.web.wsgi import make_app

__all__ = ["make_app", "serve", "ReadModel", "STATES"]
