"""The dashboard in headless Chromium at 10,000 and 1,000 drivers: load, sort,
search and the faceted drop-downs, p50/p95 over repeated runs; then how soon
a CI comment shows in an open dashboard, before and after (dashboard_push.py).

The server is the tests' (ServerThread over FakeReadModel and generate_data,
as test_dashboard_browser's 10,000-driver test, plus verdicts for 30 % of the
drivers so the CI column has every state). bench/dashboard_probe.js times each
action inside the page with performance.now(): "handler" is the synchronous
event handler (filter, facets, sort, DOM rows); "+2 frames" adds two
requestAnimationFrame callbacks, so the next frame's style, layout and paint
are in. The baseline, timed in the same page right after each action, is a
bare Array.prototype.filter + sort (the app's comparison) of the same driver
objects to the same result; its count must equal the dashboard's.
"""
import os
import pathlib
import re
import tempfile

from bench import dashboard_push

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
        "--disable-gpu"]
PROBE = pathlib.Path(__file__).with_name("dashboard_probe.js")
SIZES = (10_000, 1_000)
RUNS = 20
VIEWPORT = {"width": 1280, "height": 900}


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))]


def make_server(n):
    from driverlogd.catalog.model import Catalog
    from tests.webfake import FakeReadModel, ServerThread, generate_data

    rm = FakeReadModel(Catalog.from_data(generate_data(n)))
    for i, d in enumerate(rm.catalog.drivers[: n * 3 // 10]):
        if d.ci:
            rm.set_verdict(d.key, d.releases[-1], i % 3 != 0, "Build OK http://ci.example/%d" % i)
    return ServerThread(rm)


def measure_load(browser, url, runs):
    """Each run a fresh context (cold cache), from navigation start; the
    baseline is a cold fetch + JSON parse of /api/v1/drivers in that page.
    One run first, not counted: the server builds its snapshot then."""
    out = {"load: /api/v1/drivers received": [], "load: first rows": []}
    for i in range(runs + 1):
        ctx = browser.new_context(viewport=VIEWPORT)
        pg = ctx.new_page()
        pg.add_init_script(path=str(PROBE))
        pg.goto(url)
        r = pg.evaluate("__probe.load")
        bare = pg.evaluate("__probe.bareFetch()")
        ctx.close()
        if i:
            out["load: /api/v1/drivers received"].append((r["data"], r["data"], bare))
            out["load: first rows"].append((r["rows"], r["painted"], bare))
    return out


def shown(status):
    """How many drivers match: "N of M drivers", or while pages are still to
    come "Showing n of N matching drivers (M in all)"."""
    return int(re.search(r"(\d+) (?:of \d+ drivers|matching)", status).group(1))


def measure_actions(pg, runs):
    """Every action RUNS times, interleaved, each followed by the baseline for
    the state it left; returns {label: [(handler, +2 frames, bare)]}."""
    out, debounce = {}, []
    crit = {"project_id": "", "vendor": "", "releases": None, "q": "", "sort": "project"}

    def record(label, res):
        bare_ms, count = pg.evaluate("c => __probe.bare(c)", crit)
        if count != shown(res[2]):
            raise SystemExit("bench: %s shows %r, the bare filter found %d" % (label, res[2], count))
        out.setdefault(label, []).append((res[0], res[1], bare_ms))

    for i in range(runs):
        res = pg.evaluate("__probe.empty()")
        out.setdefault("nothing (two frames' floor)", []).append((res[0], res[1], 0.0))
        for col, label in (("name", "driver"), ("vendor", "vendor"), ("ci", "CI state")):
            crit["sort"] = col
            record("sort by " + label, pg.evaluate(
                "s => __probe.click(s)", '#head button[data-sort="%s"]' % col))
        vendor = "Vendor %03d" % ((17 + i) % 400)
        crit["q"] = vendor.lower()
        res = pg.evaluate("q => __probe.search(q)", crit["q"])
        debounce.append(res[3])
        record("search, one vendor's name", res)
        crit["q"] = ""
        res = pg.evaluate("q => __probe.search(q)", "")
        debounce.append(res[3])
        record("search cleared", res)
        for sel, field, value, back, label in (
                ("f-release", "releases", "R%02d" % (i % 12), "all", "release"),
                ("f-project", "project_id", "openstack/p%02d" % (i % 20), "", "project"),
                ("f-vendor", "vendor", vendor, "", "vendor")):
            crit[field] = [value] if field == "releases" else value
            record(label + ": pick one", pg.evaluate("a => __probe.select(a[0], a[1])", [sel, value]))
            crit[field] = None if field == "releases" else back
            record(label + ": back to all", pg.evaluate("a => __probe.select(a[0], a[1])", [sel, back]))
    return out, debounce


def run_size(browser, n):
    with make_server(n) as srv:
        url = srv.url + "/?release=all"
        rows = measure_load(browser, url, RUNS)
        ctx = browser.new_context(viewport=VIEWPORT)
        pg = ctx.new_page()
        pg.set_default_timeout(60000)
        pg.add_init_script(path=str(PROBE))
        pg.goto(url)
        first = pg.evaluate("__probe.load")
        assert shown(first["status"]) == n, first
        assert pg.evaluate("__probe.fetchData()") == n
        actions, debounce = measure_actions(pg, RUNS)
        rows.update(actions)
        ctx.close()
    return rows, debounce


def table(n, rows, debounce):
    print("-- %d drivers: ms, p50 / p95 of %d runs --" % (n, RUNS))
    print("%-32s %15s %15s %15s %9s %9s" % ("operation", "handler", "+2 frames", "bare",
                                             "hdl/bare", "frm/bare"))
    for label, xs in rows.items():
        h, f, b = zip(*xs)
        hb = "%9.1f" % (pct(h, .5) / pct(b, .5)) if pct(b, .5) else "%9s" % "-"
        fb = "%9.1f" % (pct(f, .5) / pct(b, .5)) if pct(b, .5) else "%9s" % "-"
        print("%-32s %7.1f /%6.1f %7.1f /%6.1f %7.1f /%6.1f %s %s" % (
            label, pct(h, .5), pct(h, .95), pct(f, .5), pct(f, .95), pct(b, .5), pct(b, .95), hb, fb))
    print("search debounce (input event -> filter applied): p50 %.1f, p95 %.1f ms"
          % (pct(debounce, .5), pct(debounce, .95)))


def main():
    if not os.path.exists(CHROMIUM):
        print("bench dashboard: skipped, no Chromium at %s" % CHROMIUM)
        return
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("bench dashboard: skipped, playwright is not installed")
        return
    results, pushed = {}, None
    parts = os.environ.get("BENCH_DASHBOARD_PARTS", "actions,push").split(",")
    with sync_playwright() as p, tempfile.TemporaryDirectory(prefix="bench-dashboard-") as tmp:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            print("Chromium %s, headless; viewport %dx%d; %d CPUs, load average %.1f at start"
                  % (browser.version, VIEWPORT["width"], VIEWPORT["height"], os.cpu_count(),
                     os.getloadavg()[0]))
            for n in SIZES if "actions" in parts else ():
                results[n] = run_size(browser, n)
            if "push" in parts:
                pushed = dashboard_push.measure(browser, VIEWPORT, tmp)
        finally:
            browser.close()
    if pushed:
        dashboard_push.report(pushed, pct)
    if not results:
        return
    print(__doc__.split("\n\n", 1)[1].strip())
    print("Load figures count from navigation start in a fresh context (cold cache): "
          "'handler' = rows in the DOM, '+2 frames' = painted; bare = a cold fetch + JSON "
          "parse of /api/v1/drivers in the same page. Search starts when the debounced "
          "filter runs; the debounce is below each table.")
    for n in SIZES:
        table(n, *results[n])
    big, small = SIZES
    print("-- scaling %d -> %d drivers, p50 of '+2 frames' --" % (small, big))
    for label in results[big][0]:
        f_big = pct([x[1] for x in results[big][0][label]], .5)
        f_small = pct([x[1] for x in results[small][0][label]], .5)
        print("%-32s %7.1f -> %7.1f ms  %5.1fx" % (label, f_small, f_big, f_big / f_small))


if __name__ == "__main__":
    main()
