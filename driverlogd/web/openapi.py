"""What describes the API, built from the route table (routes.py) and the
shapes it answers with (schemas.py): the OpenAPI 3 document, served at
/api/v1/openapi.json, and the links served at /api/v1."""
import json
import re

from driverlogd.web import schemas
from driverlogd.web.routes import ROUTES

PARAMETER = re.compile(r"\{(\w+)\}")


def operation(route):
    responses = {"200": route.ok}
    responses.update(route.more)
    op = {"operationId": route.name, "summary": route.summary,
          "parameters": [schemas.path_param(p) for p in PARAMETER.findall(route.path)]
          + list(route.query),
          "responses": responses}
    if route.tags:
        op["tags"] = list(route.tags)
    return op


def document(routes=ROUTES):
    err = {"content": {"application/json": {"schema": schemas.ref("Error")}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "DriverLog", "version": "1.0.0",
                 "description": "Read-only API of driverlogd: vendor drivers, their "
                                "maintainers, and whether their vendor CI tests them."},
        "paths": {r.path: {"get": operation(r)} for r in routes if r.public},
        "components": {"schemas": schemas.SCHEMAS, "responses": {
            "BadRequest": dict(err, description="Unusable parameters"),
            "NotFound": dict(err, description="No such resource"),
            "TooLarge": dict(err, description="URL or request too large"),
            "Unavailable": dict(err, description="Too busy"),
            "RateLimited": dict(err, description="Too many requests; see Retry-After")}},
    }


def document_bytes():
    return json.dumps(document(), indent=1).encode("utf-8")


def links_bytes(routes=ROUTES):
    links = {r.link: r.path for r in routes if r.link}
    return json.dumps({"links": links}, separators=(",", ":")).encode("utf-8")
