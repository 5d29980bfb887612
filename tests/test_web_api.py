"""The /api/v1 JSON API, limits and errors, over a real socket."""
import gzip
import json
import re

import pytest

from driverlogd.catalog.model import Catalog
from driverlogd.web.http import BodyCache
from tests.webfake import (
    HOSTILE,
    FakeReadModel,
    ServerThread,
    generate_data,
    get_json,
    request,
    sample_catalog,
)

ACME = ("openstack/cinder", "Acme", "Acme iSCSI")
ZETA = ("openstack/neutron", "Zeta Networks", "Zeta ML2")


@pytest.fixture()
def rm():
    m = FakeReadModel(sample_catalog())
    m.set_verdict(ACME, "Kilo", True, "Build succeeded, logs at https://ci.acme.example/42 .")
    m.set_verdict(ZETA, "Kilo", False, "Build failed " + HOSTILE)
    return m


@pytest.fixture()
def srv(rm):
    with ServerThread(rm) as s:
        yield s


def names(doc):
    return [d["name"] for d in doc["drivers"]]


def bad(srv, reason):
    return srv.metrics.http_bad_requests.labels(reason)._value.get()


def test_driver_list_shape(srv):
    status, doc = get_json(srv.url, "/api/v1/drivers")
    assert status == 200 and doc["total"] == 7 and len(doc["drivers"]) == 7
    acme = next(d for d in doc["drivers"] if d["name"] == "Acme iSCSI")
    assert {"project_id", "vendor", "name", "description", "wiki", "repo", "maintainers",
            "ci", "state", "health", "releases"} <= set(acme)
    assert acme["ci"] == {"id": "acme-ci"} and acme["state"] == "passing"
    assert [r["id"] for r in acme["releases"]] == ["Juno", "Kilo"]   # by release start
    kilo = acme["releases"][1]
    assert kilo["ci"]["result"] is True and kilo["ci"]["review_url"].startswith("https://")
    assert kilo["ci"]["log_url"] == "https://ci.acme.example/42"
    assert acme["releases"][0] == {"id": "Juno", "claimed": True, "state": "unseen", "ci": None}
    assert acme["health"]["votes"] == 1 and acme["health"]["pass_rate"] == 1.0
    beta = next(d for d in doc["drivers"] if d["name"] == "Beta Plugin")
    assert beta["ci"] is None and beta["state"] == "none"


def test_emails_only_when_allowed(rm):
    with ServerThread(rm) as s:
        body = request(s.url, "/api/v1/drivers")[2] + request(s.url, "/api/v1/export")[2]
        body += request(s.url, "/api/1.0/drivers")[2] + request(s.url, "/api/v1/drivers.csv")[2]
        assert b"ann@example.com" not in body
        assert get_json(s.url, "/api/v1/drivers?q=ann@example.com")[1]["total"] == 0
        rm.show_emails = True
        _, doc = get_json(s.url, "/api/v1/drivers?q=ann@example.com")
        assert doc["total"] == 6 and doc["drivers"][0]["maintainers"][0]["email"] == "ann@example.com"


def test_filters(srv):
    get = lambda qs: get_json(srv.url, "/api/v1/drivers?" + qs)[1]  # noqa: E731
    assert names(get("project_id=openstack/nova")) == ["Delta Virt", "Gamma Hypervisor"]
    assert names(get("project_id=OPENSTACK/NOVA&vendor=gamma")) == ["Gamma Hypervisor"]
    assert set(names(get("release=kilo"))) == {"Acme iSCSI", "Acme FC", "Zeta ML2"}
    assert set(names(get("release=Icehouse,Liberty"))) == {
        "Zeta ML2", "Beta Plugin", "Acme FC", "BB iSCSI", "Gamma Hypervisor"}
    assert names(get("ci=failing")) == ["Zeta ML2"]
    assert set(names(get("ci=passing,failing"))) == {"Acme iSCSI", "Zeta ML2"}
    assert names(get("q=mechanism+driver")) == ["Zeta ML2"]
    assert names(get("q=gus")) == ["Gamma Hypervisor"]          # maintainers are searched
    assert names(get("q=nothing-matches-this")) == []


def test_search_reads_every_field(srv):
    """Project, vendor and description are kept apart from the other fields'
    search text (snapshot.Record): a word in any of them matches, and every
    word must match somewhere."""
    get = lambda qs: names(get_json(srv.url, "/api/v1/drivers?" + qs)[1])  # noqa: E731
    assert get("q=openstack/neutron+ZETA+mechanism+ml2") == ["Zeta ML2"]
    assert get("q=neutron+acme") == []
    assert get("q=ml2mechanism") == []                            # not across fields
    descriptions = [d["description"].lower() for d in
                    get_json(srv.url, "/api/v1/drivers?sort=description")[1]["drivers"]]
    assert descriptions == sorted(descriptions)


