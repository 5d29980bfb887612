"""Every HTTP route, in one table: the router and the OpenAPI document are built from it.

To add a route, add a row: its path, a unique name, the metrics label, how it
is answered (`answer`, below), what it answers with (a schema of schemas.py)
and its query parameters. wsgi.App routes by this table; openapi.py documents
every `public` row.

How a route is answered:
  "cached"  view(snapshot, request, tail) -> Response | None; the body is
            kept per snapshot (and gzip copy), with the snapshot as weak ETag.
  "etag"    the same view, answered with the snapshot's ETag but not kept.
  "app"     wsgi.App's method `_<name>`, for what needs the app itself
            (static files, metrics, streams) or the live read model.
A None answer is a 404.

A path's {parameters} take the rest of the path, the "tail": a project id
holds '/', sent as is or as %2F, so the view splits the tail itself.
"""
import dataclasses
from typing import Callable, Optional, Tuple

from driverlogd.web import api_v1, compat, feeds
from driverlogd.web import schemas as s


@dataclasses.dataclass(frozen=True)
class Route:
    path: str                   # OpenAPI form, e.g. /api/v1/drivers/{project_id}/{vendor}/{name}
    name: str                   # unique; the operationId
    label: str                  # driverlog_http_request_duration_seconds{handler}: fixed names
    summary: str
    answer: str = "cached"      # see the module docstring
    view: Optional[Callable] = None
    ok: Optional[dict] = None   # the 200 response (see json_ok, text_ok)
    query: Tuple[dict, ...] = ()
    more: Tuple[Tuple[str, dict], ...] = ()   # responses beside 200, by status
    public: bool = True         # in the OpenAPI document
    also: Tuple[str, ...] = ()  # more literal paths answered the same (undocumented)
    tags: Tuple[str, ...] = ()
    link: Optional[str] = None  # its key among /api/v1's links, if listed there

    @property
    def literal(self):
        """The path's segments before its first parameter."""
        segs = [x for x in self.path.split("/") if x]
        n = next((i for i, x in enumerate(segs) if "{" in x), len(segs))
        return tuple(segs[:n])

    @property
    def exact(self):
        """The segments of every path answered as is, as wsgi's Request splits them."""
        return [] if self.has_tail else [tuple(p.split("/")[1:]) for p in (self.path,) + self.also]

    @property
    def has_tail(self):
        return "{" in self.path


EVENTS = (
    "A text/event-stream. Events: `drivers` (with an `id`): data "
    "`{\"generation\": int, \"since\": int, \"drivers\": [...]}`, the drivers whose data "
    "changed after generation `since`, each exactly as an item of /api/v1/drivers; a "
    "client holding the list at a generation >= `since` replaces those items. `reload` "
    "(with an `id`): data `{\"generation\": int, \"reason\": str}`, what changed cannot be "
    "sent (a catalog reload, too many drivers, a generation not this server's): fetch "
    "the list again. `generation`: data `{\"generation\": int}`, on connecting and after "
    "every other event, for clients that refetch on any change. An `id` is "
    "`<server>.<generation>`; EventSource sends the last one back when it reconnects "
    "and the stream resumes from there.")


def json_ok(schema, description="OK"):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def text_ok(media_type, description):
    return {"description": description,
            "content": {media_type: {"schema": {"type": "string"}}}}


def _resp(name):
    return {"$ref": "#/components/responses/" + name}


# Refused before routing (wsgi.App._refuse, a bad query string): any API route.
ERRORS = (("400", _resp("BadRequest")), ("413", _resp("TooLarge")), ("414", _resp("TooLarge")))
NOT_FOUND = (("404", _resp("NotFound")),)
DRIVER_KEY = "{project_id}/{vendor}/{name}"


def _v1(path, name, summary, view, ok, query=(), more=(), answer="cached", also=(),
        link=None):
    return Route("/api/v1" + path, name, "api_v1", summary, answer, view, ok, query,
                 more + ERRORS, also=also, link=link)


def _compat(path, name, root, build, schema, more=(), link=None):
    ok = {"description": "OK (JSONP when `callback` is given)", "content": {
        "application/json": {"schema": {"type": "object", "required": [root],
                                        "properties": {root: schema}}},
        "application/javascript": {"schema": {"type": "string"}}}}
    return Route("/api/1.0" + path, name, "api_1_0", "Original DriverLog API", "cached",
                 compat.view(root, build), ok, s.COMPAT, more + ERRORS, tags=("compat",),
                 link=link)


ID_TEXTS = {"type": "array", "items": s.ref("IdText")}

