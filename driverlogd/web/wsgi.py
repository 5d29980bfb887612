"""The read-only WSGI application: limits, routing (by routes.ROUTES), caching, errors."""
import hashlib
import logging
import pathlib
import time

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from driverlogd.metrics import HTTP_HANDLERS
from driverlogd.web import api_v1, feeds, openapi, sse, trial
from driverlogd.web.filters import BadRequest, parse_query
from driverlogd.web.http import (
    JSON,
    STATUS_TEXT,
    BodyCache,
    Request,
    Response,
    error_response,
    gzip_body,
    json_response,
)
from driverlogd.web.routes import ROUTES, Router
from driverlogd.web.rowfeed import RowFeed
from driverlogd.web.snapshot import Snapshots

LOG = logging.getLogger(__name__)
STATIC_DIR = pathlib.Path(__file__).parent / "static"
STATIC_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml",
                ".png": "image/png", ".ico": "image/x-icon", ".txt": "text/plain; charset=utf-8"}
# Every asset is ours and served from here; nothing inline, nothing remote.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
ALLOW = "GET, HEAD"
GZIP_MIN = 1024


class App:
    def __init__(self, readmodel, metrics, max_request_bytes=64 * 1024, max_url_bytes=4096,
                 max_event_streams=256, event_stream_seconds=300.0, snapshot_max_age=60.0,
                 cache_bytes=16 << 20):
        self.rm = readmodel
        self.metrics = metrics
        self.max_request_bytes = max_request_bytes
        self.max_url_bytes = max_url_bytes
        self.max_event_streams = max_event_streams
        self.event_stream_seconds = event_stream_seconds
        self.snapshots = Snapshots(readmodel, max_age=snapshot_max_age)
        self.cache = BodyCache(cache_bytes)
        self.watch = sse.GenerationWatch(readmodel)
        self.rowfeed = RowFeed(readmodel)
        self.open_streams = 0
        self.trials = trial.TokenBucket()
        self.static = {}
        for p in sorted(STATIC_DIR.iterdir()) if STATIC_DIR.is_dir() else ():
            if p.is_file() and p.suffix in STATIC_TYPES:
                body = p.read_bytes()
                self.static[p.name] = (body, STATIC_TYPES[p.suffix],
                                       '"%s"' % hashlib.sha1(body).hexdigest()[:16])
        self.openapi = openapi.document_bytes()
        self.links = openapi.links_bytes()
        self.router = Router(ROUTES)
        self.answers = {r.name: self._answer(r) for r in ROUTES}
        # Each request's series looked up once here, not on every request.
        self._timers = {h: metrics.http_request_seconds.labels(h) for h in HTTP_HANDLERS}
        self._answered = {}

    # -- WSGI entry ------------------------------------------------------
    def __call__(self, environ, start_response):
        started = time.perf_counter()
        try:
            resp = self._refuse(environ) or self._dispatch(Request(environ))
        except BadRequest as e:
            self._count(e.reason)
            resp = error_response(400, e.message)
        except trial.RateLimited as e:
            self._count("rate_limited")
            resp = e.response()
        except Exception:  # a bug of ours: log it, answer 500, keep serving
            LOG.exception("error serving %s", environ.get("PATH_INFO"))
            resp = error_response(500, "internal error")
        self._timers[self.router.label(environ.get("PATH_INFO") or "/")].observe(
            time.perf_counter() - started)
        answered = self._answered.get(resp.status)
        if answered is None:
            answered = self._answered[resp.status] = \
                self.metrics.http_responses.labels(str(resp.status))
        answered.inc()
        return self._send(environ, start_response, resp)

    def _count(self, reason):
        try:
            self.metrics.http_bad_requests.labels(reason).inc()
        except Exception:   # an unknown reason must not turn a 4xx into a 500
            LOG.debug("no http_bad_requests label %r", reason)

    def _refuse(self, environ):
        """Limits checked before any routing: URL, method, headers, body."""
        raw = environ.get("RAW_URI") or (environ.get("PATH_INFO", "") + "?" +
                                         environ.get("QUERY_STRING", ""))
        if len(raw) > self.max_url_bytes:
            self._count("too_large")
            return error_response(414, "URL longer than %d bytes" % self.max_url_bytes)
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if method not in ("GET", "HEAD"):
            self._count("method")
            return error_response(405, "read-only: GET and HEAD only", [("Allow", ALLOW)])
        head_bytes = sum(len(k) + len(str(v)) for k, v in environ.items() if k.startswith("HTTP_"))
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = self.max_request_bytes + 1
        if environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
            length = len(environ["wsgi.input"].read(self.max_request_bytes + 1))
        if head_bytes + length > self.max_request_bytes:
            self._count("too_large")
            return error_response(413, "request larger than %d bytes" % self.max_request_bytes,
                                  [("Connection", "close")])
        return None

    def _send(self, environ, start_response, resp):
        headers = list(resp.headers)
        headers.append(("X-Content-Type-Options", "nosniff"))
        if resp.stream is not None:
            start_response("%d %s" % (resp.status, STATUS_TEXT.get(resp.status, "")), headers)
            return resp.stream
        body = resp.body
        if environ.get("REQUEST_METHOD", "GET").upper() == "HEAD":
            headers.append(("Content-Length", str(len(body))))
            body = b""
        else:
            headers.append(("Content-Length", str(len(body))))
        start_response("%d %s" % (resp.status, STATUS_TEXT.get(resp.status, "")), headers)
        return [body]

    # -- routing ---------------------------------------------------------
    def _dispatch(self, req):
        route, tail = self.router.match(req.segments)
        resp = self.answers[route.name](req, tail) if route is not None else None
        return resp if resp is not None else self._not_found(req)

    def _answer(self, route):
        """The function answering `route`: (request, tail) -> Response | None."""
        view = route.view
        if route.answer == "app":
            return getattr(self, "_" + route.name)
        if route.answer == "etag":
            def answer(req, tail):
                snap = self.snapshots.current()
                resp = view(snap, req, tail)
                return self._conditional(req, snap, resp) if resp else None
            return answer
        assert route.answer == "cached", route

        def answer(req, tail):
            snap = self.snapshots.current()
            return self._cached(req, snap, lambda: view(snap, req, tail))
        return answer

    # -- the routes answered here ("app" in routes.py) -------------------
    def _dashboard(self, req, tail):
        return self._static_file(req, "index.html")

    def _static(self, req, tail):
        return self._static_file(req, tail[0]) if len(tail) == 1 else None

    def _healthz(self, req, tail):
        ready, why = self.rm.readiness()
        return json_response({"status": "ok" if ready else "unavailable", "reason": why},
                             200 if ready else 503, [("Cache-Control", "no-store")])

    def _metrics(self, req, tail):
        return Response(200, generate_latest(self.metrics.registry), CONTENT_TYPE_LATEST,
                        [("Cache-Control", "no-store")])

    def _api_index(self, req, tail):
        parse_query(req.query, frozenset())
        return Response(200, self.links, JSON)

    def _openapi(self, req, tail):
        parse_query(req.query, frozenset())
        return self._with_etag(req, Response(200, self.openapi, JSON),
                               '"%s"' % hashlib.sha1(self.openapi).hexdigest()[:16])

    def _driver(self, req, tail):
        return api_v1.driver(self.snapshots.current(), req, self.rm, tail)

    def _ci_try(self, req, tail):
        return trial.try_patterns(self.rm, req, tail, self.trials)

    def _feed(self, req, tail):
        snap = self.snapshots.current()
        return self._cached(req, snap, lambda: feeds.atom(snap, req, self.rm))

    def _not_found(self, req):
        self._count("not_found")
        return error_response(404, "no such resource: %s" % req.raw_path[:200])

    # -- caching ---------------------------------------------------------
    def _cached(self, req, snap, build):
        """Bodies are fixed by (snapshot, path, query): reuse them. A client that
        takes gzip gets the gzip copy without the plain body being rebuilt."""
        etag = 'W/"%s"' % snap.token
        if etag in req.header("If-None-Match"):
            return Response(304, b"", JSON, [("ETag", etag)])
        key = (snap.token, req.raw_path, req.query)
        hit = self.cache.get(key + ("gzip",)) if req.accepts_gzip() else None
        if hit is not None:
            return self._with_etag(req, Response(200, hit[0], hit[1], hit[2]), etag,
                                   gzipped=True)
        hit = self.cache.get(key)
        if hit is not None:
            resp = Response(200, hit[0], hit[1], hit[2])
        else:
            resp = build()
            if resp is None:
                return self._not_found(req)
            if resp.status != 200:
                return resp
            if not (req.accepts_gzip() and len(resp.body) >= GZIP_MIN):
                # For a gzip client only the gzip copy is kept (_with_etag).
                self.cache.put(key, (resp.body, resp.headers[0][1], resp.headers[1:]),
                               snap.token)
        return self._with_etag(req, resp, etag, key)

    def _conditional(self, req, snap, resp):
        if resp.status != 200:
            return resp
        return self._with_etag(req, resp, 'W/"%s"' % snap.token,
                               (snap.token, req.raw_path, req.query))

    def _with_etag(self, req, resp, etag, cache_key=None, gzipped=False):
        """`cache_key`: a snapshot's body, (token, path, query); `gzipped`:
        resp.body is already the gzip copy."""
        if etag in req.header("If-None-Match"):
            return Response(304, b"", resp.headers[0][1], [("ETag", etag)])
        if not gzipped and req.accepts_gzip() and len(resp.body) >= GZIP_MIN:
            key = (cache_key or (etag, req.raw_path, req.query)) + ("gzip",)
            resp.body = gzip_body(self.cache, key, resp.body,
                                  (resp.headers[0][1], resp.headers[1:]),
                                  cache_key[0] if cache_key else None)
            gzipped = True
        resp.header("ETag", etag).header("Vary", "Accept-Encoding")
        if not any(k == "Cache-Control" for k, _ in resp.headers):
            resp.header("Cache-Control", "no-cache")
        if gzipped:
            resp.header("Content-Encoding", "gzip")
        return resp

    def _static_file(self, req, name):
        entry = self.static.get(name)
        if entry is None:
            return self._not_found(req)
        body, ctype, etag = entry
        # The icon may be a day old; Chromium re-fetches it on every URL change
        # (the dashboard keeps its filters in the URL). The rest revalidates.
        cache = "max-age=86400" if name == "favicon.svg" else "no-cache"
        resp = Response(200, body, ctype, [("Cache-Control", cache)])
        if name.endswith(".html"):
            resp.header("Content-Security-Policy", CSP).header("Referrer-Policy", "no-referrer")
        return self._with_etag(req, resp, etag)

    def _events(self, req, tail):
        since = parse_query(req.query, frozenset(("since",))).get("since")
        if since is not None:
            if not (since.isascii() and since.isdigit()) or len(since) > 18:
                raise BadRequest("since: a generation (a whole number) is expected, got %r"
                                 % since[:40])
            since = int(since)
        if self.open_streams >= self.max_event_streams:
            return error_response(503, "too many event streams; poll /api/v1/drivers instead",
                                  [("Retry-After", "30")])
        self.open_streams += 1

        def closed():
            self.open_streams -= 1

        start = self.rowfeed.start(req.header("Last-Event-ID"), since)
        body = sse.Stream(self.watch, self.rowfeed, start, max_seconds=self.event_stream_seconds,
                          on_close=closed)
        return Response(200, content_type="text/event-stream; charset=utf-8",
                        headers=[("Cache-Control", "no-store"), ("X-Accel-Buffering", "no")],
                        stream=body)


def make_app(readmodel, metrics, *, max_request_bytes=64 * 1024, **options):
    """The WSGI application. `options`: max_url_bytes, max_event_streams,
    event_stream_seconds, snapshot_max_age, cache_bytes (see App)."""
    return App(readmodel, metrics, max_request_bytes=max_request_bytes, **options)