def test_sort_keys_order_as_the_documents_say(srv):
    """Each key against the documents themselves (the records keep a rank and
    the vote figures, not the lower-cased names): default order, then the key."""
    docs = get_json(srv.url, "/api/v1/drivers")[1]["drivers"]
    by = {"name": lambda d: d["name"].lower(), "vendor": lambda d: d["vendor"].lower(),
          "project_id": lambda d: d["project_id"].lower(),
          "maintainers": lambda d: d["maintainers"][0]["name"].lower(),
          "votes": lambda d: d["health"]["votes"]}
    for key, fn in by.items():
        for order in ("asc", "desc"):
            got = get_json(srv.url, "/api/v1/drivers?sort=%s&order=%s" % (key, order))[1]
            assert names(got) == names({"drivers": sorted(docs, key=fn,
                                                          reverse=order == "desc")}), key


def test_release_filter_counts_verdicts_for_unclaimed_releases(rm, srv):
    rm.set_verdict(("openstack/nova", "Delta", "Delta Virt"), "Liberty", True)
    doc = get_json(srv.url, "/api/v1/drivers?release=Liberty&vendor=Delta")[1]
    assert doc["drivers"][0]["releases"][0]["claimed"] is False


def test_sort(srv):
    get = lambda qs: names(get_json(srv.url, "/api/v1/drivers?" + qs)[1])  # noqa: E731
    assert get("sort=name") == sorted(get(""), key=str.lower)
    assert get("sort=name&order=desc") == sorted(get(""), key=str.lower, reverse=True)
    assert get("sort=state")[0] == "Acme iSCSI"                   # passing first
    assert get("sort=vendor")[:2] == ["Acme FC", "Acme iSCSI"]


@pytest.mark.parametrize("qs,words", [
    ("bogus=1", "unknown parameter"), ("release=Nope", "unknown release"),
    ("ci=green", "unknown ci state"), ("sort=colour", "unknown sort key"),
    ("order=up", "asc or desc"), ("q=a&q=b", "more than once"),
    ("q=%ff%fe", "not valid utf-8|unreadable"),
])
def test_bad_queries_are_400_and_counted(srv, qs, words):
    before = bad(srv, "bad_query")
    status, doc = get_json(srv.url, "/api/v1/drivers?" + qs)
    assert status == 400
    assert any(w in doc["error"]["message"].lower() for w in words.split("|"))
    assert bad(srv, "bad_query") == before + 1


def test_one_driver_with_encoded_keys(rm, srv):
    status, doc = get_json(srv.url, "/api/v1/drivers/openstack/cinder/Acme/Acme%20iSCSI")
    assert status == 200 and doc["name"] == "Acme iSCSI"
    assert doc["ci"]["success_pattern"] == "Build succeeded"
    assert doc["votes"][0]["result"] is True and doc["votes"][0]["branch"] == "stable/kilo"
    assert set(doc["health_30d"]) == {"votes", "pass_rate", "flip_rate"}
    # The project id's slash may also be %2F; a slash inside a vendor must be.
    assert get_json(srv.url, "/api/v1/drivers/openstack%2Fcinder/Acme/Acme%20iSCSI")[0] == 200
    status, doc = get_json(srv.url, "/api/v1/drivers/openstack/cinder/Block%2FBridge/BB%20iSCSI")
    assert status == 200 and doc["vendor"] == "Block/Bridge"
    assert get_json(srv.url, "/api/v1/drivers/openstack/cinder/acme/acme%20iscsi")[0] == 200
    assert get_json(srv.url, "/api/v1/drivers/openstack/cinder/Acme/Nope")[0] == 404
    assert get_json(srv.url, "/api/v1/drivers/Acme")[0] == 404
    assert get_json(srv.url, "/api/v1/drivers/openstack/cinder/Acme/Acme%20iSCSI?limit=0")[0] == 400


