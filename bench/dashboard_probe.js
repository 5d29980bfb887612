// In-page timers for bench/bench_dashboard.py, installed before the dashboard's
// own scripts (page.add_init_script). Every figure is performance.now() inside
// the page, so Playwright's round trips are never in it.
"use strict";
(function () {
  var P = window.__probe = {};

  // Two animation frames: the first callback runs before the next frame's
  // style/layout/paint, the second after that frame was produced.
  function frames() {
    return new Promise(function (r) { requestAnimationFrame(function () { requestAnimationFrame(r); }); });
  }
  // A task of its own, as a user's input event is (not inside a frame callback).
  function task() { return new Promise(function (r) { realSetTimeout.call(window, r, 0); }); }
  function status() { return document.getElementById("status").textContent; }

  // Load: when rows first exist (the observer runs right after the task that
  // inserted them) and two frames later; times count from navigation start.
  P.load = new Promise(function (resolve) {
    var mo = new MutationObserver(function () {
      if (!document.querySelector("#rows tr")) return;
      mo.disconnect();
      var rows = performance.now();
      frames().then(function () {
        var got = performance.getEntriesByType("resource").filter(function (e) {
          return /\/api\/v1\/drivers$/.test(e.name);
        });
        resolve({rows: rows, painted: performance.now(), data: got.length ? got[0].responseEnd : null,
                 status: status()});
      });
    });
    mo.observe(document, {childList: true, subtree: true});
  });

  // The search box is debounced with setTimeout: note when the next timer
  // callback to run starts and ends, so search is timed from the moment the
  // filter is applied and the debounce is reported on its own.
  var realSetTimeout = window.setTimeout, timerDone = null;
  window.setTimeout = function (fn, ms) {
    if (typeof fn !== "function") return realSetTimeout.apply(window, arguments);
    var args = Array.prototype.slice.call(arguments, 2);
    return realSetTimeout.call(window, function () {
      var t0 = performance.now();
      fn.apply(this, args);
      var t1 = performance.now(), cb = timerDone;
      timerDone = null;
      if (cb) cb(t0, t1);
    }, ms);
  };

  // One synchronous user action: [handler ms, handler + two frames ms, status].
  function act(fn) {
    var t0 = performance.now();
    fn();
    var t1 = performance.now();
    return frames().then(function () { return [t1 - t0, performance.now() - t0, status()]; });
  }
  P.empty = function () { return act(function () {}); };
  P.click = function (selector) {
    var b = document.querySelector(selector);
    if (!b) throw new Error("no " + selector);
    b.focus();   // as the mouse-down (or the keyboard) before a real click would have
    return frames().then(task).then(function () { return act(function () { b.click(); }); });
  };
  P.select = function (id, value) {
    var s = document.getElementById(id);
    return act(function () {
      s.value = value;
      if (s.value !== value) throw new Error(id + " has no option " + value);
      s.dispatchEvent(new Event("change", {bubbles: true}));
    });
  };
  // [debounced handler ms, handler + two frames ms, status, debounce ms]
  P.search = function (text) {
    var q = document.getElementById("f-q");
    return new Promise(function (resolve) {
      var typed;
      timerDone = function (t0, t1) {
        frames().then(function () { resolve([t1 - t0, performance.now() - t0, status(), t0 - typed]); });
      };
      typed = performance.now();
      q.value = text;
      q.dispatchEvent(new Event("input", {bubbles: true}));
    });
  };

  // The baseline: the same driver objects, filtered and sorted with plain
  // Array.prototype.filter + sort and the app's comparison, nothing else.
  var ORDER = {passing: 0, failing: 1, silent: 2, unseen: 3, none: 4};
  function cmp(a, b) { return a < b ? -1 : a > b ? 1 : 0; }
  function key(d, k) {
    if (k === "ci") return ORDER[d.state];
    return (k === "project" ? d.project_id : d[k]).toLowerCase();
  }
  var data = null;
  P.fetchData = function () {
    return fetch("/api/v1/drivers").then(function (r) { return r.json(); }).then(function (j) {
      data = j.drivers.map(function (d) {
        d._key = [d.project_id, d.vendor, d.name].map(encodeURIComponent).join("/");
        d._rel = {};
        d.releases.forEach(function (r) { d._rel[r.id] = r; });
        d._text = [d.project_id, d.vendor, d.name, d.description || ""].concat(d.maintainers.map(function (m) {
          return [m.name, m.irc || "", m.launchpad_id || "", m.email || ""].join(" ");
        })).join("\n").toLowerCase();
        return d;
      });
      return data.length;
    });
  };
  // c: {project_id, vendor, releases: [ids, any of them] or null, q, sort}; [ms, count]
  P.bare = function (c) {
    var t0 = performance.now();
    var words = c.q.toLowerCase().split(/\s+/).filter(Boolean);
    var view = data.filter(function (d) {
      if (c.project_id && d.project_id !== c.project_id) return false;
      if (c.vendor && d.vendor !== c.vendor) return false;
      if (c.releases && !c.releases.some(function (r) { return d._rel[r] !== undefined; })) return false;
      for (var i = 0; i < words.length; i++) if (d._text.indexOf(words[i]) < 0) return false;
      return true;
    });
    view.sort(function (a, b) { return cmp(key(a, c.sort), key(b, c.sort)) || cmp(a._key, b._key); });
    return [performance.now() - t0, view.length];
  };
  // Cold fetch + JSON parse of the same document: the load's baseline.
  P.bareFetch = function () {
    var t0 = performance.now();
    return fetch("/api/v1/drivers", {cache: "no-store"}).then(function (r) { return r.json(); })
      .then(function () { return performance.now() - t0; });
  };
})();
