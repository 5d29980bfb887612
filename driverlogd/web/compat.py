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
from driverlogd.web.snapshot import dumps

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
        doc["ci"] = {"id": d.ci.id, "success_pattern": d.ci.success_pattern,
                     "failure_pattern": d.ci.failure_pattern}
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


def handle(snap, req, rest):
    """rest: the path segments after /api/1.0/. None when no route matches."""
    params = parse_query(req.query, PARAMS, strict=False)
    callback = params.get("callback", "")
    if callback and not CALLBACK_RE.fullmatch(callback):
        raise BadRequest("callback must be a JavaScript identifier path like cb or ns.cb")
    project_id = _single(params, "project_id")
    vendor = _single(params, "vendor")
    release = _single(params, "release_id", "release")
    q = params.get("query", "").split(",")[0].lower()
    projects = {p.id: p.name for p in snap.catalog.projects}

    if rest == ["drivers"]:
        recs = _drivers(snap, project_id, vendor, frozenset([release]) if release else None)
        root, data = "drivers", [driver_doc(snap, r) for r in recs]
    elif rest == ["list", "releases"]:
        names = set()
        rel_filter = frozenset([release]) if release else _active(snap)
        for r in _drivers(snap, project_id, vendor, rel_filter):
            names.update(rid for rid in r.release_ids if q in rid)
        root = "releases"
        data = sorted(({"id": n, "text": n.capitalize()} for n in names),
                      key=lambda x: x["text"], reverse=True)
    elif len(rest) == 3 and rest[:2] == ["list", "releases"] and rest[2]:
        root, data = "release", {"id": rest[2].lower(), "text": rest[2].capitalize()}
    elif rest == ["list", "project_ids"]:
        ids = {r.driver.project_id for r in _drivers(snap, "", vendor,
                                                      frozenset([release]) if release else None)}
        root = "project_ids"
        data = sorted(({"id": i, "text": projects.get(i, i)} for i in ids
                       if q in projects.get(i, i).lower()), key=lambda x: x["text"])
    elif len(rest) >= 3 and rest[:2] == ["list", "project_ids"]:
        pid = "/".join(rest[2:])
        if pid not in projects:
            return error_response(404, "no such project")
        root, data = "project_id", {"id": pid, "text": projects[pid]}
    elif rest == ["list", "vendors"]:
        vendors = {r.driver.vendor for r in _drivers(snap, project_id, "",
                                                     frozenset([release]) if release else None)}
        root = "vendors"
        data = sorted(({"id": v, "text": v} for v in vendors if q in v.lower()),
                      key=lambda x: x["text"])
    elif len(rest) >= 3 and rest[:2] == ["list", "vendors"]:
        v = "/".join(rest[2:])
        root, data = "vendor", {"id": v, "text": v}
    else:
        return None
    body = dumps({root: data})
    if callback:
        return Response(200, b"/**/" + callback.encode() + b"(" + body + b");",
                        "application/javascript; charset=utf-8",
                        [("X-Content-Type-Options", "nosniff")])
    return Response(200, body)