ROUTES = (
    Route("/", "dashboard", "dashboard", "The dashboard", "app", public=False,
          also=("/index.html",)),
    Route("/static/{name}", "static", "static", "The dashboard's assets", "app", public=False),
    Route("/healthz", "healthz", "healthz", "Readiness", "app",
          ok=json_ok(s.ref("Readiness")),
          more=(("503", json_ok(s.ref("Readiness"), "Not ready")),)),
    Route("/metrics", "metrics", "metrics", "Prometheus metrics", "app",
          ok=text_ok("text/plain", "Prometheus text format")),
    _v1("", "api_index", "Links to every endpoint (each route's `link`)", None,
        json_ok({"type": "object", "required": ["links"]}), answer="app",
        also=("/api/v1/",)),
    _v1("/drivers", "drivers", "Drivers with per-release CI verdicts, state and health",
        api_v1.drivers, json_ok(s.ref("DriverList")), s.FILTERS + s.SORT, link="drivers"),
    _v1("/drivers/" + DRIVER_KEY, "driver", "One driver with its recent votes", None,
        json_ok(s.ref("DriverDetail")), (s.limit("Votes to return"),), NOT_FOUND, "app",
        link="driver"),
    _v1("/ci/{account}/try", "ci_try",
        "Patterns tried against the CI account's newest stored reports, judged as the "
        "verdict rules judge them (read-only, rate-limited)", None,
        json_ok(s.ref("PatternTrial")), s.TRY, (("429", _resp("RateLimited")),), "app",
        link="ci_try"),
    _v1("/projects", "projects", "Projects having drivers that match the other filters",
        api_v1.projects, json_ok(s.listing("projects", "ProjectCount")), s.FILTERS,
        link="projects"),
    _v1("/releases", "releases",
        "Releases (by start date) having drivers that match the other filters",
        api_v1.releases, json_ok(s.listing("releases", "ReleaseCount")), s.FILTERS,
        link="releases"),
    _v1("/vendors", "vendors", "Vendors having drivers that match the other filters",
        api_v1.vendors, json_ok(s.listing("vendors", "VendorCount")), s.FILTERS,
        link="vendors"),
    _v1("/export", "export", "The merged catalog: catalog plus verdicts, one document",
        api_v1.export, json_ok(s.ref("Export")), link="export"),
    _v1("/drivers.csv", "drivers_csv", "The driver list as CSV (same filters)",
        api_v1.drivers_csv, text_ok("text/csv", "CSV"), s.FILTERS + s.SORT, link="csv"),
    _v1("/feed.atom", "feed", "Atom feed of CI verdict changes (same filters)", None,
        text_ok("application/atom+xml", "Atom"), s.FILTERS + (s.limit("Entries"),),
        answer="app", link="feed"),
    Route("/api/v1/events", "events", "api_v1",
          "Server-sent events: each change pushed as the changed drivers' rows", "app",
          ok=text_ok("text/event-stream", EVENTS),
          query=(s.query("since", "The `generation` of the driver list the client holds: "
                         "the stream starts by sending what changed after it. On a "
                         "reconnect the `Last-Event-ID` header takes precedence.",
                         {"type": "integer", "minimum": 0}),),
          more=(("400", _resp("BadRequest")), ("503", _resp("Unavailable"))), link="events"),
    Route("/badge/" + DRIVER_KEY + ".svg", "badge", "badge", "SVG CI status badge", "etag",
          feeds.badge, text_ok("image/svg+xml", "SVG"),
          (s.query("release", "A release id: the badge for that release."),),
          (("404", text_ok("image/svg+xml", "Unknown driver (still an SVG)")),) + ERRORS,
          link="badge"),
    Route("/api/v1/openapi.json", "openapi", "api_v1", "This document", "app",
          ok=json_ok({"type": "object"}), link="openapi"),
    _compat("/drivers", "compat_drivers", "drivers", compat.drivers,
            {"type": "array", "items": s.ref("OriginalDriver")}, link="compat"),
    _compat("/list/releases", "compat_releases", "releases", compat.releases, ID_TEXTS),
    _compat("/list/releases/{release}", "compat_release", "release", compat.release,
            s.ref("IdText")),
    _compat("/list/project_ids", "compat_project_ids", "project_ids", compat.project_ids,
            ID_TEXTS),
    _compat("/list/project_ids/{project_id}", "compat_project_id", "project_id",
            compat.project_id, s.ref("IdText"), NOT_FOUND),
    _compat("/list/vendors", "compat_vendors", "vendors", compat.vendors, ID_TEXTS),
    _compat("/list/vendors/{vendor}", "compat_vendor", "vendor", compat.vendor,
            s.ref("IdText")),
)


class Router:
    """Finds a request's route, and the label a path is timed under."""

    def __init__(self, routes=ROUTES):
        names = [r.name for r in routes]
        assert len(set(names)) == len(names), "route names must be unique"
        self.exact = {}     # literal segments -> route
        self.tails = {}     # first segment -> [(literal prefix, route)], longest first
        self.labels = {}    # exact path -> label
        for r in routes:
            if r.has_tail:
                self.tails.setdefault(r.literal[0], []).append((list(r.literal), r))
            for segments in r.exact:
                self.exact[segments] = r
                self.labels["/" + "/".join(segments)] = r.label
        for candidates in self.tails.values():
            candidates.sort(key=lambda t: -len(t[0]))
        # ("api/v1/", "api_v1"), ...: a path lies in a section when it starts
        # with its prefix and a slash, or is the prefix.
        self.sections = sorted((("/".join(p) + "/", label) for p, label in
                                _sections(routes).items()), reverse=True)

    def match(self, segments):
        """(route, tail segments), or (None, None)."""
        route = self.exact.get(tuple(segments))
        if route is not None:
            return route, []
        for prefix, route in self.tails.get(segments[0], ()):
            if segments[:len(prefix)] == prefix:
                return route, segments[len(prefix):]
        return None, None

    def label(self, path):
        """The label `path` is timed under: its route's, or for a path no route
        answers, that of the section it lies in (everything under /api/v1/ is
        api_v1's); "other" outside every section. Never the path itself,
        which anyone can vary."""
        label = self.labels.get(path)
        if label is not None:
            return label
        path = path.lstrip("/") + "/"
        for prefix, label in self.sections:
            if path.startswith(prefix):
                return label
        return "other"


def _sections(routes):
    """Each label owns the literal path prefix that all its routes share (the
    dashboard's, at the root, owns none)."""
    prefixes = {}
    for r in routes:
        p = prefixes.get(r.label)
        prefixes[r.label] = r.literal if p is None else _common(p, r.literal)
    return {p: label for label, p in prefixes.items() if p}


def _common(a, b):
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]
