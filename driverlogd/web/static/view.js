// The dashboard's view of its drivers, worked out in the browser: which ones
// the filters let through, in which order, and what each drop-down would count.
// Reads app.js's state S (S.f the filters, S.releases, S.drivers) and sets
// S.view and S.counts; no DOM here.
"use strict";
(function () {
  var DL = window.DL;
  function releasesInView(S) {
    if (S.f.release === "all") return S.releases.map(function (r) { return r.id; });
    if (S.f.release) return [S.f.release];
    var act = S.releases.filter(function (r) { return r.active; }).map(function (r) { return r.id; });
    return act.length ? act : S.releases.map(function (r) { return r.id; });
  }
  // The filters, prepared once per render rather than once per driver.
  function criteria(S) {
    return {rels: S.f.release === "all" ? null : releasesInView(S),
            words: S.f.q.toLowerCase().split(/\s+/).filter(Boolean)};
  }
  function found(d, words) {
    for (var j = 0; j < words.length; j++) if (d._text.indexOf(words[j]) < 0) return false;
    return true;
  }
  // The one drop-down filter d fails: "" when none, its name when exactly one, null when more.
  function miss(S, d, c) {
    var f = S.f, failed = "", n = 0;
    if (c.rels) {
      var ok = false;
      for (var i = 0; i < c.rels.length && !ok; i++) ok = d._rel[c.rels[i]] !== undefined;
      if (!ok) { failed = "release"; n++; }
    }
    if (f.project_id && d.project_id !== f.project_id) { failed = "project_id"; n++; }
    if (f.vendor && d.vendor !== f.vendor) { failed = "vendor"; n++; }
    if (f.ci && d.state !== f.ci) { failed = "ci"; n++; }
    return n > 1 ? null : failed;
  }
  function sortKey(d, key) {
    if (key.indexOf("rel:") === 0) {
      var r = d._rel[key.slice(4)];
      return r === undefined ? 9 : DL.STATE_ORDER[r.state];
    }
    switch (key) {
      case "project": return d.project_id.toLowerCase();
      case "vendor": return d.vendor.toLowerCase();
      case "name": return d.name.toLowerCase();
      case "description": return (d.description || "").toLowerCase();
      case "ci": return DL.STATE_ORDER[d.state];
      case "maintainers": return d.maintainers.length ? d.maintainers[0].name.toLowerCase() : "\uffff";
    }
    return "";
  }
  function cmp(a, b) { return a < b ? -1 : a > b ? 1 : 0; }
  function bump(counts, k) { counts[k] = (counts[k] || 0) + 1; }
  // One pass over the drivers makes the view and, per drop-down, the counts of
  // the drivers every other filter lets through (what picking a value gives).
  function compute(S) {
    var c = criteria(S), view = [], counts = {release: {}, project_id: {}, vendor: {}, ci: {}};
    for (var i = 0; i < S.drivers.length; i++) {
      var d = S.drivers[i], m;
      if (!found(d, c.words) || (m = miss(S, d, c)) === null) continue;
      if (m === "") view.push(d);
      if (m === "" || m === "release") d._relIds.forEach(function (r) { bump(counts.release, r); });
      if (m === "" || m === "project_id") bump(counts.project_id, d.project_id);
      if (m === "" || m === "vendor") bump(counts.vendor, d.vendor);
      if (m === "" || m === "ci") bump(counts.ci, d.state);
    }
    var key = S.f.sort, dir = S.f.order === "desc" ? -1 : 1;
    view.forEach(function (d) { d._k = sortKey(d, key); });   // once per driver, not per comparison
    view.sort(function (a, b) { return dir * cmp(a._k, b._k) || cmp(a._key, b._key); });
    S.view = view;
    S.counts = counts;
  }
  // Drivers a push replaced (pairs [old, new]): the view and the counts change
  // by just those, as compute() would have them (which sorts all 10,000 again).
  // Returns the drop-downs whose counts changed.
  var FACETS = ["release", "project_id", "vendor", "ci"];
  function part(d, m, f) {   // what d adds to drop-down f's counts, as compute() counts it
    if (m === null || (m !== "" && m !== f)) return null;
    return f === "release" ? d._relIds : [d[f === "ci" ? "state" : f]];
  }
  function update(S, pairs) {
    var c = criteria(S), dir = S.f.order === "desc" ? -1 : 1, dirty = {};
    pairs.forEach(function (p) {
      var ms = p.map(function (d) { return found(d, c.words) ? miss(S, d, c) : null; });
      FACETS.forEach(function (f) {
        var was = part(p[0], ms[0], f), is = part(p[1], ms[1], f);
        if (String(was) === String(is)) return;
        dirty[f] = true;
        (was || []).forEach(function (k) { if (!--S.counts[f][k]) delete S.counts[f][k]; });
        (is || []).forEach(function (k) { bump(S.counts[f], k); });
      });
      var at = ms[0] === "" ? S.view.indexOf(p[0]) : -1;
      if (at >= 0) S.view.splice(at, 1);
      if (ms[1] !== "") return;
      var d = p[1], lo = 0, hi = S.view.length;
      d._k = sortKey(d, S.f.sort);
      while (lo < hi) {   // where compute()'s sort would put it
        var mid = (lo + hi) >> 1, v = S.view[mid];
        if ((dir * cmp(v._k, d._k) || cmp(v._key, d._key)) < 0) lo = mid + 1; else hi = mid;
      }
      S.view.splice(lo, 0, d);
    });
    return dirty;
  }
  DL.view = {releasesInView: releasesInView, compute: compute, update: update, cmp: cmp};
})();
