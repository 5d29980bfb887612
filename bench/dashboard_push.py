"""Comment -> changed row in an open dashboard, for bench_dashboard.

Real parts end to end: the stand-in Gerrit (this process), a `driverlogd`
subprocess following it over SSH with a 10,000-driver catalog, and the
dashboard open in Chromium. Each round comments on a fresh merged change for
a driver whose row is on screen, flipping it between passing and failing;
the page stamps (performance.timeOrigin + now, the same wall clock as this
process) when the row's CI cell shows the new word, and after the next
animation frame. "before" is the same run against the code of BEFORE_REF (git
archive of it, run from a temporary directory), measured interleaved with
"after" (this tree), so both see the same machine load; each round waits
until its tab has no list refetch under way, so neither loads the other's.
"""
import io
import os
import subprocess
import tarfile
import time

from bench.service_harness import ROOT, Daemon, Gerrit

DRIVERS = int(os.environ.get("BENCH_DASHBOARD_DRIVERS", "10000"))
COMMENTS = int(os.environ.get("BENCH_DASHBOARD_COMMENTS", "100"))
BEFORE_REF = os.environ.get("BENCH_DASHBOARD_BEFORE", "main")   # "" = this tree only

# Installed before the dashboard's scripts: stamps when the first event the
# dashboard listens to arrives, when the watched row's CI cell first reads
# `word` (the observer runs right after the DOM changed) and when the frame
# after that was produced.
WATCH = """
window.__fresh = {want: null, got: 0, dom: 0, frame: 0};
var add = EventSource.prototype.addEventListener;
EventSource.prototype.addEventListener = function (type, fn, opts) {
  return add.call(this, type, function (e) {
    var F = window.__fresh;
    if (F.want && !F.got) F.got = performance.timeOrigin + performance.now();
    return fn.call(this, e);
  }, opts);
};
document.addEventListener("DOMContentLoaded", function () {
  var F = window.__fresh;
  new MutationObserver(function () {
    if (!F.want || F.dom) return;
    var td = document.querySelector('#rows tr[data-key="' + CSS.escape(F.want[0]) + '"] td.c-ci');
    if (!td || td.textContent.indexOf(F.want[1]) < 0) return;
    F.dom = performance.timeOrigin + performance.now();
    requestAnimationFrame(function () { setTimeout(function () {
      F.frame = performance.timeOrigin + performance.now(); }, 0); });
  }).observe(document.getElementById("rows"), {childList: true, subtree: true, characterData: true});
});
"""


