"""/api/v1: drivers, one driver, facets, export and CSV."""
import csv
import datetime
import io

from driverlogd.web.filters import (
    FILTERS,
    BadRequest,
    Filters,
    facet_projects,
    facet_releases,
    facet_vendors,
    parse_query,
    sort_records,
)
from driverlogd.web.http import Response, error_response, json_response
from driverlogd.web.snapshot import ci_doc, dumps, joined, log_url
from driverlogd.web.trial import diagnosis

LIST_PARAMS = frozenset(FILTERS + ("sort", "order"))
FACET_PARAMS = frozenset(FILTERS)
MAX_VOTES = 500


def iso(ts):
    if ts is None:
        return None
    return datetime.datetime.fromtimestamp(float(ts), datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def selected(snap, params):
    """Records matching the filters, in the requested order."""
    filters = Filters(snap.catalog, params)
    return sort_records(filters.apply(snap.records), params)


# Views (see routes.py): (snapshot, request, path tail) -> Response.
def drivers(snap, req, rest):
    return Response(200, drivers_body(snap, req))


def drivers_csv(snap, req, rest):
    return Response(200, csv_body(snap, req), "text/csv; charset=utf-8",
                    [("Content-Disposition", 'attachment; filename="drivers.csv"')])


def export(snap, req, rest):
    return Response(200, export_body(snap, req))


def drivers_body(snap, req):
    params = parse_query(req.query, LIST_PARAMS)
    recs = selected(snap, params)
    head, tail = drivers_ends(snap, recs)
    return b"".join((head, joined(recs), tail))


def drivers_ends(snap, recs):
    """The list's bytes before and after its drivers' fragments (joined by ",")."""
    return b'{"drivers":[', b'],"total":%d,"generation":%d}' % (len(recs), snap.generation)


def driver(snap, req, rm, segments):
    """segments: [project_id parts..., vendor, name]; project ids hold '/', so
    everything before the last two segments is the project id (either as
    several segments or one %2F-encoded segment)."""
    params = parse_query(req.query, frozenset(("limit",)))
    try:
        limit = int(params.get("limit", "50"))
    except ValueError:
        raise BadRequest("limit must be an integer") from None
    if not 1 <= limit <= MAX_VOTES:
        raise BadRequest("limit must be between 1 and %d" % MAX_VOTES)
    if len(segments) < 3 or not all(segments[-3:]):
        return error_response(404, "expected /api/v1/drivers/{project_id}/{vendor}/{name}")
    rec = snap.find("/".join(segments[:-2]), segments[-2], segments[-1])
    if rec is None:
        return error_response(404, "no such driver")
    d, doc = rec.driver, rec.doc
    if d.ci is not None:
        doc["ci"] = ci_doc(d.ci)
    doc["votes"] = [vote_doc(v) for v in (rm.votes(rec.key, limit) or ())][:limit]
    doc["health_30d"] = rm.health_30d(rec.key)
    doc["diagnosis"] = diagnosis(rm, d)
    return json_response(doc)


def vote_doc(v):
    return {"result": bool(v.get("result")), "comment": v.get("comment") or "",
            "timestamp": v.get("timestamp"), "review_url": v.get("review_url"),
            "change": v.get("change"), "patchset": v.get("patchset"),
            "branch": v.get("branch"), "release": v.get("release"),
            "log_url": log_url(v.get("comment"))}


def _facet(which, count):
    def view(snap, req, rest):
        filters = Filters(snap.catalog, parse_query(req.query, FACET_PARAMS))
        return json_response({which: count(snap, filters)})
    return view


projects = _facet("projects", facet_projects)
vendors = _facet("vendors", facet_vendors)
releases = _facet("releases", facet_releases)


def export_body(snap, req, frag=None):
    """`frag`: export_frag, or a cache of it (the publisher keeps one across
    generations: most records are the same objects from one to the next)."""
    parse_query(req.query, frozenset())
    cat = snap.catalog
    head = dumps({
        "generation": snap.generation,
        "projects": [{"id": p.id, "name": p.name} for p in cat.projects],
        "releases": [{"id": r.id, "start": r.start.isoformat(), "wiki": r.wiki,
                      "active": r.active, "series": r.series} for r in cat.releases],
    })
    return b"".join((head[:-1], b',"drivers":[', b",".join(map(frag or export_frag, snap.records)),
                     b"]}"))


def export_frag(rec):
    """The driver's list fragment with its CI patterns: its top-level "ci", the
    first "ci" member (it precedes "releases"; inside strings every quote is
    escaped), swapped for the full one. What decoding, setting "ci" and
    encoding again would give, without doing that 10,000 times."""
    ci = rec.driver.ci
    if ci is None:
        return rec.frag
    short = b'"ci":' + dumps({"id": ci.id}) + b',"state":'
    full = b'"ci":' + dumps(ci_doc(ci)) + b',"state":'
    return rec.frag.replace(short, full, 1)


CSV_COLUMNS = ("project_id", "project_name", "vendor", "name", "description", "state",
               "ci_id", "last_vote", "pass_rate", "votes", "releases", "maintainers", "wiki")


def _cell(value):
    """Spreadsheets run cells starting with = + - @ as formulas: defuse them."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def csv_body(snap, req):
    params = parse_query(req.query, LIST_PARAMS)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for rec in selected(snap, params):
        d = rec.doc
        h = d["health"]
        w.writerow([_cell(x) for x in (
            d["project_id"], d["project_name"], d["vendor"], d["name"], d["description"],
            d["state"], d["ci"]["id"] if d["ci"] else "", iso(h["last_vote"]) or "",
            "" if h["pass_rate"] is None else "%.3f" % h["pass_rate"], h["votes"],
            " ".join("%s:%s" % (r["id"], r["state"]) for r in d["releases"]),
            "; ".join(m["name"] + (" <%s>" % m["email"] if m.get("email") else "")
                      for m in d["maintainers"]),
            d["wiki"])])
    return out.getvalue().encode("utf-8")
