"""Query strings → validated filters; filtering, sorting and facets. Pure."""
import operator
import urllib.parse

from driverlogd.verdict import STATES

MAX_PARAMS = 32
MAX_VALUE = 500
FILTERS = ("project_id", "vendor", "release", "q", "ci")
SORT_KEYS = ("project_id", "vendor", "name", "description", "state", "last_vote",
             "pass_rate", "votes", "maintainers")
DEFAULT_SORT = ("project_id", "vendor", "name")


class BadRequest(Exception):
    """A request we refuse with 400 and this message."""

    def __init__(self, message, reason="bad_query"):
        super().__init__(message)
        self.message = message
        self.reason = reason


def parse_query(query_string, allowed, strict=True):
    """{name: value} from a query string; each name at most once.

    strict: unknown names are an error (the v1 API); otherwise ignored (the
    original API's consumers add cache-busting parameters)."""
    try:
        pairs = urllib.parse.parse_qsl(query_string, keep_blank_values=True,
                                       errors="strict", max_num_fields=MAX_PARAMS)
    except ValueError as e:   # too many fields, or not UTF-8
        raise BadRequest("unreadable query string: %s" % e) from None
    params = {}
    for name, value in pairs:
        if name not in allowed:
            if strict:
                raise BadRequest("unknown parameter %r; allowed: %s"
                                 % (name, ", ".join(sorted(allowed))))
            continue
        if name in params:
            raise BadRequest("parameter %r given more than once" % name)
        if len(value) > MAX_VALUE:
            raise BadRequest("parameter %r is longer than %d characters" % (name, MAX_VALUE))
        params[name] = value
    return params


class Filters:
    """project_id and vendor match whole values, case-insensitively; release and
    ci take comma-separated lists (any of); q needs every word somewhere in
    project, vendor, name, description or maintainers."""

    def __init__(self, catalog, params):
        self.project_id = params.get("project_id", "").strip().lower() or None
        self.vendor = params.get("vendor", "").strip().lower() or None
        self.releases = None
        if params.get("release", "").strip():
            ids = set()
            for rid in params["release"].split(","):
                rid = rid.strip()
                if not rid:
                    continue
                rel = catalog.release(rid)
                if rel is None:
                    raise BadRequest("unknown release %r; known: %s"
                                     % (rid, ", ".join(r.id for r in catalog.releases)))
                ids.add(rel.id.lower())
            self.releases = frozenset(ids) or None
        self.states = None
        if params.get("ci", "").strip():
            states = {s.strip().lower() for s in params["ci"].split(",") if s.strip()}
            bad = states.difference(STATES)
            if bad:
                raise BadRequest("unknown ci state %r; known: %s"
                                 % (sorted(bad)[0], ", ".join(STATES)))
            self.states = frozenset(states)
        self.words = params.get("q", "").lower().split()

    def match(self, rec, skip=None):
        if self.project_id and skip != "project_id" and rec.project_l != self.project_id:
            return False
        if self.vendor and skip != "vendor" and rec.vendor_l != self.vendor:
            return False
        if self.releases and skip != "release" and self.releases.isdisjoint(rec.release_ids):
            return False
        if self.states and skip != "ci" and rec.state not in self.states:
            return False
        text, desc, project, vendor = rec.text, rec.desc_l, rec.project_l, rec.vendor_l
        return all(w in text or w in desc or w in project or w in vendor for w in self.words)

    def apply(self, records, skip=None):
        return [r for r in records if self.match(r, skip)]


def sort_records(records, params):
    key = params.get("sort", "") or "project_id"
    order = params.get("order", "") or "asc"
    if key not in SORT_KEYS:
        raise BadRequest("unknown sort key %r; known: %s" % (key, ", ".join(SORT_KEYS)))
    if order not in ("asc", "desc"):
        raise BadRequest("order must be asc or desc, not %r" % order)
    # Stable sorts: the default order first (DEFAULT_SORT, a rank made once
    # per catalog: sorting by all three orders ties of any one of them as
    # the other two would), then the key.
    out = sorted(records, key=_default_order)
    if key != DEFAULT_SORT[0] or order == "desc":
        out.sort(key=SORT_BY[key], reverse=(order == "desc"))
    return out


def _first_maintainer(rec):
    m = rec.driver.maintainers
    return m[0].name.lower() if m else "\uffff"


# What each key sorts by (snapshot.Record's attributes).
_default_order = operator.attrgetter("rank")
SORT_BY = {"project_id": operator.attrgetter("project_l"),
           "vendor": operator.attrgetter("vendor_l"),
           "name": lambda r: r.driver.name.lower(), "description": operator.attrgetter("desc_l"),
           "state": operator.attrgetter("state_order"),
           "last_vote": operator.attrgetter("last_vote"),
           "pass_rate": operator.attrgetter("pass_rate"), "votes": operator.attrgetter("votes"),
           "maintainers": _first_maintainer}
assert set(SORT_BY) == set(SORT_KEYS)


def facet_projects(snap, filters):
    counts = {}
    for r in filters.apply(snap.records, skip="project_id"):
        pid = r.driver.project_id
        counts[pid] = counts.get(pid, 0) + 1
    return [{"id": pid, "name": snap.project_names.get(pid, pid), "count": n}
            for pid, n in sorted(counts.items(), key=lambda kv: kv[0].lower())]


def facet_vendors(snap, filters):
    counts = {}
    for r in filters.apply(snap.records, skip="vendor"):
        v = r.driver.vendor
        counts[v] = counts.get(v, 0) + 1
    return [{"id": v, "count": n} for v, n in sorted(counts.items(), key=lambda kv: kv[0].lower())]


def facet_releases(snap, filters):
    counts = {}
    for r in filters.apply(snap.records, skip="release"):
        for rid in r.release_ids:
            counts[rid] = counts.get(rid, 0) + 1
    return [{"id": rel.id, "start": rel.start.isoformat(), "active": rel.active,
             "series": rel.series, "wiki": rel.wiki, "count": counts[rel.id.lower()]}
            for rel in snap.catalog.releases if rel.id.lower() in counts]
