"""driverlogd's read-only web layer: JSON API, dashboard, feeds, metrics.

Public: make_app(readmodel, metrics, *, max_request_bytes=...) -> WSGI app;
serve(app, host, port) -> started gevent WSGIServer; ReadModel (the protocol
the service implements).
"""
from driverlogd.verdict import STATES  # re-exported; verdict/ is their home
from driverlogd.web.server import serve
from driverlogd.web.source import ReadModel
from driverlogd.web.wsgi import make_app

__all__ = ["make_app", "serve", "ReadModel", "STATES"]
