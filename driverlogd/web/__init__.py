"""driverlogd's read-only web layer: JSON API, dashboard, feeds, metrics.

Public: make_app(readmodel, metrics, *, max_request_bytes=...) -> WSGI app;
serve(app, host, port) -> started gevent WSGIServer; ReadModel (the protocol
the service implements).
"""
from driverlogd.web.app import make_app
from driverlogd.web.readmodel import STATES, ReadModel
from driverlogd.web.server import serve

__all__ = ["make_app", "serve", "ReadModel", "STATES"]
