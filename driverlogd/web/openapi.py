"""The OpenAPI 3 description of every endpoint, served at /api/v1/openapi.json."""
import json

from driverlogd.verdict import STATES
from driverlogd.web.compat import CALLBACK_PATTERN
from driverlogd.web.filters import SORT_KEYS


def _ref(name):
    return {"$ref": "#/components/schemas/" + name}


def _nstr():
    return {"type": "string", "nullable": True}


def _json(schema, description="OK"):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _q(name, description, schema=None):
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string"}}


def _p(name, description):
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "string", "minLength": 1}}


ERRORS = {"400": {"$ref": "#/components/responses/BadRequest"},
          "414": {"$ref": "#/components/responses/TooLarge"},
          "413": {"$ref": "#/components/responses/TooLarge"}}
FILTERS = [
    _q("project_id", "Project id, e.g. openstack/cinder (case-insensitive)."),
    _q("vendor", "Vendor name (case-insensitive)."),
    _q("release", "Comma-separated release ids: drivers claiming any of them or with a "
                  "CI verdict for one."),
    _q("q", "Keywords; every word must occur in project, vendor, name, description "
            "or maintainers."),
    _q("ci", "Comma-separated CI states: " + ", ".join(STATES) + "."),
]
SORT = [_q("sort", "Sort key (empty: project_id).",
           {"type": "string", "enum": [""] + list(SORT_KEYS)}),
        _q("order", "Sort order (empty: asc).", {"type": "string", "enum": ["", "asc", "desc"]})]
KEY = [_p("project_id", "Project id; its '/' may be sent as is or as %2F."),
       _p("vendor", "Vendor, percent-encoded."), _p("name", "Driver name, percent-encoded.")]
STATE = {"type": "string", "enum": list(STATES)}

SCHEMAS = {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["status", "message"],
        "properties": {"status": {"type": "integer"}, "message": {"type": "string"}}}}},
    "Verdict": {"type": "object", "required": ["result", "state", "comment", "timestamp",
                                               "review_url"],
                "properties": {"result": {"type": "boolean"}, "state": STATE,
                               "comment": {"type": "string", "description": "The matched line."},
                               "timestamp": {"type": "number", "nullable": True},
                               "review_url": _nstr(), "change": {"nullable": True},
                               "patchset": {"type": "integer", "nullable": True},
                               "log_url": dict(_nstr(), description="First http(s) URL in the "
                                                                    "matched line.")}},
    "ReleaseCell": {"type": "object", "required": ["id", "ci", "state", "claimed"],
                    "properties": {"id": {"type": "string"}, "claimed": {"type": "boolean"},
                                   "state": STATE,
                                   "ci": {"allOf": [_ref("Verdict")], "nullable": True}}},
    "Health": {"type": "object", "required": ["last_vote", "votes", "pass_rate", "flip_rate"],
               "properties": {"last_vote": {"type": "number", "nullable": True},
                              "last_result": {"type": "boolean", "nullable": True},
                              "votes": {"type": "integer", "minimum": 0},
                              "pass_rate": {"type": "number", "nullable": True},
                              "flip_rate": {"type": "number", "nullable": True}}},
    "Maintainer": {"type": "object", "required": ["name"],
                   "properties": {"name": {"type": "string"}, "irc": _nstr(),
                                  "launchpad_id": _nstr(),
                                  "email": {"type": "string",
                                            "description": "Only when the config allows."}}},
    "Driver": {"type": "object",
               "required": ["project_id", "vendor", "name", "releases", "state", "health", "ci",
                            "maintainers"],
               "properties": {
                   "project_id": {"type": "string"}, "project_name": {"type": "string"},
                   "vendor": {"type": "string"}, "name": {"type": "string"},
                   "description": {"type": "string"}, "wiki": {"type": "string"},
                   "repo": _nstr(),
                   "maintainers": {"type": "array", "items": _ref("Maintainer")},
                   "ci": {"type": "object", "nullable": True, "required": ["id"],
                          "properties": {"id": {"type": "string"},
                                         "success_pattern": {"type": "string"},
                                         "failure_pattern": {"type": "string"}}},
                   "state": STATE, "health": _ref("Health"),
                   "releases": {"type": "array", "items": _ref("ReleaseCell")}}},
    "Vote": {"type": "object", "required": ["result", "comment", "timestamp"],
             "properties": {"result": {"type": "boolean"}, "comment": {"type": "string"},
                            "timestamp": {"type": "number", "nullable": True},
                            "review_url": _nstr(), "change": {"nullable": True},
                            "patchset": {"type": "integer", "nullable": True},
                            "branch": _nstr(), "release": _nstr(), "log_url": _nstr()}},
    "Rates": {"type": "object", "required": ["votes", "pass_rate", "flip_rate"],
              "properties": {"votes": {"type": "integer", "minimum": 0},
                             "pass_rate": {"type": "number", "nullable": True},
                             "flip_rate": {"type": "number", "nullable": True}}},
    "DriverDetail": {"allOf": [_ref("Driver"), {
        "type": "object", "required": ["votes", "health_30d"],
        "properties": {"votes": {"type": "array", "items": _ref("Vote")},
                       "health_30d": {"allOf": [_ref("Rates")], "description": (
                           "Pass and flip rate over the votes of the last 30 days; "
                           "`health` is over the newest 20.")}}}]},
    "DriverList": {"type": "object", "required": ["drivers"],
                   "properties": {"drivers": {"type": "array", "items": _ref("Driver")},
                                  "total": {"type": "integer"},
                                  "generation": {"type": "integer"}}},
    "IdText": {"type": "object", "required": ["id", "text"],
               "properties": {"id": {"type": "string"}, "text": {"type": "string"}}},
}


