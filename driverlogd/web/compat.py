"""The original DriverLog API under /api/1.0/, in its shapes.

Responses are wrapped in one key ({"drivers": [...]}, {"releases": [...]},
...), values match case-insensitively, the first of a comma list counts, and
unknown parameters are ignored, as the original did. Two deliberate fixes:
maintainers' e-mail addresses are left out unless the config allows them, and
`ci_tested` is true only for a passing CI result (the original also said true
for a failed run; `ci_result` still says which).
"""
import re

from driverlogd.web.filters import BadRequest, parse_query
from driverlogd.web.http import Response, error_response
from driverlogd.web.snapshot import ci_doc, dumps

PARAMS = frozenset(("project_id", "vendor", "release_id", "release", "query", "callback"))
# JSONP callbacks become code in the consumer's page: names and dots only.
CALLBACK_PATTERN = r"^([A-Za-z_$][A-Za-z0-9_$]{0,63}(\.[A-Za-z_$][A-Za-z0-9_$]{0,63}){0,4})?$"
CALLBACK_RE = re.compile(CALLBACK_PATTERN)


def _single(params, *names):
    for n in names:
        v = params.get(n, "")
        if v:
            return v.split(",")[0].strip().lower()
    return ""


def driver_doc(snap, rec):
    d, full = rec.driver, rec.doc
    doc = {"project_id": d.project_id, "vendor": d.vendor, "name": d.name,
           "description": d.description, "wiki": d.wiki,
           "maintainers": full["maintainers"],
           "project_name": full["project_name"]}
    if d.repo:
        doc["repo"] = d.repo
    if d.ci is not None:
        doc["ci"] = ci_doc(d.ci)
    releases, info = {}, []
    for r in full["releases"]:
        rid = r["id"].lower()
        cell = {"ci_tested": bool(r["ci"] and r["ci"]["result"] and r["state"] == "passing")}
        if r["ci"]:
            cell.update(ci_result=r["ci"]["result"], comment=r["ci"]["comment"],
                        timestamp=r["ci"]["timestamp"], review_url=r["ci"]["review_url"])
        releases[rid] = cell
        rel = snap.catalog.release(rid)
        info.append({"release_id": rid, "name": rid.capitalize(), "wiki": rel.wiki if rel else ""})
    doc["releases"] = releases
    doc["releases_info"] = sorted(info, key=lambda x: x["name"])
    return doc


def _drivers(snap, project_id="", vendor="", release_ids=None):
    out = []
    for rec in snap.records:
        if project_id and rec.project_l != project_id:
            continue
        if vendor and rec.vendor_l != vendor:
            continue
        if release_ids and release_ids.isdisjoint(rec.release_ids):
            continue
        out.append(rec)
    return out


def _active(snap):
    return frozenset(r.id.lower() for r in snap.catalog.active_releases) or None


class Params:
    """The original's filters: the first of a comma list, lower-cased."""

    def __init__(self, snap, params):
        self.project_id = _single(params, "project_id")
        self.vendor = _single(params, "vendor")
        release = _single(params, "release_id", "release")
        self.releases = frozenset([release]) if release else None
        self.q = params.get("query", "").split(",")[0].lower()
        self.projects = {p.id: p.name for p in snap.catalog.projects}


def view(root, build):
    """A route's view (routes.py): `build(snap, rest, params)` gives the data
    wrapped in {root: ...} (or an error Response, or None: no such resource),
    as JSON, or as JSONP when `callback` is given."""
    def answer(snap, req, rest):
        params = parse_query(req.query, PARAMS, strict=False)
        callback = params.get("callback", "")
        if callback and not CALLBACK_RE.fullmatch(callback):
            raise BadRequest("callback must be a JavaScript identifier path like cb or ns.cb")
        data = build(snap, rest, Params(snap, params))
        if data is None or isinstance(data, Response):
            return data
        body = dumps({root: data})
        if callback:
            return Response(200, b"/**/" + callback.encode() + b"(" + body + b");",
                            "application/javascript; charset=utf-8",
                            [("X-Content-Type-Options", "nosniff")])
        return Response(200, body)
    return answer


def drivers(snap, rest, p):
    return [driver_doc(snap, r) for r in _drivers(snap, p.project_id, p.vendor, p.releases)]


def releases(snap, rest, p):
    names = set()
    for r in _drivers(snap, p.project_id, p.vendor, p.releases or _active(snap)):
        names.update(rid for rid in r.release_ids if p.q in rid)
    return sorted(({"id": n, "text": n.capitalize()} for n in names),
                  key=lambda x: x["text"], reverse=True)


def release(snap, rest, p):
    if len(rest) != 1 or not rest[0]:
        return None
    return {"id": rest[0].lower(), "text": rest[0].capitalize()}


def project_ids(snap, rest, p):
    ids = {r.driver.project_id for r in _drivers(snap, "", p.vendor, p.releases)}
    return sorted(({"id": i, "text": p.projects.get(i, i)} for i in ids
                   if p.q in p.projects.get(i, i).lower()), key=lambda x: x["text"])


def project_id(snap, rest, p):
    pid = "/".join(rest)     # a project id holds '/'
    if pid not in p.projects:
        return error_response(404, "no such project")
    return {"id": pid, "text": p.projects[pid]}


def vendors(snap, rest, p):
    names = {r.driver.vendor for r in _drivers(snap, p.project_id, "", p.releases)}
    return sorted(({"id": v, "text": v} for v in names if p.q in v.lower()),
                  key=lambda x: x["text"])


def vendor(snap, rest, p):
    v = "/".join(rest)
    return {"id": v, "text": v}
