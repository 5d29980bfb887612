"""Every shape the HTTP API answers with, described once, and its parameters.

The route table (routes.py) refers to these by name; the OpenAPI document
(openapi.py) lists them under components/schemas. A shape used in several
places (a Verdict in every release cell, a Driver in the list, the export
and the detail) is a `ref` to its one description here.
"""
from driverlogd.verdict import STATES
from driverlogd.verdict.diagnosis import OUTCOMES, REASONS
from driverlogd.web.compat import CALLBACK_PATTERN
from driverlogd.web.filters import SORT_KEYS


def ref(name):
    return {"$ref": "#/components/schemas/" + name}


def _nstr(**kw):
    return dict({"type": "string", "nullable": True}, **kw)


def _obj(required, **properties):
    return {"type": "object", "required": list(required), "properties": properties}


def _nullable_ref(name, **kw):
    return dict({"allOf": [ref(name)], "nullable": True}, **kw)


STATE = {"type": "string", "enum": list(STATES)}
COUNT = {"type": "integer", "minimum": 1}
RATE = {"type": "number", "nullable": True}

SCHEMAS = {
    "Error": _obj(["error"], error=_obj(["status", "message"], status={"type": "integer"},
                                        message={"type": "string"})),
    # What a verdict and a vote have in common: one CI report on one change.
    "Report": _obj(["result", "comment", "timestamp"],
                   result={"type": "boolean", "description": "True: the CI passed."},
                   comment={"type": "string", "description": "The matched line."},
                   timestamp={"type": "number", "nullable": True},
                   review_url=_nstr(), change={"nullable": True},
                   patchset={"type": "integer", "nullable": True},
                   log_url=_nstr(description="First http(s) URL in the matched line.")),
    "Verdict": {"allOf": [ref("Report"), _obj(["state", "review_url"], state=STATE)]},
    "Vote": {"allOf": [ref("Report"), _obj([], branch=_nstr(), release=_nstr())]},
    "ReleaseCell": _obj(["id", "ci", "state", "claimed"], id={"type": "string"},
                        claimed={"type": "boolean"}, state=STATE,
                        ci=_nullable_ref("Verdict")),
    # A CI's vote rates (not the daemon's readiness: that is Readiness).
    "Rates": _obj(["votes", "pass_rate", "flip_rate"],
                  votes={"type": "integer", "minimum": 0}, pass_rate=RATE, flip_rate=RATE),
    "CIHealth": {"allOf": [ref("Rates"), _obj(
        ["last_vote"], last_vote={"type": "number", "nullable": True},
        last_result={"type": "boolean", "nullable": True})]},
    "Maintainer": _obj(["name"], name={"type": "string"}, irc=_nstr(), launchpad_id=_nstr(),
                       email={"type": "string", "description": "Only when the config allows."}),
    "CIPatterns": _obj(["id"], id={"type": "string"}, success_pattern={"type": "string"},
                       failure_pattern={"type": "string"}),
    "Driver": _obj(
        ["project_id", "vendor", "name", "releases", "state", "health", "ci", "maintainers"],
        project_id={"type": "string"}, project_name={"type": "string"},
        vendor={"type": "string"}, name={"type": "string"},
        description={"type": "string"}, wiki={"type": "string"}, repo=_nstr(),
        maintainers={"type": "array", "items": ref("Maintainer")},
        ci=_nullable_ref("CIPatterns", description="The list gives only `id`."),
        state=STATE, health=ref("CIHealth"),
        releases={"type": "array", "items": ref("ReleaseCell")}),
    "DriverDetail": {"allOf": [ref("Driver"), _obj(
        ["votes", "health_30d", "diagnosis"], votes={"type": "array", "items": ref("Vote")},
        diagnosis=ref("Diagnosis"),
        health_30d={"allOf": [ref("Rates")], "description": (
            "Pass and flip rate over the votes of the last 30 days; "
            "`health` is over the newest 20.")})]},
    # A stored CI report as the try endpoint and the diagnosis show it.
    "TriedReport": _obj(["project", "change", "review_url", "timestamp", "line", "excerpt"],
                        project={"type": "string"}, change={"type": "integer"},
                        patchset={"type": "integer"}, branch={"type": "string"},
                        review_url={"type": "string"}, timestamp={"type": "number"},
                        line=_nstr(description="The matched line; null: none matched."),
                        excerpt={"type": "string",
                                 "description": "The report's first lines, cut short."}),
    "PatternTrial": _obj(
        ["account", "repo", "limit", "looked", "success", "failure", "none", "examples"],
        account={"type": "string"}, repo=_nstr(),
        limit={"type": "integer", "description": "At most this many newest reports judged."},
        looked={"type": "integer", "minimum": 0, "description": "Reports judged."},
        success={"type": "integer", "minimum": 0}, failure={"type": "integer", "minimum": 0},
        none={"type": "integer", "minimum": 0, "description": "Reports no pattern matched."},
        examples=_obj(list(OUTCOMES), **{o: {"type": "array", "items": ref("TriedReport")}
                                         for o in OUTCOMES})),
    "Diagnosis": _obj(
        ["reason", "message", "reports", "matched", "unmatched"],
        reason={"type": "string", "enum": list(REASONS), "description": (
            "no-reports: the CI has no recent report on the repository (no result yet); "
            "patterns-match-nothing: it reports there, and the patterns match none.")},
        message={"type": "string"}, reports={"type": "integer", "minimum": 0},
        matched={"type": "integer", "minimum": 0},
        unmatched={"type": "array", "items": ref("TriedReport"),
                   "description": "The newest reports neither pattern matches."}),
    "DriverList": _obj(["drivers"], drivers={"type": "array", "items": ref("Driver")},
                       total={"type": "integer"}, generation={"type": "integer"}),
    "ProjectCount": _obj(["id", "name", "count"], id={"type": "string"},
                         name={"type": "string"}, count=COUNT),
    "VendorCount": _obj(["id", "count"], id={"type": "string"}, count=COUNT),
    "ReleaseCount": _obj(["id", "start", "active", "count"], id={"type": "string"},
                         start={"type": "string", "format": "date"},
                         active={"type": "boolean"}, wiki={"type": "string"}, count=COUNT,
                         series={"type": "string", "nullable": True,
                                 "description": "YYYY.N: its branches are stable/<series> and "
                                                "unmaintained/<series>"}),
    "Export": _obj(["projects", "releases", "drivers"], generation={"type": "integer"},
                   projects={"type": "array", "items": {"type": "object"}},
                   releases={"type": "array", "items": {"type": "object"}},
                   drivers={"type": "array", "items": ref("Driver")}),
    "Readiness": _obj(["status", "reason"],
                      status={"type": "string", "enum": ["ok", "unavailable"]},
                      reason={"type": "string"}),
    # /api/1.0/: the original API's shapes.
    "IdText": _obj(["id", "text"], id={"type": "string"}, text={"type": "string"}),
    "OriginalDriver": _obj(
        ["project_id", "vendor", "name", "maintainers", "releases", "releases_info"],
        project_id={"type": "string"}, project_name={"type": "string"},
        vendor={"type": "string"}, name={"type": "string"},
        description={"type": "string"}, wiki={"type": "string"},
        repo={"type": "string"}, ci=ref("CIPatterns"),
        maintainers={"type": "array", "items": ref("Maintainer")},
        releases={"type": "object", "description": "By lower-cased release id.",
                  "additionalProperties": _obj(
                      ["ci_tested"],
                      ci_tested={"type": "boolean", "description": "A passing CI result."},
                      ci_result={"type": "boolean"}, comment={"type": "string"},
                      timestamp={"type": "number", "nullable": True},
                      review_url=_nstr())},
        releases_info={"type": "array", "items": _obj(
            ["release_id", "name", "wiki"], release_id={"type": "string"},
            name={"type": "string"}, wiki={"type": "string"})}),
}


