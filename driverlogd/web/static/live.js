// The dashboard's data: loads /api/v1/drivers and /api/v1/releases, then keeps
// them current with the changed drivers /api/v1/events pushes (or, on a static
// server without it, loads the list again when its ETag moves on).
// Fills app.js's state S (S.drivers, S.releases, S.gen, S.etag, S.details) and
// hands each arrival to app.js's hooks to draw; no DOM here.
"use strict";
(function () {
  var DL = window.DL;
  var POLL_MS = 1000;          // how often to ask whether the list changed, without SSE
  function prepare(d) {
    d._key = [d.project_id, d.vendor, d.name].map(encodeURIComponent).join("/");
    d._rel = {};
    d.releases.forEach(function (r) { d._rel[r.id] = r; });
    d._relIds = Object.keys(d._rel);
    d._text = [d.project_id, d.vendor, d.name, d.description || ""].concat(d.maintainers.map(function (m) {
      return [m.name, m.irc || "", m.launchpad_id || "", m.email || ""].join(" ");
    })).join("\n").toLowerCase();
    return d;
  }
  // ui, app.js's hooks: loaded(live) draws the list just loaded (live: again,
  // in place), patch(pairs) the drivers a push replaced ([old, new]),
  // detail(key) a driver's details just fetched; failed() says a load failed.
  function live(S, ui) {
    function load(again) {
      return Promise.all([
        fetch("/api/v1/drivers", {cache: "no-cache"}).then(function (r) { S.etag = r.headers.get("ETag"); return r.json(); }),
        fetch("/api/v1/releases", {cache: "no-cache"}).then(function (r) { return r.json(); })
      ]).then(function (res) {
        S.drivers = res[0].drivers.map(prepare);
        S.at = {};   // key -> place in S.drivers, where a pushed row goes
        S.drivers.forEach(function (d, i) { S.at[d._key] = i; });
        S.gen = res[0].generation;
        S.releases = res[1].releases;
        ui.loaded(again);
      }).catch(function () {
        ui.failed();
        return new Promise(function (ok) { setTimeout(ok, 5000); }).then(function () { return load(again); });
      });
    }
    function fetchDetail(key) {
      fetch("/api/v1/drivers/" + key, {cache: "no-cache"}).then(function (r) { return r.ok ? r.json() : null; })
        .then(function (x) {
          if (!x) return;
          S.details[key] = x;
          ui.detail(key);
        });
    }
    // Each change comes as the changed drivers' rows, items of /api/v1/drivers as
    // of `generation`, covering every change after `since`. The stream opens at
    // the list's generation, so it starts with what changed while the list came.
    // A gap, a driver not in the list or a "reload" event: the whole list again.
    var queued = null;   // rows that came while the list was being fetched again
    function reload() {
      if (queued) return;
      queued = [];
      load(true).then(function () {
        var q = queued;
        queued = null;
        q.forEach(applyRows);
      });
    }
    function applyRows(x) {
      if (queued) { queued.push(x); return; }
      if (x.generation <= S.gen) return;           // the list has these already
      if (x.since > S.gen) { reload(); return; }   // changes were missed
      var fresh = x.drivers.map(prepare);
      if (fresh.some(function (d) { return S.at[d._key] === undefined; })) { reload(); return; }
      var pairs = fresh.map(function (d) { return [S.drivers[S.at[d._key]], d]; });
      fresh.forEach(function (d) { S.drivers[S.at[d._key]] = d; });
      S.gen = x.generation;
      ui.patch(pairs);
    }
    // Where there is no event stream (a static server serving the publication),
    // ask every POLL_MS whether the list changed: a HEAD with If-None-Match, which
    // costs the server a 304 until it did.
    function poll() {
      var ask = function () {
        fetch("/api/v1/drivers", {method: "HEAD", cache: "no-store",
                                  headers: S.etag ? {"If-None-Match": S.etag} : {}})
          .then(function (r) {
            var tag = r.headers.get("ETag");
            if (r.status === 200 && tag && tag !== S.etag) return load(true);
          })
          .catch(function () {})
          .then(function () { setTimeout(ask, POLL_MS); });
      };
      setTimeout(ask, POLL_MS);
    }
    function follow() {
      if (!window.EventSource) { poll(); return; }
      var es = new EventSource("/api/v1/events" + (typeof S.gen === "number" ? "?since=" + S.gen : ""));
      var opened = false;
      es.onopen = function () { opened = true; };
      es.onerror = function () { if (!opened) { es.close(); poll(); } };   // never opened: no SSE here
      es.addEventListener("drivers", function (e) { applyRows(JSON.parse(e.data)); });
      es.addEventListener("reload", reload);
    }
    return {load: load, fetchDetail: fetchDetail, follow: follow};
  }
  DL.live = live;
})();