def test_facets_narrow_each_other(srv):
    _, doc = get_json(srv.url, "/api/v1/projects")
    assert [p["id"] for p in doc["projects"]] == ["openstack/cinder", "openstack/neutron",
                                                  "openstack/nova"]
    _, doc = get_json(srv.url, "/api/v1/projects?vendor=Acme")
    assert doc["projects"] == [{"id": "openstack/cinder", "name": "Cinder (Block Storage)",
                                "count": 2}]
    _, doc = get_json(srv.url, "/api/v1/vendors?project_id=openstack/nova")
    assert [v["id"] for v in doc["vendors"]] == ["Delta", "Gamma"]
    _, doc = get_json(srv.url, "/api/v1/releases?project_id=openstack/neutron")
    assert [(r["id"], r["count"]) for r in doc["releases"]] == [("Icehouse", 2), ("Kilo", 1)]
    _, doc = get_json(srv.url, "/api/v1/releases")
    assert [r["id"] for r in doc["releases"] if r["active"]] == ["Kilo", "Liberty"]
    # A facet ignores its own filter, so the drop-down still offers the others.
    _, doc = get_json(srv.url, "/api/v1/vendors?vendor=Acme&project_id=openstack/cinder")
    assert [v["id"] for v in doc["vendors"]] == ["Acme", "Block/Bridge"]


def test_methods_sizes_and_unknown_paths(srv):
    for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
        status, headers, body = request(srv.url, "/api/v1/drivers", method=method, body=b"{}")
        assert status == 405 and headers["allow"] == "GET, HEAD"
        assert json.loads(body)["error"]["status"] == 405
    assert bad(srv, "method") == 5
    status, _, _ = request(srv.url, "/api/v1/drivers?q=" + "x" * 5000)
    assert status == 414
    status, _, _ = request(srv.url, "/api/v1/drivers", headers={"X-Big": "y" * 70000})
    assert status in (413, 431, 400)
    status, _, _ = request(srv.url, "/api/v1/drivers", body=b"z" * 70000,
                           headers={"Content-Length": "70000"})
    assert status == 413
    assert bad(srv, "too_large") >= 2
    status, doc = get_json(srv.url, "/api/v2/nothing")
    assert status == 404 and "no such resource" in doc["error"]["message"]
    assert bad(srv, "not_found") == 1


def test_head_etag_and_gzip(srv, rm):
    status, headers, body = request(srv.url, "/api/v1/drivers", method="HEAD")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 100
    etag = headers["etag"]
    assert request(srv.url, "/api/v1/drivers", headers={"If-None-Match": etag})[0] == 304
    status, headers, body = request(srv.url, "/api/v1/drivers", headers={"Accept-Encoding": "gzip"})
    assert headers["content-encoding"] == "gzip"
    assert json.loads(gzip.decompress(body))["total"] == 7
    # Again: served from the cached gzip copy, with the same headers (but the
    # Date, which the next second may change).
    def undated(h):
        return {k: v for k, v in h.items() if k != "date"}
    again = request(srv.url, "/api/v1/drivers", headers={"Accept-Encoding": "gzip"})
    assert again[2] == body and undated(again[1]) == undated(headers)
    csv = request(srv.url, "/api/v1/drivers.csv", headers={"Accept-Encoding": "gzip"})[1]
    csv_again = request(srv.url, "/api/v1/drivers.csv", headers={"Accept-Encoding": "gzip"})[1]
    assert undated(csv_again) == undated(csv) and "attachment" in csv["content-disposition"]
    rm.set_verdict(ACME, "Liberty", False)   # a new generation: the old ETag is stale
    assert request(srv.url, "/api/v1/drivers", headers={"If-None-Match": etag})[0] == 200


def test_body_cache_is_bounded_by_every_body_it_holds():
    cache = BodyCache(1000)
    for i in range(10):      # plain bodies with their headers, and gzip copies
        cache.put(i, (b"x" * 200, "application/json", []) if i % 2 else b"y" * 200)
    assert cache.size == 1000 and list(cache.items) == [5, 6, 7, 8, 9]
    cache.put("big", (b"z" * 1001, "application/json", []))  # over the bound: not kept
    assert "big" not in cache.items and cache.size == 1000
    cache.put("whole", b"w" * 1000)                            # fills it: the rest goes
    assert list(cache.items) == ["whole"] and cache.size == 1000


def test_new_verdicts_show_at_once(srv, rm):
    assert get_json(srv.url, "/api/v1/drivers?ci=failing")[1]["total"] == 1
    rm.set_verdict(ACME, "Kilo", False, "Build failed")
    rm.set_state(ACME, "failing")
    doc = get_json(srv.url, "/api/v1/drivers?ci=failing")[1]
    assert set(names(doc)) == {"Acme iSCSI", "Zeta ML2"}
    assert srv.app.snapshots.partial_builds >= 1


def test_catalog_reload_is_picked_up(srv, rm):
    rm.replace_catalog(Catalog.from_data(generate_data(30)))
    assert get_json(srv.url, "/api/v1/drivers")[1]["total"] == 30


