"""The dashboard in headless Chromium (Debian's), against a running server."""
import os
import re
import urllib.parse

import pytest

from tests.webfake import HOSTILE, FakeReadModel, ServerThread, sample_catalog

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium missing")
ACME = ("openstack/cinder", "Acme", "Acme iSCSI")
ZETA = ("openstack/neutron", "Zeta Networks", "Zeta ML2")
REVIEW = "https://review.example.org/4242"


def model():
    m = FakeReadModel(sample_catalog())
    m.set_verdict(ACME, "Kilo", True, "Build succeeded, full logs: https://ci.acme.example/run/7",
                  review_url=REVIEW)
    m.set_verdict(ZETA, "Kilo", False, "Build failed " + HOSTILE)
    # What the CIs really write: Gamma's CI renamed its job, so its patterns
    # ("Build succeeded", "Build failed") match none of its reports.
    m.add_report("acme-ci", "openstack/cinder", "Patch Set 2:\n\nacme-fc-tempest: ERROR", 77)
    for n in (1, 2):
        m.add_report("gamma-ci", "openstack/nova",
                     "Patch Set 1: Verified+1\n\ngamma-tempest: OK %s" % HOSTILE, 900 + n)
    return m


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-background-networking", "--disable-component-update",
            "--disable-gpu"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def server():
    with ServerThread(model()) as s:
        yield s


