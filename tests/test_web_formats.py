"""The other read interfaces: /api/1.0, CSV, Atom, badges, export, OpenAPI."""
import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest

from tests.webfake import (
    HOSTILE,
    FakeReadModel,
    ServerThread,
    corpus_catalog,
    get_json,
    request,
    sample_catalog,
)

ACME = ("openstack/cinder", "Acme", "Acme iSCSI")
ZETA = ("openstack/neutron", "Zeta Networks", "Zeta ML2")
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def rm():
    m = FakeReadModel(sample_catalog())
    m.set_verdict(ACME, "Kilo", True, "Build succeeded")
    m.set_verdict(ZETA, "Kilo", False, "Build failed " + HOSTILE)
    m.set_verdict(ZETA, "Icehouse", True, "=HYPERLINK(\"http://evil\")")
    return m


@pytest.fixture(scope="module")
def srv(rm):
    with ServerThread(rm) as s:
        yield s


def test_compat_drivers_in_the_original_shape(srv):
    status, doc = get_json(srv.url, "/api/1.0/drivers")
    assert status == 200 and list(doc) == ["drivers"] and len(doc["drivers"]) == 7
    acme = next(d for d in doc["drivers"] if d["name"] == "Acme iSCSI")
    assert acme["project_name"] == "Cinder (Block Storage)"
    assert acme["ci"] == {"id": "acme-ci", "success_pattern": "Build succeeded",
                          "failure_pattern": "Build failed"}
    assert acme["releases"]["juno"] == {"ci_tested": False}
    kilo = acme["releases"]["kilo"]
    assert kilo["ci_tested"] is True and kilo["ci_result"] is True
    assert {"comment", "timestamp", "review_url"} <= set(kilo)
    assert acme["releases_info"] == [
        {"release_id": "juno", "name": "Juno", "wiki": "https://wiki.example/J"},
        {"release_id": "kilo", "name": "Kilo", "wiki": ""}]
    zeta = next(d for d in doc["drivers"] if d["name"] == "Zeta ML2")
    assert zeta["releases"]["kilo"]["ci_tested"] is False       # a failed run is not "tested"
    assert zeta["releases"]["kilo"]["ci_result"] is False


def test_compat_filters_and_lists(srv):
    get = lambda p: get_json(srv.url, p)[1]  # noqa: E731
    assert {d["name"] for d in get("/api/1.0/drivers?project_id=OPENSTACK/NOVA")["drivers"]} == {
        "Delta Virt", "Gamma Hypervisor"}
    assert {d["name"] for d in get("/api/1.0/drivers?release_id=icehouse")["drivers"]} == {
        "Zeta ML2", "Beta Plugin"}
    assert {d["name"] for d in get("/api/1.0/drivers?vendor=acme&_=123")["drivers"]} == {
        "Acme iSCSI", "Acme FC"}
    # Releases default to drivers of active releases, newest-named first.
    assert get("/api/1.0/list/releases") == {"releases": [
        {"id": "liberty", "text": "Liberty"}, {"id": "kilo", "text": "Kilo"},
        {"id": "juno", "text": "Juno"}, {"id": "icehouse", "text": "Icehouse"}]}
    assert get("/api/1.0/list/releases/kilo") == {"release": {"id": "kilo", "text": "Kilo"}}
    assert get("/api/1.0/list/project_ids?vendor=gamma") == {"project_ids": [
        {"id": "openstack/nova", "text": "Nova (Compute)"}]}
    assert get("/api/1.0/list/project_ids?query=neutron")["project_ids"][0]["id"] == "openstack/neutron"
    assert get("/api/1.0/list/project_ids/openstack/cinder") == {"project_id": {
        "id": "openstack/cinder", "text": "Cinder (Block Storage)"}}
    assert get_json(srv.url, "/api/1.0/list/project_ids/openstack/nope")[0] == 404
    assert get("/api/1.0/list/vendors?project_id=openstack/cinder") == {"vendors": [
        {"id": "Acme", "text": "Acme"}, {"id": "Block/Bridge", "text": "Block/Bridge"}]}
    assert get("/api/1.0/list/vendors/Acme") == {"vendor": {"id": "Acme", "text": "Acme"}}


def test_compat_jsonp(srv):
    status, headers, body = request(srv.url, "/api/1.0/list/vendors?callback=jQuery123_456.cb")
    assert status == 200 and headers["content-type"].startswith("application/javascript")
    assert body.startswith(b"/**/jQuery123_456.cb(") and body.endswith(b");")
    assert json.loads(body[len(b"/**/jQuery123_456.cb("):-2])["vendors"]
    for evil in ("alert(1)//", "a;b", "%3Cscript%3E", "a-b", "1abc"):
        assert request(srv.url, "/api/1.0/drivers?callback=" + evil)[0] == 400


def test_csv_parses_with_the_csv_module(srv):
    status, headers, body = request(srv.url, "/api/v1/drivers.csv?project_id=openstack/neutron")
    assert status == 200 and headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
    assert [r["name"] for r in rows] == ["Beta Plugin", "Zeta ML2"]
    zeta = rows[1]
    assert zeta["state"] == "passing" and zeta["ci_id"] == "zeta-ci"   # newest vote
    assert zeta["releases"] == "Icehouse:passing Kilo:failing"
    assert zeta["description"] == "Mechanism driver " + HOSTILE
    assert request(srv.url, "/api/v1/drivers.csv?sort=nope")[0] == 400


def test_csv_defuses_spreadsheet_formulas(rm):
    from driverlogd.web.api_v1 import _cell
    assert _cell("=SUM(A1)") == "'=SUM(A1)" and _cell("@x") == "'@x" and _cell("ok") == "ok"