def test_healthz_and_metrics(srv, rm):
    status, doc = get_json(srv.url, "/healthz")
    assert status == 200 and doc["status"] == "ok"
    rm.ready = (False, "Gerrit stream down, catch-up failing")
    status, doc = get_json(srv.url, "/healthz")
    assert status == 503 and doc["reason"] == "Gerrit stream down, catch-up failing"
    status, headers, body = request(srv.url, "/metrics")
    assert status == 200 and headers["content-type"].startswith("text/plain")
    assert b"driverlog_http_bad_requests_total" in body


def test_server_sent_events_report_generation(srv, rm):
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    conn.request("GET", "/api/v1/events")
    r = conn.getresponse()
    assert r.status == 200 and r.getheader("content-type").startswith("text/event-stream")
    first = r.readline() + r.readline()
    assert first.startswith(b"retry:")
    lines = [r.readline() for _ in range(3)]
    assert lines[0] == b"event: generation\n"
    assert json.loads(lines[1][6:])["generation"] == rm.generation
    rm.set_verdict(ZETA, "Icehouse", True)
    # The changed rows come first (test_web_events.py); `generation` still follows.
    while r.readline() != b"event: generation\n":
        pass
    assert json.loads(r.readline()[6:])["generation"] == rm.generation
    conn.close()


def test_event_streams_are_capped(rm):
    import http.client
    with ServerThread(rm, max_event_streams=1) as s:
        c1 = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
        c1.request("GET", "/api/v1/events")
        assert c1.getresponse().status == 200
        assert request(s.url, "/api/v1/events")[0] == 503
        c1.close()


def test_requests_are_timed_by_handler_and_counted_by_code(srv):
    reg = srv.metrics.registry

    def seen(handler):
        return reg.get_sample_value("driverlog_http_request_duration_seconds_count",
                                    {"handler": handler})

    def answered(code):
        return reg.get_sample_value("driverlog_http_responses_total", {"code": code})

    before = {h: seen(h) for h in ("api_v1", "api_1_0", "badge", "other")}
    codes = {c: answered(c) for c in ("200", "404")}
    get_json(srv.url, "/api/v1/drivers?vendor=Acme")
    get_json(srv.url, "/api/1.0/list/vendors")
    request(srv.url, "/badge/openstack/cinder/Acme/Acme%20iSCSI.svg")
    request(srv.url, "/no/such/" + "x" * 50)     # the path itself never becomes a label
    assert {h: seen(h) - before[h] for h in before} == {
        "api_v1": 1, "api_1_0": 1, "badge": 1, "other": 1}
    assert answered("200") - codes["200"] == 3 and answered("404") - codes["404"] == 1


def test_static_assets_revalidate_but_the_icon_is_kept_a_day(srv):
    # The dashboard rewrites its URL on every filter; Chromium fetches the icon each time.
    status, headers, body = request(srv.url, "/static/favicon.svg")
    assert status == 200 and headers["cache-control"] == "max-age=86400" and b"<svg" in body
    status, headers, _ = request(srv.url, "/static/app.js")
    assert status == 200 and headers["cache-control"] == "no-cache" and headers["etag"]


def test_every_asset_the_dashboard_names_is_served(srv):
    # static/ is served whole: a script split out of app.js needs only its tag.
    _, _, page = request(srv.url, "/")
    names = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.decode())
    assert "/static/live.js" in names
    for name in names:
        status, headers, _ = request(srv.url, name)
        assert status == 200 and headers["etag"], name


def test_body_cache_drops_the_bodies_of_older_snapshots():
    cache = BodyCache(1000)
    cache.put(("static", "/x"), b"s" * 10)                     # not a snapshot's: kept
    for token in ("t1", "t2", "t3"):
        cache.put((token, "/a", ""), b"a" * 10, token)
        cache.put((token, "/a", "", "gzip"), (b"g", "application/json", []), token)
    assert [k[0] for k in cache.items] == ["static", "t2", "t2", "t3", "t3"]
    assert cache.size == 10 + 2 * 11


def test_a_polled_list_keeps_no_body_of_an_old_snapshot(srv, rm):
    # A tab polling a filtered list while verdicts come in: only the bodies
    # of the newest snapshots stay (each generation's token is in its keys).
    for i in range(5):
        rm.set_verdict(ACME, "Kilo", bool(i % 2), "Build %d" % i)
        request(srv.url, "/api/v1/drivers?vendor=Acme")
        request(srv.url, "/api/v1/drivers?vendor=Acme", headers={"Accept-Encoding": "gzip"})
    tokens = {k[0] for k in srv.app.cache.items}
    assert len(tokens) <= 2 and srv.app.snapshots.current().token in tokens