@pytest.fixture()
def page(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    pg.set_default_timeout(10000)
    errors = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("dialog", lambda d: (errors.append("dialog: " + d.message), d.dismiss()))
    yield pg
    ctx.close()
    assert errors == []   # no script errors, and nothing ever ran alert()


def expect(locator):
    from playwright.sync_api import expect as _expect
    return _expect(locator)


def names(pg):
    return pg.locator("#rows tr:not(.detail) button.opener").all_inner_texts()


def open_page(pg, server, qs=""):
    pg.goto(server.url + "/" + qs)
    pg.wait_for_selector("#rows tr")


def test_default_view_is_active_releases(page, server):
    open_page(page, server)
    # Kilo and Liberty are active: drivers claiming only older releases are out.
    assert set(names(page)) == {"Acme iSCSI", "Acme FC", "BB iSCSI", "Zeta ML2", "Gamma Hypervisor"}
    headers = page.locator("#head th").all_inner_texts()
    assert any("Kilo" in h for h in headers) and not any("Icehouse" in h for h in headers)
    assert page.locator("#status").inner_text().startswith("5 of 7 drivers")


def test_filters_narrow_each_other(page, server):
    open_page(page, server, "?release=all")
    page.select_option("#f-project", "openstack/cinder")
    assert set(names(page)) == {"Acme iSCSI", "Acme FC", "BB iSCSI"}
    vendors = page.locator("#f-vendor option").all_inner_texts()
    assert vendors == ["All vendors", "Acme (2)", "Block/Bridge (1)"]
    page.select_option("#f-vendor", "Acme")
    projects = page.locator("#f-project option").all_inner_texts()
    assert projects == ["All projects", "Cinder (Block Storage) (2)"]
    page.select_option("#f-ci", "passing")
    assert names(page) == ["Acme iSCSI"]


def test_search_and_sort(page, server):
    open_page(page, server, "?release=all")
    page.fill("#f-q", "gus")
    expect(page.locator("#rows button.opener")).to_have_count(1)
    assert names(page) == ["Gamma Hypervisor"]
    page.fill("#f-q", "")
    expect(page.locator("#rows button.opener")).to_have_count(7)
    page.click("#head button[data-sort=name]")
    assert names(page) == sorted(names(page), key=str.lower)
    assert page.get_attribute("#head th:has(button[data-sort=name])", "aria-sort") == "ascending"
    page.click("#head button[data-sort=name]")
    assert names(page) == sorted(names(page), key=str.lower, reverse=True)
    page.click("#head button[data-sort=ci]")
    assert names(page)[0] == "Acme iSCSI"   # passing sorts first


def test_url_round_trip(page, server, browser):
    open_page(page, server, "?release=all")
    page.select_option("#f-project", "openstack/cinder")
    page.fill("#f-q", "acme")
    expect(page.locator("#rows button.opener")).to_have_count(2)
    page.click("#head button[data-sort=name]")
    page.click("#head button[data-sort=name]")
    url = page.url
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert q == {"release": ["all"], "project_id": ["openstack/cinder"], "q": ["acme"],
                 "sort": ["name"], "order": ["desc"]}
    other = browser.new_page()
    other.goto(url)
    other.wait_for_selector("#rows tr")
    assert names(other) == ["Acme iSCSI", "Acme FC"]
    assert other.input_value("#f-q") == "acme" and other.input_value("#f-project") == "openstack/cinder"
    other.close()


def test_drill_down_links_and_inert_hostile_text(page, server):
    open_page(page, server)
    page.click("#rows button.opener:text-is('Acme iSCSI')")
    detail = page.locator("tr.detail")
    detail.wait_for()
    assert page.get_attribute("#rows button.opener:text-is('Acme iSCSI')", "aria-expanded") == "true"
    review = detail.locator("a:text-is('review')")
    assert review.get_attribute("href") == REVIEW
    assert detail.locator("a:text-is('test results')").get_attribute("href") == "https://ci.acme.example/run/7"
    page.wait_for_selector("tr.detail ol.votes li")   # vote history arrived
    assert "pass rate 100%" in detail.inner_text()
    page.wait_for_selector("tr.detail p.h30")         # and the store's 30-day figures
    assert "Last 30 days: 1 vote, pass rate 100%, flip rate 0%" in detail.inner_text()
    assert "open=" in page.url
    # Hostile catalog and CI text shows as characters; no element is created.
    page.click("#rows button.opener:text-is('Zeta ML2')")
    page.wait_for_selector("tr.detail ol.votes li")
    assert page.locator("tr.detail").count() == 1
    text = page.locator("tr.detail").inner_text()
    assert HOSTILE in text and "Build failed " + HOSTILE in text
    assert page.locator("#results img").count() == 0
    assert HOSTILE in page.locator("#rows").inner_text()   # description and maintainer
    # No log link where the line holds no http(s) address.
    assert page.locator("tr.detail a:text-is('test results')").count() == 0


def test_drill_down_tells_patterns_matching_nothing_from_no_result(page, server):
    open_page(page, server, "?release=all")
    page.click("#rows button.opener:text-is('Gamma Hypervisor')")
    page.wait_for_selector("tr.detail p.diagnosis")
    detail = page.locator("tr.detail")
    assert detail.locator("p.diagnosis").inner_text() == (
        "Patterns match nothing: The patterns match none of gamma-ci's last 2 report(s) "
        "on openstack/nova: a renamed job, a moved CI or a typo?")
    shown = detail.locator("ol.unmatched li")
    expect(shown).to_have_count(2)
    assert "gamma-tempest: OK " + HOSTILE in shown.nth(0).inner_text()   # as text, inert
    assert shown.nth(0).locator("a").get_attribute("href") == "https://review.example.org/902"
    page.click("#rows button.opener:text-is('Gamma Hypervisor')")
    # A CI with no report on the repo is "no result yet", and says so.
    page.click("#rows button.opener:text-is('BB iSCSI')")
    page.wait_for_selector("tr.detail p.diagnosis")
    assert page.locator("tr.detail p.diagnosis").inner_text() == \
        "No result yet: bb-ci has no recent report on openstack/cinder yet."
    assert page.locator("tr.detail ol.unmatched").count() == 0


def test_keyboard_opens_details(page, server):
    open_page(page, server)
    page.focus("#rows button.opener >> nth=0")
    page.keyboard.press("Enter")
    page.locator("tr.detail").wait_for()
    page.keyboard.press("Enter")
    expect(page.locator("tr.detail")).to_have_count(0)
    assert page.evaluate("document.activeElement.classList.contains('opener')")


def test_live_update_keeps_filters_and_scroll(browser):
    rm = model()
    with ServerThread(rm) as srv:
        pg = browser.new_page(viewport={"width": 1280, "height": 300})
        pg.set_default_timeout(10000)
        pg.goto(srv.url + "/?release=all&project_id=openstack/cinder")
        pg.wait_for_selector("#rows tr")
        bb = pg.locator("#rows tr[data-key*='BB%20iSCSI'] td.c-ci")
        assert "no result yet" in bb.inner_text()
        pg.evaluate("window.scrollTo(0, 200)")
        y = pg.evaluate("window.scrollY")
        rm.set_verdict(("openstack/cinder", "Block/Bridge", "BB iSCSI"), "Liberty", False, "Build failed")
        expect(bb).to_contain_text("failing")
        assert pg.input_value("#f-project") == "openstack/cinder"
        assert set(names(pg)) == {"Acme iSCSI", "Acme FC", "BB iSCSI"}
        assert pg.evaluate("window.scrollY") == y
        assert re.search(r"updated", pg.locator("#status").inner_text())
        pg.close()


def test_phone_viewport_has_no_horizontal_scroll(browser, server):
    pg = browser.new_page(viewport={"width": 375, "height": 740})
    pg.goto(server.url + "/?release=all")
    pg.wait_for_selector("#rows tr")
    pg.click("#rows button.opener:text-is('Acme iSCSI')")
    pg.wait_for_selector("tr.detail ol.votes li")
    assert pg.evaluate("document.documentElement.scrollWidth") <= 375
    assert pg.locator("#rows tr:not(.detail)").first.bounding_box()["width"] <= 375
    pg.close()


def test_ten_thousand_drivers_render_in_pages(browser):
    from driverlogd.catalog.model import Catalog
    from tests.webfake import generate_data
    with ServerThread(FakeReadModel(Catalog.from_data(generate_data(10000)))) as srv:
        pg = browser.new_page(viewport={"width": 1280, "height": 900})
        pg.set_default_timeout(20000)
        pg.goto(srv.url + "/?release=all")
        pg.wait_for_selector("#rows tr")
        assert pg.locator("#status").inner_text().endswith(" of 10000 matching drivers (10000 in all)")
        assert pg.locator("#rows tr").count() <= 300          # only what is near the view
        pg.fill("#f-q", "driver 09999")
        expect(pg.locator("#rows button.opener")).to_have_count(1)
        # A shared link to a driver far past the first page opens it, in view.
        # Sorted by name, "Driver 09999" is the very last of 10,000 rows.
        last = srv.url + "/?release=all&sort=name&order=asc&open=" + \
            "openstack%2Fp19/Vendor%20399/Driver%2009999"
        pg.goto(last)
        detail = pg.locator("#rows tr.detail")
        expect(detail).to_have_count(1)
        assert "Driver 09999" in pg.locator("#rows tr.open").inner_text()
        assert detail.is_visible()
        assert pg.locator("#rows tr").count() <= 300          # rendered near it, not all before it
        pg.click("#earlier-btn")
        assert pg.locator("#rows tr[data-key]").count() > 6
        pg.close()


def test_a_comment_reaches_an_open_dashboard_as_a_pushed_row(browser, tmp_path, standin):
    """The real daemon following the stand-in over SSH: a CI comment changes
    the row and the open details in place, without fetching the list again."""
    from tests.service_support import Daemon
    daemon = Daemon(tmp_path, standin).start()
    pg = browser.new_page(viewport={"width": 1280, "height": 900})
    pg.set_default_timeout(15000)
    lists = []
    pg.on("request", lambda r: urllib.parse.urlsplit(r.url).path == "/api/v1/drivers"
          and lists.append(r.url))
    with pg.expect_request(lambda r: "/api/v1/events" in r.url):
        pg.goto("http://127.0.0.1:%d/?release=all&project_id=openstack/nova&q=acme"
                % daemon.port)
    vgpu = pg.locator("#rows tr[data-key*='vGPU']")
    expect(vgpu.locator("td.c-ci")).to_contain_text("no result yet")
    vgpu.locator("button.opener").click()
    expect(pg.locator("tr.detail")).to_have_count(1)
    assert len(lists) == 1
    number = standin.server.create_change("openstack/nova", "master")
    standin.server.merge(number)
    standin.server.add_comment(number, None, "acme-compute-ci", "Build succeeded.\n\n- "
                               "acme-nova-vgpu https://ci.acme.example/logs/7/ : SUCCESS in 41m")
    expect(vgpu.locator("td.c-ci")).to_contain_text("passing")
    expect(pg.locator("tr.detail ol.votes li")).to_have_count(1)   # the details, refreshed
    assert "Acme GPU vGPU support" in pg.locator("#rows tr.open").inner_text()
    assert len(lists) == 1, lists
    pg.close()
    daemon.stop()


def test_pushed_rows_sort_filter_and_count_as_a_fresh_load_does(browser):
    """A push updates the view by the changed drivers only: the order, the
    rows a filter lets through and the drop-downs' counts must come out as
    a page loaded afterwards has them."""
    from driverlogd.catalog.model import Catalog
    from tests.webfake import sample_data
    rm = model()
    with ServerThread(rm) as srv:
        def shown(pg):
            return names(pg), [pg.locator("#%s option" % s).all_inner_texts()
                               for s in ("f-release", "f-project", "f-vendor", "f-ci")]

        views = ("?release=all&sort=ci", "?ci=failing&sort=ci&order=desc")
        pages = []
        for qs in views:
            pg = browser.new_page(viewport={"width": 1280, "height": 900})
            pg.set_default_timeout(10000)
            with pg.expect_request(lambda r: "/api/v1/events" in r.url):
                open_page(pg, srv, qs)
            pages.append(pg)
        zeta = pages[0].locator("#rows tr[data-key*='Zeta'] td.c-ci")
        assert "failing" in zeta.inner_text()
        lists = []
        for pg in pages:
            pg.on("request", lambda r: urllib.parse.urlsplit(r.url).path == "/api/v1/drivers"
                  and lists.append(r.url))
        rm.set_verdict(ZETA, "Kilo", True, "Build succeeded")       # failing -> passing
        rm.set_verdict(("openstack/cinder", "Block/Bridge", "BB iSCSI"), "Liberty", False,
                       "Build failed")                               # no result -> failing
        expect(zeta).to_contain_text("passing")
        fresh = browser.new_page(viewport={"width": 1280, "height": 900})
        for pg, qs in zip(pages, views):
            expect(pg.locator("#rows tr[data-key*='BB%20iSCSI'] td.c-ci")).to_contain_text(
                "failing")
            open_page(fresh, srv, qs)
            assert shown(pg) == shown(fresh), qs
        fresh.close()
        assert lists == []
        # What cannot be pushed (a catalog reload) comes as `reload`: the list again.
        data = sample_data()
        data["drivers"] = [d for d in data["drivers"] if d["name"] != "Zeta ML2"]
        pg = pages[0]
        with pg.expect_request(lambda r: urllib.parse.urlsplit(r.url).path == "/api/v1/drivers"):
            rm.replace_catalog(Catalog.from_data(data))
        expect(pg.locator("#rows button.opener:text-is('Zeta ML2')")).to_have_count(0)
        assert len(names(pg)) == 6
        for pg in pages:
            pg.close()