def listing(root, name):
    """{root: [name, ...]}"""
    return _obj([root], **{root: {"type": "array", "items": ref(name)}})


# -- parameters ------------------------------------------------------------
def query(name, description, schema=None):
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string"}}


# One description per path parameter, whichever route it appears in.
PATH = {
    "project_id": "Project id; its '/' may be sent as is or as %2F.",
    "vendor": "Vendor, percent-encoded.",
    "name": "Driver name, percent-encoded.",
    "release": "Release id.",
    "account": "A CI's Gerrit account (the catalog's ci.id).",
}


def path_param(name):
    return {"name": name, "in": "path", "required": True, "description": PATH[name],
            "schema": {"type": "string", "minLength": 1}}


FILTERS = (
    query("project_id", "Project id, e.g. openstack/cinder (case-insensitive)."),
    query("vendor", "Vendor name (case-insensitive)."),
    query("release", "Comma-separated release ids: drivers claiming any of them or with a "
                     "CI verdict for one."),
    query("q", "Keywords; every word must occur in project, vendor, name, description "
               "or maintainers."),
    query("ci", "Comma-separated CI states: " + ", ".join(STATES) + "."),
)
SORT = (query("sort", "Sort key (empty: project_id).",
              {"type": "string", "enum": [""] + list(SORT_KEYS)}),
        query("order", "Sort order (empty: asc).",
              {"type": "string", "enum": ["", "asc", "desc"]}))


def limit(what):
    return query("limit", what + " (1-500).", {"type": "integer", "minimum": 1, "maximum": 500})


COMPAT = (
    query("callback", "JSONP callback name (identifier path).",
          {"type": "string", "pattern": CALLBACK_PATTERN}),
    query("project_id", "Project id."), query("vendor", "Vendor."),
    query("release_id", "Release id."), query("query", "Substring filter."),
)


TRY = (
    dict(query("success_pattern", "Proposed success pattern (RE2, as in the catalog)."),
         required=True),
    dict(query("failure_pattern", "Proposed failure pattern (RE2, as in the catalog)."),
         required=True),
    query("repo", "Only the reports on this repository, e.g. openstack/cinder."),
)
