// The dashboard: filters, facets and sorts the list live.js loads in the
// browser (10,000 drivers take a few ms), renders rows in pages as they
// scroll into view, keeps its state in the URL, and patches in the changed
// drivers live.js brings (or redraws when it loads the whole list again).
"use strict";
(function () {
  var DL = window.DL, el = DL.el, $ = function (id) { return document.getElementById(id); };
  var PAGE = 30, rowPx = 30;   // rows at most in a first page; a row's height, last seen
  // style.css's phone layout, where rows are cards and the header is off screen.
  var CARDS = window.matchMedia("(max-width: 760px)");
  var S = {drivers: [], releases: [], gen: null, etag: null, view: [], first: 0, shown: 0, open: null, details: {},
           f: {release: "", project_id: "", vendor: "", ci: "", q: "", sort: "project", order: "asc"}};
  var BASE_SORTS = [["project", "Project"], ["vendor", "Vendor"], ["name", "Driver"],
                    ["description", "Description"], ["ci", "CI state"], ["maintainers", "Maintainers"]];

  // ---- URL state ---------------------------------------------------------
  function readUrl() {
    var p = new URLSearchParams(location.search);
    Object.keys(S.f).forEach(function (k) { if (p.has(k)) S.f[k] = p.get(k); });
    // A driver's key is its three parts, each percent-encoded, joined by "/": in
    // the URL as it is (encoding it again made %252F), so read it undecoded.
    var m = /[?&]open=([^&]*)/.exec(location.search);
    S.open = m ? m[1] : null;
  }
  function writeUrl() {
    var p = new URLSearchParams();
    Object.keys(S.f).forEach(function (k) {
      var dflt = {sort: "project", order: "asc"}[k] || "";
      if (S.f[k] !== dflt) p.set(k, S.f[k]);
    });
    var qs = p.toString();
    if (S.open) qs += (qs ? "&" : "") + "open=" + S.open;
    history.replaceState(null, "", location.pathname + (qs ? "?" + qs : ""));
    var api = new URLSearchParams();
    ["project_id", "vendor", "q", "ci"].forEach(function (k) { if (S.f[k]) api.set(k, S.f[k]); });
    var rels = releasesInView();
    if (S.f.release !== "all" && rels.length) api.set("release", rels.join(","));
    var a = api.toString() ? "?" + api.toString() : "";
    $("l-csv").href = "/api/v1/drivers.csv" + a;
    $("l-json").href = "/api/v1/drivers" + a;
    $("l-atom").href = "/api/v1/feed.atom" + a;
  }

  // ---- filtering, facets, sorting ------------------------------------------
  // (view.js works them out; these name them for the code below)
  var V = DL.view, cmp = V.cmp;
  function releasesInView() { return V.releasesInView(S); }
  function compute() { V.compute(S); }
  function update(pairs) { return V.update(S, pairs); }
  // Options are patched in place, not replaced: each new option is restyled and
  // measured for the select's width (~7 ms for 400 vendors), new counts are just text.
  function facet(select, skip, label, textOf, all) {
    var counts = S.counts[skip];
    var current = S.f[skip] || "";
    var keys = Object.keys(counts);
    if (skip === "release") keys = S.releases.map(function (r) { return r.id; }).filter(function (k) { return counts[k]; });
    else keys.sort(function (a, b) { return cmp(textOf(a).toLowerCase(), textOf(b).toLowerCase()); });
    if (current && keys.indexOf(current) < 0 && current !== "all") keys.unshift(current);
    var opts = all.concat(keys.map(function (k) { return [k, textOf(k) + " (" + (counts[k] || 0) + ")"]; }));
    opts.forEach(function (o, i) {
      var opt = select.options[i];
      if (!opt) select.appendChild(el("option", {value: o[0]}, o[1]));
      else {
        if (opt.value !== o[0]) opt.value = o[0];
        if (opt.textContent !== o[1]) opt.textContent = o[1];
      }
    });
    select.options.length = opts.length;
    select.value = current;
  }
  function facets(only) {   // only: {drop-down: true}, those alone (each costs ms at 10,000)
    var names = {};
    if (!only || only.project_id) S.drivers.forEach(function (d) { names[d.project_id] = d.project_name || d.project_id; });
    [["f-release", "release", function (k) { return k; }, [["", "Active releases"], ["all", "All releases"]]],
     ["f-project", "project_id", function (k) { return names[k] || k; }, [["", "All projects"]]],
     ["f-vendor", "vendor", function (k) { return k; }, [["", "All vendors"]]],
     ["f-ci", "ci", function (k) { return DL.STATES[k] ? DL.STATES[k].word : k; }, [["", "Any CI state"]]]
    ].forEach(function (x) { if (!only || only[x[1]]) facet($(x[0]), x[1], null, x[2], x[3]); });
  }
  function renderFacets() {
    facets();
    var sort = $("f-sort");
    sort.textContent = "";
    BASE_SORTS.concat(releasesInView().map(function (r) { return ["rel:" + r, "Release " + r]; }))
      .forEach(function (o) { sort.appendChild(el("option", {value: o[0]}, o[1])); });
    sort.value = S.f.sort;
    $("f-order").value = S.f.order;
    if ($("f-q") !== document.activeElement) $("f-q").value = S.f.q;   // not under the typist's feet
  }

  // ---- rendering -----------------------------------------------------------
  function setAttr(node, k, v) { if (node.getAttribute(k) !== v) node.setAttribute(k, v); }
  // The header is rebuilt only when its columns change; a sort just moves the
  // marks, so the button that was clicked stays (and keeps the focus).
  function header() {
    var tr = $("head"), ths = tr.children;
    var cols = [["project", "Project"], ["vendor", "Vendor"], ["name", "Driver"], ["description", "Description"]]
      .concat(releasesInView().map(function (r) { return ["rel:" + r, r]; }))
      .concat([["ci", "CI"], ["maintainers", "Maintainers"]]);
    var same = ths.length === cols.length && cols.every(function (c, i) {
      return ths[i].firstChild.getAttribute("data-sort") === c[0];
    });
    if (!same) {
      tr.textContent = "";
      cols.forEach(function (c) {
        tr.appendChild(el("th", {scope: "col", role: "columnheader",
          className: c[0].indexOf("rel:") === 0 ? "rel" : "c-" + c[0]},
          el("button", {type: "button", "data-sort": c[0], tabindex: CARDS.matches ? "-1" : null}, c[1],
            el("span", {className: "arrow", "aria-hidden": "true"}))));
      });
    }
    cols.forEach(function (c, i) {
      var active = S.f.sort === c[0], b = ths[i].firstChild, arrow = b.lastChild;
      setAttr(ths[i], "aria-sort", active ? (S.f.order === "desc" ? "descending" : "ascending") : "none");
      setAttr(b, "aria-label", "Sort by " + c[1] + (active && S.f.order === "asc" ? ", descending" : ""));
      var mark = active ? (S.f.order === "desc" ? " \u25BC" : " \u25B2") : "";
      if (arrow.textContent !== mark) arrow.textContent = mark;
    });
  }
  function row(d, i) {
    var id = "d-" + i, open = S.open === d._key;
    var tr = el("tr", {role: "row", "data-key": d._key, className: open ? "open" : null});
    tr.appendChild(el("td", {role: "cell", "data-label": "Project", className: "c-project"}, d.project_name || d.project_id));
    tr.appendChild(el("td", {role: "cell", "data-label": "Vendor", className: "c-vendor"}, d.vendor));
    tr.appendChild(el("td", {role: "cell", "data-label": "Driver", className: "c-name"},
      el("button", {type: "button", className: "opener", "aria-expanded": open ? "true" : "false",
                    "aria-controls": id + "-detail", "data-open": d._key}, d.name)));
    var desc = d.description || "";
    tr.appendChild(el("td", {role: "cell", "data-label": "Description", className: "c-description", title: desc},
      desc.length > 90 ? desc.slice(0, 87) + "\u2026" : desc));
    releasesInView().forEach(function (r) {
      var cell = d._rel[r], td = el("td", {role: "cell", "data-label": r, className: "rel"});
      if (cell === undefined) td.appendChild(el("span", {className: "na"}, el("span", {"aria-hidden": "true"}, "\u00b7"),
        el("span", {className: "sr-only"}, "not claimed")));
      else td.appendChild(DL.mark(cell.state, true));
      tr.appendChild(td);
    });
    tr.appendChild(el("td", {role: "cell", "data-label": "CI", className: "c-ci"}, DL.mark(d.state)));
    tr.appendChild(el("td", {role: "cell", "data-label": "Maintainers", className: "c-maintainers"},
      d.maintainers.map(function (m) { return m.name; }).join(", ")));
    var frag = document.createDocumentFragment();
    frag.appendChild(tr);
    if (open) frag.appendChild(detailRow(d, i));
    return frag;
  }
  function detailRow(d, i) {
    var dt = el("tr", {role: "row", className: "detail", id: "d-" + i + "-detail"});
    var td = el("td", {role: "cell", colspan: 6 + releasesInView().length});
    var region = el("div", {role: "region", "aria-label": "Details of " + d.name});
    region.appendChild(DL.detail(d, S.details[d._key]));
    td.appendChild(region);
    dt.appendChild(td);
    return dt;
  }
  function rowOf(key) { return document.querySelector('#rows tr[data-key="' + CSS.escape(key) + '"]'); }
  // Open or close one driver's details in place: the rest of the list stays put.
  function setOpen(key) {
    var prev = S.open && rowOf(S.open);
    if (prev) {
      var b = prev.querySelector("button[data-open]");
      if (b) b.setAttribute("aria-expanded", "false");
      prev.classList.remove("open");
      if (prev.nextSibling && prev.nextSibling.classList.contains("detail")) prev.nextSibling.remove();
    }
    S.open = key;
    var tr = key && rowOf(key);
    if (tr) {
      var i = S.view.findIndex(function (d) { return d._key === key; });
      tr.classList.add("open");
      tr.querySelector("button[data-open]").setAttribute("aria-expanded", "true");
      tr.after(detailRow(S.view[i], i));
    }
  }
  function refreshDetail(key) {
    var tr = rowOf(key);
    if (!tr || S.open !== key) return;
    var i = S.view.findIndex(function (d) { return d._key === key; });
    if (tr.nextSibling && tr.nextSibling.classList.contains("detail")) tr.nextSibling.replaceWith(detailRow(S.view[i], i));
  }
  function renderRows(want) {
    var tb = $("rows"), frag = document.createDocumentFragment();
    tb.textContent = "";
    S.first = 0;
    if (S.open) {  // a shared link may open a driver far down the list: start just above it
      var at = S.view.findIndex(function (d) { return d._key === S.open; });
      if (at >= want) S.first = Math.max(0, at - 5);
    }
    S.shown = Math.min(S.view.length, S.first + want);
    for (var i = S.first; i < S.shown; i++) frag.appendChild(row(S.view[i], i));
    tb.appendChild(frag);
    $("more").hidden = S.shown >= S.view.length;
    $("earlier").hidden = S.first === 0;
  }
  // What the count says is what the rows show: "N of M drivers" once all the
  // matching ones are rendered, and how many are, while pages are still to come.
  var statusNote = "";
  function status(note) {
    if (note !== undefined) statusNote = note;
    var n = S.view.length, shown = S.shown - S.first;
    $("status").textContent = (shown < n ? "Showing " + shown + " of " + n + " matching drivers (" +
      S.drivers.length + " in all)" : n + " of " + S.drivers.length + " drivers") + statusNote;
  }
  function more() {
    if (S.shown >= S.view.length) return;
    var tb = $("rows"), frag = document.createDocumentFragment(), end = Math.min(S.view.length, S.shown + PAGE * 2);
    for (var i = S.shown; i < end; i++) frag.appendChild(row(S.view[i], i));
    tb.appendChild(frag);
    S.shown = end;
    $("more").hidden = S.shown >= S.view.length;
    status();
  }
  function earlier() {
    if (!S.first) return;
    var tb = $("rows"), frag = document.createDocumentFragment(), start = Math.max(0, S.first - PAGE * 2);
    for (var i = start; i < S.first; i++) frag.appendChild(row(S.view[i], i));
    tb.insertBefore(frag, tb.firstChild);
    S.first = start;
    $("earlier").hidden = S.first === 0;
    status();
  }
  // A first page is what fills the window and the observer's margin, by the
  // height rows had last time (each release column makes them taller); the
  // observer adds more if that was too few. Read before any change, layout is fresh.
  function pageSize() {
    var tb = $("rows");
    if (tb.rows.length) rowPx = Math.max(20, tb.offsetHeight / tb.rows.length);
    return Math.max(10, Math.min(PAGE, Math.ceil((window.innerHeight + 600) / rowPx)));
  }
  // A pushed change: the view is worked out again (a few ms for 10,000), but
  // while the rendered rows stay the same drivers in the same places only the
  // changed ones are redrawn, so scroll, focus and the open details stay put.
  function patch(pairs) {
    var keys = pairs.map(function (p) { return p[1]._key; }), y = window.scrollY, page = pageSize(), same = true;
    var before = S.view.slice(S.first, S.shown).map(function (d) { return d._key; });
    facets(update(pairs));
    for (var i = S.first; same && i < S.shown; i++) same = i < S.view.length && S.view[i]._key === before[i - S.first];
    if (!same) {
      if (S.open && !S.view.some(function (d) { return d._key === S.open; })) { S.open = null; writeUrl(); }
      renderRows(Math.max(page, S.shown - S.first));
      window.scrollTo(0, y);
    } else {
      keys.forEach(function (k) {
        var tr = rowOf(k);
        if (!tr) return;
        for (var i = S.first; S.view[i]._key !== k; i++) continue;
        var focused = tr.contains(document.activeElement), frag = row(S.view[i], i), fresh = frag.firstChild;
        if (tr.nextSibling && tr.nextSibling.classList.contains("detail")) tr.nextSibling.remove();
        tr.replaceWith(frag);
        if (focused) fresh.querySelector("button[data-open]").focus();
      });
      $("more").hidden = S.shown >= S.view.length;
    }
    if (S.open && keys.indexOf(S.open) >= 0) fetchDetail(S.open);
    status(", updated " + new Date().toLocaleTimeString());
  }
  function render(keepCount) {
    var page = pageSize();
    compute();
    if (S.open && !S.view.some(function (d) { return d._key === S.open; })) S.open = null;
    renderFacets();
    header();
    renderRows(Math.max(page, keepCount ? S.shown - S.first : 0));
    status("");
    writeUrl();
  }

  // ---- data ----------------------------------------------------------------
  // (live.js loads it and keeps it current; these draw what it brings)
  function loaded(live) {
    var y = window.scrollY;
    render(live);
    if (live) {
      window.scrollTo(0, y);
      if (S.open) fetchDetail(S.open);
      status(", updated " + new Date().toLocaleTimeString());
    }
  }
  function failed() { $("status").textContent = "Could not load the drivers; retrying shortly."; }
  var L = DL.live(S, {loaded: loaded, patch: patch, detail: refreshDetail, failed: failed});
  var fetchDetail = L.fetchDetail;

  // ---- events ----------------------------------------------------------------
  function onFilter(e) {
    var t = e.target;
    if (!t.name) return;
    S.f[t.name] = t.value;
    render(false);
  }
  function init() {
    var legend = $("legend");
    Object.keys(DL.STATES).forEach(function (k) {
      legend.appendChild(el("li", null, DL.mark(k), " \u2014 " + DL.STATES[k].text));
    });
    legend.appendChild(el("li", null, el("span", {className: "na"}, "\u00b7"),
      " \u2014 the driver does not claim this release"));
    readUrl();
    var form = $("filters"), qTimer = null;
    form.addEventListener("change", function (e) { if (e.target.id !== "f-q") onFilter(e); });
    form.addEventListener("submit", function (e) { e.preventDefault(); });
    $("f-q").addEventListener("input", function (e) {
      clearTimeout(qTimer);
      qTimer = setTimeout(function () { onFilter(e); }, 150);
    });
    $("f-reset").addEventListener("click", function () {
      S.f = {release: "", project_id: "", vendor: "", ci: "", q: "", sort: "project", order: "asc"};
      render(false);
    });
    $("head").addEventListener("click", function (e) {
      var b = e.target.closest("button[data-sort]");
      if (!b) return;
      var k = b.getAttribute("data-sort");
      S.f.order = S.f.sort === k && S.f.order === "asc" ? "desc" : "asc";
      S.f.sort = k;
      render(true);
      var again = document.querySelector('#head button[data-sort="' + CSS.escape(k) + '"]');
      if (again && again !== document.activeElement) again.focus();
    });
    $("rows").addEventListener("click", function (e) {
      var b = e.target.closest("button[data-open]");
      if (!b) return;
      var k = b.getAttribute("data-open");
      setOpen(S.open === k ? null : k);
      writeUrl();
      if (S.open) fetchDetail(S.open);
    });
    // Off screen, the header's sort buttons would take Tab presses with nothing
    // visible focused; "Sort by" does their job there.
    CARDS.addEventListener("change", function () {
      $("head").querySelectorAll("button").forEach(function (b) {
        if (CARDS.matches) b.setAttribute("tabindex", "-1"); else b.removeAttribute("tabindex");
      });
    });
    $("more-btn").addEventListener("click", more);
    $("earlier-btn").addEventListener("click", earlier);
    if (window.IntersectionObserver) {
      // After each page, observe afresh: the observer reports again once the
      // new rows are laid out, so pages are added until the end is out of range.
      var io = new IntersectionObserver(function (entries) {
        if (!entries[entries.length - 1].isIntersecting) return;
        more();
        io.unobserve($("more"));
        io.observe($("more"));
      }, {rootMargin: "600px"});
      io.observe($("more"));
    }
    L.load(false).then(function () {
      L.follow();
      if (!S.open) return;
      fetchDetail(S.open);
      var tr = rowOf(S.open);
      if (tr) tr.scrollIntoView({block: "start"});
    });
  }
  document.addEventListener("DOMContentLoaded", init);
})();