def test_atom_feed_parses_and_filters(srv):
    status, headers, body = request(srv.url, "/api/v1/feed.atom")
    assert status == 200 and headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(body)
    assert feed.tag == ATOM + "feed" and feed.find(ATOM + "id").text.startswith("urn:uuid:")
    entries = feed.findall(ATOM + "entry")
    assert len(entries) == 3
    for e in entries:
        assert e.find(ATOM + "id").text and e.find(ATOM + "updated").text.endswith("Z")
        assert e.find(ATOM + "link").get("href").startswith("https://review.example.org/")
    titles = [e.find(ATOM + "title").text for e in entries]
    assert any("Zeta ML2" in t and "failing" in t for t in titles)
    feed = ET.fromstring(request(srv.url, "/api/v1/feed.atom?vendor=acme")[2])
    assert len(feed.findall(ATOM + "entry")) == 1
    feed = ET.fromstring(request(srv.url, "/api/v1/feed.atom?release=Icehouse")[2])
    assert [e.find(ATOM + "title").text for e in feed.findall(ATOM + "entry")] == [
        "Zeta Networks Zeta ML2 (openstack/neutron) Icehouse: new → passing"]
    assert request(srv.url, "/api/v1/feed.atom?limit=0")[0] == 400


@pytest.mark.parametrize("path,label,message,status", [
    ("/badge/openstack/cinder/Acme/Acme%20iSCSI.svg", "CI", "passing", 200),
    ("/badge/openstack%2Fneutron/Zeta%20Networks/Zeta%20ML2.svg?release=Icehouse", "CI Icehouse",
     "passing", 200),
    ("/badge/openstack/neutron/Zeta%20Networks/Zeta%20ML2.svg?release=kilo", "CI Kilo", "failing", 200),
    ("/badge/openstack/neutron/Beta/Beta%20Plugin.svg", "CI", "no CI", 200),
    ("/badge/openstack/cinder/Block%2FBridge/BB%20iSCSI.svg", "CI", "no result yet", 200),
    ("/badge/openstack/cinder/Acme/Nope.svg", "CI", "unknown driver", 404),
])
def test_badges_are_valid_svg(srv, path, label, message, status):
    st, headers, body = request(srv.url, path)
    assert st == status and headers["content-type"].startswith("image/svg+xml")
    svg = ET.fromstring(body)
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert texts == [label, message]
    assert svg.get("aria-label") == "%s: %s" % (label, message)


def test_export_is_the_merged_catalog(srv):
    status, doc = get_json(srv.url, "/api/v1/export")
    assert status == 200 and len(doc["drivers"]) == 7 and len(doc["releases"]) == 4
    acme = next(d for d in doc["drivers"] if d["name"] == "Acme iSCSI")
    assert acme["ci"]["success_pattern"] == "Build succeeded"
    assert acme["releases"][1]["ci"]["result"] is True
    # Each driver is its /api/v1/drivers document with the CI patterns added.
    listed = {(d["project_id"], d["vendor"], d["name"]): d
              for d in get_json(srv.url, "/api/v1/drivers")[1]["drivers"]}
    for d in doc["drivers"]:
        same = dict(listed[(d["project_id"], d["vendor"], d["name"])], ci=d["ci"])
        assert d == same and list(d) == list(same)
        assert d["ci"] is None or set(d["ci"]) == {"id", "success_pattern", "failure_pattern"}


def test_openapi_document_is_valid_and_complete(srv):
    status, doc = get_json(srv.url, "/api/v1/openapi.json")
    assert status == 200 and doc["openapi"].startswith("3.")
    for path in ("/api/v1/drivers", "/api/v1/drivers/{project_id}/{vendor}/{name}",
                 "/api/v1/projects", "/api/v1/releases", "/api/v1/vendors", "/api/v1/export",
                 "/api/v1/drivers.csv", "/api/v1/feed.atom", "/api/v1/events", "/healthz",
                 "/metrics", "/badge/{project_id}/{vendor}/{name}.svg", "/api/1.0/drivers",
                 "/api/1.0/list/releases", "/api/1.0/list/project_ids", "/api/1.0/list/vendors"):
        assert path in doc["paths"], path
    # Every response a test above fetched fits the schema it documents.
    import jsonschema
    schemas = doc["components"]["schemas"]

    def check(instance, name):
        schema = dict(schemas[name], components={"schemas": schemas})
        jsonschema.validate(instance, _nullable(schema))
    check(get_json(srv.url, "/api/v1/drivers")[1], "DriverList")
    check(get_json(srv.url, "/api/v1/drivers/openstack/cinder/Acme/Acme%20iSCSI")[1], "DriverDetail")
    for d in get_json(srv.url, "/api/1.0/drivers")[1]["drivers"]:
        check(d, "OriginalDriver")


def _nullable(schema):
    """OpenAPI 3.0's `nullable` as JSON Schema, for jsonschema."""
    if isinstance(schema, list):
        return [_nullable(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _nullable(v) for k, v in schema.items() if k != "nullable"}
    if schema.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


def test_the_real_221_driver_catalog(tmp_path):
    catalog = corpus_catalog()
    if catalog is None:
        pytest.skip("shared/corpus is absent")
    with ServerThread(FakeReadModel(catalog)) as s:
        status, doc = get_json(s.url, "/api/v1/drivers")
        assert status == 200 and doc["total"] == 221
        status, old = get_json(s.url, "/api/1.0/drivers")
        assert status == 200 and len(old["drivers"]) == 221
        raw = request(s.url, "/api/1.0/drivers")[2] + request(s.url, "/api/v1/export")[2]
        assert b'"email"' not in raw
        for rel in get_json(s.url, "/api/1.0/list/releases")[1]["releases"]:
            assert get_json(s.url, "/api/1.0/drivers?release_id=" + rel["id"])[0] == 200