def _facet(root, item):
    return {"type": "object", "required": [root],
            "properties": {root: {"type": "array", "items": item}}}


def _wrapped(root, schema):
    return {"type": "object", "required": [root], "properties": {root: schema}}


def _compat(path_root, schema, params=(), extra=None):
    resp = {"200": {"description": "OK (JSONP when `callback` is given)", "content": {
        "application/json": {"schema": _wrapped(path_root, schema)},
        "application/javascript": {"schema": {"type": "string"}}}}}
    resp.update(extra or {})
    resp.update(ERRORS)
    return {"get": {"tags": ["compat"], "summary": "Original DriverLog API",
                    "parameters": list(params) + [
                        _q("callback", "JSONP callback name (identifier path).",
                           {"type": "string", "pattern": CALLBACK_PATTERN}),
                        _q("project_id", "Project id."), _q("vendor", "Vendor."),
                        _q("release_id", "Release id."), _q("query", "Substring filter.")],
                    "responses": resp}}


def document():
    count = {"type": "integer", "minimum": 1}
    not_found = {"404": {"$ref": "#/components/responses/NotFound"}}
    paths = {
        "/api/v1/drivers": {"get": {
            "summary": "Drivers with per-release CI verdicts, state and health",
            "parameters": FILTERS + SORT,
            "responses": dict({"200": _json(_ref("DriverList"))}, **ERRORS)}},
        "/api/v1/drivers/{project_id}/{vendor}/{name}": {"get": {
            "summary": "One driver with its recent votes",
            "parameters": KEY + [_q("limit", "Votes to return (1-500).",
                                    {"type": "integer", "minimum": 1, "maximum": 500})],
            "responses": dict({"200": _json(_ref("DriverDetail"))}, **not_found, **ERRORS)}},
        "/api/v1/projects": {"get": {
            "summary": "Projects having drivers that match the other filters",
            "parameters": FILTERS, "responses": dict({"200": _json(_facet("projects", {
                "type": "object", "required": ["id", "name", "count"],
                "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                               "count": count}}))}, **ERRORS)}},
        "/api/v1/vendors": {"get": {
            "summary": "Vendors having drivers that match the other filters",
            "parameters": FILTERS, "responses": dict({"200": _json(_facet("vendors", {
                "type": "object", "required": ["id", "count"],
                "properties": {"id": {"type": "string"}, "count": count}}))}, **ERRORS)}},
        "/api/v1/releases": {"get": {
            "summary": "Releases (by start date) having drivers that match the other filters",
            "parameters": FILTERS, "responses": dict({"200": _json(_facet("releases", {
                "type": "object", "required": ["id", "start", "active", "count"],
                "properties": {"id": {"type": "string"}, "start": {"type": "string",
                                                                   "format": "date"},
                               "active": {"type": "boolean"}, "wiki": {"type": "string"},
                               "count": count}}))}, **ERRORS)}},
        "/api/v1/export": {"get": {
            "summary": "The merged catalog: catalog plus verdicts, one document",
            "responses": dict({"200": _json({
                "type": "object", "required": ["projects", "releases", "drivers"],
                "properties": {"generation": {"type": "integer"},
                               "projects": {"type": "array", "items": {"type": "object"}},
                               "releases": {"type": "array", "items": {"type": "object"}},
                               "drivers": {"type": "array", "items": _ref("Driver")}}})},
                **ERRORS)}},
        "/api/v1/drivers.csv": {"get": {
            "summary": "The driver list as CSV (same filters)", "parameters": FILTERS + SORT,
            "responses": dict({"200": {"description": "CSV", "content": {
                "text/csv": {"schema": {"type": "string"}}}}}, **ERRORS)}},
        "/api/v1/feed.atom": {"get": {
            "summary": "Atom feed of CI verdict changes (same filters)",
            "parameters": FILTERS + [_q("limit", "Entries (1-500).",
                                        {"type": "integer", "minimum": 1, "maximum": 500})],
            "responses": dict({"200": {"description": "Atom", "content": {
                "application/atom+xml": {"schema": {"type": "string"}}}}}, **ERRORS)}},
        "/api/v1/events": {"get": {
            "summary": "Server-sent events: `generation` whenever data changed",
            "responses": {"200": {"description": "text/event-stream", "content": {
                "text/event-stream": {"schema": {"type": "string"}}}},
                "503": {"$ref": "#/components/responses/Unavailable"}}}},
        "/badge/{project_id}/{vendor}/{name}.svg": {"get": {
            "summary": "SVG CI status badge", "parameters": KEY + [
                _q("release", "A release id: the badge for that release.")],
            "responses": dict({"200": {"description": "SVG", "content": {
                "image/svg+xml": {"schema": {"type": "string"}}}},
                "404": {"description": "Unknown driver (still an SVG)", "content": {
                    "image/svg+xml": {"schema": {"type": "string"}}}}}, **ERRORS)}},
        "/api/v1/openapi.json": {"get": {"summary": "This document",
                                          "responses": {"200": _json({"type": "object"})}}},
        "/healthz": {"get": {"summary": "Readiness", "responses": {
            "200": _json(_ref("Health_")), "503": _json(_ref("Health_"), "Not ready")}}},
        "/metrics": {"get": {"summary": "Prometheus metrics", "responses": {"200": {
            "description": "Prometheus text format",
            "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
        "/api/1.0/drivers": _compat("drivers", {"type": "array", "items": {"type": "object"}}),
        "/api/1.0/list/releases": _compat("releases", {"type": "array", "items": _ref("IdText")}),
        "/api/1.0/list/releases/{release}": _compat("release", _ref("IdText"),
                                                   [_p("release", "Release id.")]),
        "/api/1.0/list/project_ids": _compat("project_ids",
                                             {"type": "array", "items": _ref("IdText")}),
        "/api/1.0/list/project_ids/{project_id}": _compat(
            "project_id", _ref("IdText"), [_p("project_id", "Project id.")], not_found),
        "/api/1.0/list/vendors": _compat("vendors", {"type": "array", "items": _ref("IdText")}),
        "/api/1.0/list/vendors/{vendor}": _compat("vendor", _ref("IdText"),
                                                 [_p("vendor", "Vendor.")]),
    }
    schemas = dict(SCHEMAS)
    schemas["Health_"] = {"type": "object", "required": ["status", "reason"],
                          "properties": {"status": {"type": "string", "enum": ["ok", "unavailable"]},
                                         "reason": {"type": "string"}}}
    err = {"content": {"application/json": {"schema": _ref("Error")}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "DriverLog", "version": "1.0.0",
                 "description": "Read-only API of driverlogd: vendor drivers, their "
                                "maintainers, and whether their vendor CI tests them."},
        "paths": paths,
        "components": {"schemas": schemas, "responses": {
            "BadRequest": dict(err, description="Unusable parameters"),
            "NotFound": dict(err, description="No such resource"),
            "TooLarge": dict(err, description="URL or request too large"),
            "Unavailable": dict(err, description="Too busy")}},
    }


def document_bytes():
    return json.dumps(document(), indent=1).encode("utf-8")
