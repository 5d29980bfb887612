"""The route table: one source for routing, metrics labels and the OpenAPI document."""
import json

import pytest

from driverlogd.metrics import HTTP_HANDLERS, Metrics
from driverlogd.web import openapi, schemas
from driverlogd.web.routes import ROUTES, Router
from driverlogd.web.wsgi import App
from tests.webfake import FakeReadModel, ServerThread, get_json, request, sample_catalog


def test_every_label_is_a_series_the_metrics_create_up_front():
    assert {r.label for r in ROUTES} | {"other"} == set(HTTP_HANDLERS)


@pytest.mark.parametrize("path, label", [
    ("/", "dashboard"), ("/index.html", "dashboard"), ("/index.html/x", "other"),
    ("/static/app.js", "static"), ("/static", "static"), ("/healthz", "healthz"),
    ("/healthz/x", "healthz"), ("/healthzx", "other"), ("/metrics", "metrics"),
    ("/api", "other"), ("/api/v1", "api_v1"), ("/api/v1/", "api_v1"),
    ("/api/v1/no-such", "api_v1"), ("/api/v1x/drivers", "other"),
    ("/api/v1/drivers/openstack/cinder/Acme/x", "api_v1"), ("/api/1.0/drivers", "api_1_0"),
    ("/api/1.0/no-such", "api_1_0"), ("/badge", "badge"), ("/badge/p/v/n.svg", "badge"),
    ("//healthz", "healthz"), ("//", "other"), ("/no/such", "other"),
])
def test_a_path_is_timed_under_its_route_or_section_label(path, label):
    # A path no route answers still gets a fixed label, never the path itself.
    assert Router().label(path) == label


def test_the_router_hands_a_route_its_tail():
    router = Router()
    route, tail = router.match(["api", "v1", "drivers", "openstack", "cinder", "Acme", "x"])
    assert route.name == "driver" and tail == ["openstack", "cinder", "Acme", "x"]
    assert router.match(["api", "v1", "drivers"])[0].name == "drivers"    # exact wins
    assert router.match(["api", "v1", ""])[0].name == "api_index"
    assert router.match(["index.html"])[0].name == "dashboard"
    assert router.match(["api", "v2"]) == (None, None)


def test_every_route_is_answerable_and_every_public_one_documented():
    app = App(FakeReadModel(sample_catalog()), Metrics())
    assert set(app.answers) == {r.name for r in ROUTES}
    doc = openapi.document()
    assert {r.path for r in ROUTES if r.public} == set(doc["paths"])
    ids = [op["get"]["operationId"] for op in doc["paths"].values()]
    assert len(ids) == len(set(ids))


def test_each_shape_is_described_once_and_every_reference_resolves():
    text = json.dumps(openapi.document())
    used = {ref.split('"')[0] for ref in text.split('"$ref": "#/components/schemas/')[1:]}
    assert used == set(schemas.SCHEMAS)     # none unused, none missing
    assert "Health_" not in text and '"Health"' not in text


def test_readiness_and_ci_health_keep_their_json_fields():
    rm = FakeReadModel(sample_catalog())
    with ServerThread(rm) as s:
        status, ready = get_json(s.url, "/healthz")
        assert set(ready) == set(schemas.SCHEMAS["Readiness"]["properties"])
        driver = get_json(s.url, "/api/v1/drivers")[1]["drivers"][0]
        assert set(driver["health"]) == {"last_vote", "last_result", "votes", "pass_rate",
                                         "flip_rate"}
        assert request(s.url, "/api/1.0/no-such")[0] == 404


SAMPLE = {"project_id": "openstack/cinder", "vendor": "Acme", "name": "Acme iSCSI",
          "release": "Kilo"}


def test_the_documented_query_parameters_are_the_accepted_ones():
    """The document and the views name parameters apart; they must agree:
    each documented one is taken, an undocumented one refused."""
    import urllib.parse
    with ServerThread(FakeReadModel(sample_catalog())) as s:
        for route in ROUTES:
            if not route.public or route.name in ("events", "healthz", "metrics"):
                continue
            path = route.path
            for k, v in SAMPLE.items():
                path = path.replace("{%s}" % k, urllib.parse.quote(v, safe="/"))
            for p in route.query:
                status, _, body = request(s.url, path + "?" + p["name"] + "=")
                assert b"unknown parameter" not in body, (route.name, p["name"], status)
            status, _, body = request(s.url, path + "?undocumented=1")
            if route.tags != ("compat",):   # the original API ignores unknown ones
                assert status == 400 and b"unknown parameter" in body, route.name
