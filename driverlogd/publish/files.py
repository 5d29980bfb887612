"""What the publication holds: every URL the dashboard and its readers fetch,
answered as the daemon answers it (the same views, the same snapshot), and
the file each one lives in.

File names are what a static server looks up for the URL, decoded as nginx's
`$uri` is (a project id's %2F is a '/': a folder). One rule settles the one
clash, a path that is both a document and a prefix (/api/v1/drivers and
/api/v1/drivers/{key}): under /api/ every JSON document at URL P is the file
P.json, whatever P ends with; other files (CSV, Atom, SVG, the dashboard's)
keep their URL's name. The server tries "$uri.json", then "$uri"
(config/nginx/driverlog-publication.conf). Queries are not published: a
static server answers /api/v1/drivers?vendor=x with the whole list.
"""
import urllib.parse

from driverlogd.web import api_v1, feeds
from driverlogd.web.http import JSON, Request

# URLs every generation holds (besides "/", /static/*, a driver's two).
# Left out: the CSV and the original /api/1.0/ drivers list (each a second
# or so of CPU per generation at 10,000 drivers, for downloads no page
# fetches), queries, /api/v1/events, /healthz and /metrics: the daemon's own.
GLOBAL = ("/api/v1", "/api/v1/openapi.json", "/api/v1/drivers", "/api/v1/projects",
          "/api/v1/releases", "/api/v1/vendors", "/api/v1/export", "/api/v1/feed.atom")
MAX_NAME = 250     # bytes of one path segment; most file systems allow 255


class Unpublishable(ValueError):
    """A URL no file name can stand for (a '..' segment, a 256-byte name)."""


def request(path):
    """A GET of `path` (already percent-encoded), as the WSGI server would pass it."""
    return Request({"REQUEST_METHOD": "GET", "RAW_URI": path, "QUERY_STRING": "",
                    "PATH_INFO": urllib.parse.unquote(path)})


def file_name(path, content_type):
    """The file, relative to a generation's folder, that answers URL `path`."""
    if path == "/":
        return "index.html"
    segments = [urllib.parse.unquote(s) for s in path.split("/")[1:]]
    if segments[0] == "api" and content_type.startswith("application/json"):
        segments[-1] += ".json"
    for s in segments:
        if s in ("", ".", "..") or "\0" in s or len(s.encode()) > MAX_NAME:
            raise Unpublishable(path)
    return "/".join(segments)


def driver_paths(key):
    """(document URL, badge URL) of a driver: each part percent-encoded, as the
    dashboard builds them."""
    tail = "/".join(urllib.parse.quote(x, safe="") for x in key)
    return "/api/v1/drivers/" + tail, "/badge/" + tail + ".svg"


def render(app, snap, path, offload=None, export_frag=None):
    """(body, content type) of URL `path` as `app` answers a plain GET of it
    from snapshot `snap`, or None when it answers anything but 200. Views are
    called directly: the publisher's reads are neither timed nor counted as
    HTTP requests, nor do they fill the app's body cache. `offload(fn, *args)`
    runs the views that read the (immutable) snapshot alone, the list and the
    export among them, elsewhere: in a thread, off gevent's hub.
    `export_frag`: api_v1.export_frag or a cache of it."""
    req = request(path)
    route, tail = app.router.match(req.segments)
    if route is None:
        return None
    if route.name in ("dashboard", "static"):
        entry = app.static.get("index.html" if route.name == "dashboard" else tail[-1])
        return entry[:2] if entry else None
    if route.name == "api_index":
        return app.links, "application/json; charset=utf-8"
    if route.name == "openapi":
        return app.openapi, "application/json; charset=utf-8"
    if route.name == "driver":
        resp = api_v1.driver(snap, req, app.rm, tail)
    elif route.name == "export":
        return (offload or _call)(api_v1.export_body, snap, req, export_frag), JSON
    elif route.name == "feed":
        resp = feeds.atom(snap, req, app.rm)
    elif route.view is not None:
        resp = (offload or _call)(route.view, snap, req, tail)
    else:
        return None
    if resp is None or resp.status != 200:
        return None
    return resp.body, resp.headers[0][1]


def _call(fn, *args):
    return fn(*args)


def global_paths(app):
    """Every URL a generation holds besides the drivers' own."""
    return ["/"] + ["/static/" + n for n in sorted(app.static)] + list(GLOBAL)

