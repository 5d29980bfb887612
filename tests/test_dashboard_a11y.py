"""The dashboard for every reader: axe-core finds nothing serious at desktop and
phone sizes; the count says what is shown; the URL names the open driver once;
a phone gets a readable drill-down and no invisible focus."""
import pathlib
import urllib.parse

import pytest

from tests.test_dashboard_browser import CHROMIUM, browser, model, server  # noqa: F401
from tests.webfake import FakeReadModel, ServerThread

AXE = pathlib.Path(__file__).resolve().parents[1] / ".cache/axe/node_modules/axe-core/axe.min.js"
pytestmark = pytest.mark.skipif(not pathlib.Path(CHROMIUM).exists(), reason="Debian chromium missing")
DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 375, "height": 740}


def new_page(browser, viewport, url):  # noqa: F811
    # The dashboard's CSP allows only its own scripts; axe is injected as a test's.
    pg = browser.new_context(viewport=viewport, bypass_csp=True).new_page()
    pg.set_default_timeout(10000)
    pg.goto(url)
    pg.wait_for_selector("#rows tr")
    return pg


def open_driver(pg, name, ready="tr.detail ol.votes li"):
    pg.click(f"#rows button.opener:text-is('{name}')")
    pg.wait_for_selector(ready)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_axe_finds_nothing_serious(browser, server, viewport):  # noqa: F811
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: make axe installs it")
    pg = new_page(browser, viewport, server.url + "/?release=all&vendor=Acme")
    open_driver(pg, "Acme iSCSI")
    pg.click("details.legend summary")
    pg.add_script_tag(path=str(AXE))
    found = pg.evaluate("axe.run(document).then(r => r.violations.map(v => "
                        "({id: v.id, impact: v.impact, help: v.help, "
                        "nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))")
    serious = [v for v in found if v["impact"] in ("serious", "critical")]
    assert serious == [], serious
    # And with no filter, the striped rows' "no CI" text is checked too.
    pg.goto(server.url + "/?release=all")
    pg.wait_for_selector("#rows tr")
    pg.add_script_tag(path=str(AXE))
    contrast = pg.evaluate("axe.run(document, {runOnly: ['color-contrast']})"
                           ".then(r => r.violations.length)")
    assert contrast == 0
    pg.context.close()


def test_the_count_says_what_is_shown(browser):  # noqa: F811
    from driverlogd.catalog.model import Catalog
    from tests.webfake import generate_data
    with ServerThread(FakeReadModel(Catalog.from_data(generate_data(200)))) as srv:
        pg = new_page(browser, {"width": 1280, "height": 400}, srv.url + "/?release=all")
        # One snapshot, so a page added meanwhile cannot split the two readings.
        text, rows = pg.evaluate("[document.getElementById('status').textContent, "
                                 "document.querySelectorAll('#rows tr[data-key]').length]")
        assert text == f"Showing {rows} of 200 matching drivers (200 in all)"
        pg.fill("#f-q", "driver 0000")      # Driver 00000 to 00009
        pg.wait_for_function("document.getElementById('status').textContent.startsWith('10 of')")
        assert pg.locator("#rows tr[data-key]").count() == 10
        pg.context.close()


def test_legend_explains_the_dot(browser, server):  # noqa: F811
    pg = new_page(browser, DESKTOP, server.url + "/")
    assert "\u00b7 \u2014 the driver does not claim this release" in \
        pg.locator("#legend").text_content()
    pg.context.close()


def test_open_is_in_the_url_once_encoded_and_leaves_with_its_driver(browser, server):  # noqa: F811
    pg = new_page(browser, DESKTOP, server.url + "/?release=all")
    open_driver(pg, "BB iSCSI", ready="tr.detail")
    query = urllib.parse.urlsplit(pg.url).query
    assert "open=openstack%2Fcinder/Block%2FBridge/BB%20iSCSI" in query, query
    again = new_page(browser, DESKTOP, pg.url)          # a shared link opens it
    again.locator("tr.detail").wait_for()
    assert "BB iSCSI" in again.locator("#rows tr.open").inner_text()
    again.context.close()
    pg.select_option("#f-vendor", "Acme")               # a filter hides it: it closes
    assert "open=" not in pg.url
    assert pg.locator("tr.detail").count() == 0
    pg.context.close()


def test_phone_drill_down_reads_as_a_table(browser, server):  # noqa: F811
    pg = new_page(browser, PHONE, server.url + "/?release=all")
    open_driver(pg, "Acme iSCSI")
    caption = pg.locator("tr.detail table.verdicts caption").bounding_box()
    line = pg.evaluate("parseFloat(getComputedStyle(document.querySelector("
                       "'tr.detail table.verdicts caption')).lineHeight)")
    assert caption["height"] < 2 * line, caption          # one line, not a letter a line
    headers = pg.locator("tr.detail table.verdicts thead th")
    assert headers.all_inner_texts() == ["Release", "CI", "Matched line", "When", "Proof"]
    assert all(headers.nth(i).is_visible() for i in range(5))
    assert pg.evaluate("document.documentElement.scrollWidth") <= 375
    pg.context.close()


def test_off_screen_sort_buttons_are_out_of_the_tab_order(browser, server):  # noqa: F811
    pg = new_page(browser, PHONE, server.url + "/")
    tabbable = "[...document.querySelectorAll('#head button')].filter(b => b.tabIndex >= 0).length"
    assert pg.evaluate(tabbable) == 0
    pg.focus("#f-reset")
    for _ in range(3):          # the next stops are visible ones
        pg.keyboard.press("Tab")
        box = pg.evaluate("document.activeElement.getBoundingClientRect().toJSON()")
        assert box["right"] > 0 and box["width"] > 0
    pg.set_viewport_size(DESKTOP)
    pg.wait_for_function(f"{tabbable} > 0")
    pg.context.close()