def checkout(ref, into):
    """`ref`'s driverlogd package under `into` (None when git cannot give it)."""
    try:
        tar = subprocess.run(["git", "-C", ROOT, "archive", "--format=tar", ref, "driverlogd"],
                             capture_output=True, check=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    with tarfile.open(fileobj=io.BytesIO(tar)) as t:
        t.extractall(into)
    return into


class Side:
    """One daemon, its stand-in and a dashboard tab watching one driver's row."""

    def __init__(self, tmp, name, catalog_path, drivers, browser, viewport, root):
        self.name, self.gerrit = name, Gerrit(tmp, name)
        self.daemon = Daemon(tmp, self.gerrit, catalog_path, name, bootstrapped=True, root=root)
        self.page = browser.new_page(viewport=viewport)
        self.page.set_default_timeout(60000)
        self.page.add_init_script(WATCH)
        self.lists = self.inflight = 0
        self.page.on("request", self._count)
        self.page.on("requestfinished", self._done)
        self.page.on("requestfailed", self._done)
        # The list, then the event stream, which opens after it (before: with it).
        with self.page.expect_request(lambda r: "/api/v1/events" in r.url):
            self.page.goto("http://127.0.0.1:%d/?release=all" % self.daemon.port)
        self.page.wait_for_selector("#rows tr[data-key]")
        keys = self.page.eval_on_selector_all("#rows tr[data-key]", "trs => trs.map(t => t.dataset.key)")
        by_key = {"/".join(_enc(x) for x in (d["project_id"], d["vendor"], d["name"])): d
                  for d in drivers}
        self.key, self.driver = next((k, by_key[k]) for k in keys[3:] if by_key[k].get("ci"))
        self.times, self.frames, self.arrived, self.missed, self.k = [], [], [], 0, 0

    @staticmethod
    def _list(request):
        return request.url.split("?")[0].endswith("/api/v1/drivers")

    def _count(self, request):
        if self._list(request):
            self.lists += 1
            self.inflight += 1

    def _done(self, request):
        if self._list(request):
            self.inflight -= 1

    def quiet(self):
        """Until no list refetch is under way or due (main's waits 250 ms
        after an event), so one side's refetches do not load the other's round."""
        for _ in range(2):
            self.page.wait_for_timeout(300)
            for _ in range(500):
                if not self.inflight:
                    break
                self.page.wait_for_timeout(20)

    def round(self):
        d, server = self.driver, self.gerrit.server
        self.k += 1
        word = "passing" if self.k % 2 else "failing"
        number = server.create_change(d.get("repo") or d["project_id"], "master")
        server.merge(number)
        time.sleep(0.05)             # the merge is processed; start from quiet
        job = d["ci"]["success_pattern"].split("\\s+")[0]
        result = "SUCCESS" if word == "passing" else "FAILURE"
        self.page.evaluate("w => { __fresh.want = w; __fresh.got = __fresh.dom = __fresh.frame = 0; }",
                           [self.key, word])
        t0 = time.time() * 1000
        server.add_comment(number, 1, d["ci"]["id"], "Build done.\n\n- %s https://ci.example."
                           "org/%d : %s in 1h 02m 07s\n" % (job, number, result))
        try:
            self.page.wait_for_function("() => __fresh.frame > 0", timeout=10000)
        except Exception:     # playwright's TimeoutError: counted, not fatal
            self.missed += 1
            return
        got, dom, frame = self.page.evaluate("[__fresh.got, __fresh.dom, __fresh.frame]")
        self.arrived.append(got - t0)
        self.times.append(dom - t0)
        self.frames.append(frame - t0)
        self.quiet()

    def close(self):
        self.page.close()
        self.daemon.stop()
        self.gerrit.server.stop()


def _enc(s):
    # JavaScript's encodeURIComponent, which the dashboard's keys use.
    import urllib.parse
    return urllib.parse.quote(s, safe="-_.!~*'()")


def measure(browser, viewport, tmp):
    """{"after": Side, "before": Side or absent}, each after COMMENTS rounds."""
    from driverlogd.catalog.synthetic import make_catalog, write_catalog
    catalog_path = os.path.join(tmp, "catalog.json")
    write_catalog(catalog_path, DRIVERS)
    drivers = make_catalog(DRIVERS)["drivers"]
    roots = {"after": ROOT}
    if BEFORE_REF:
        before = checkout(BEFORE_REF, os.path.join(tmp, "before"))
        if before:
            roots["before"] = before
    sides = {}
    try:
        for name, root in sorted(roots.items(), reverse=True):
            sides[name] = Side(tmp, name, catalog_path, drivers, browser, viewport, root)
        for _ in range(COMMENTS):
            for side in sides.values():
                side.round()
    finally:
        for side in sides.values():
            side.close()
    return sides


def report(sides, pct):
    print("-- comment -> changed row in an open dashboard, %d drivers, %d comments each; "
          "ms from the stand-in's event to the row's new CI state --" % (DRIVERS, COMMENTS))
    print("'event': the first event the page listens to arrived; 'DOM': the row shows the "
          "new state; 'frame': the next frame after that was produced")
    print("%-26s %9s %9s %8s %8s %8s %8s %9s %6s" % (
        "", "event p50", "event p99", "DOM p50", "DOM p99", "frm p50", "frm p99", "list GETs",
        "missed"))
    for name in ("before", "after"):
        s = sides.get(name)
        if s and s.times:
            label = "%s (%s)" % (name, BEFORE_REF if name == "before" else "this tree")
            print("%-26s %9.1f %9.1f %8.1f %8.1f %8.1f %8.1f %9d %6d" % (
                label, pct(s.arrived, .5), pct(s.arrived, .99), pct(s.times, .5),
                pct(s.times, .99), pct(s.frames, .5), pct(s.frames, .99), s.lists, s.missed))
    if "before" in sides and sides["before"].times and sides["after"].times:
        b, a = sides["before"], sides["after"]
        print("after / before: p50 %.2f, p99 %.2f (DOM); goal p99 <= 100 ms" % (
            pct(a.times, .5) / pct(b.times, .5), pct(a.times, .99) / pct(b.times, .99)))
