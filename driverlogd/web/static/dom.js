// DOM helpers and the driver detail view. Every string from the catalog or a
// CI comment goes in as a text node (never innerHTML); links only ever get
// http(s) URLs, or mailto: addresses we build ourselves.
"use strict";

var DL = window.DL = {};

DL.STATES = {
  passing: {mark: "\u2714", word: "passing", short: "pass", text: "CI passing"},
  failing: {mark: "\u2716", word: "failing", short: "fail", text: "CI failing"},
  silent: {mark: "\u25F7", word: "silent", short: "silent", text: "CI silent: no report for too long"},
  unseen: {mark: "?", word: "no result yet", short: "no result", text: "CI configured, no result seen yet"},
  none: {mark: "\u2013", word: "no CI", short: "no CI", text: "no CI configured"}
};
// The detail's diagnosis.reason (verdict/diagnosis.py), in words.
DL.REASONS = {
  "no-reports": "No result yet",
  "patterns-match-nothing": "Patterns match nothing",
  matching: "Patterns match"
};
DL.STATE_ORDER = {passing: 0, failing: 1, silent: 2, unseen: 3, none: 4};

DL.el = function (tag, attrs) {
  var node = document.createElement(tag);
  if (attrs) {
    Object.keys(attrs).forEach(function (k) {
      if (attrs[k] === null || attrs[k] === undefined || attrs[k] === false) return;
      if (k === "text") node.textContent = String(attrs[k]);
      else if (k === "className") node.className = attrs[k];
      else node.setAttribute(k, attrs[k] === true ? "" : String(attrs[k]));
    });
  }
  for (var i = 2; i < arguments.length; i++) {
    var c = arguments[i];
    if (c === null || c === undefined || c === false) continue;
    node.appendChild(typeof c === "string" || typeof c === "number"
      ? document.createTextNode(String(c)) : c);
  }
  return node;
};

// An http(s) URL, absolute, or null.
DL.safeUrl = function (url) {
  if (typeof url !== "string" || !url) return null;
  try {
    var u = new URL(url);
    return (u.protocol === "http:" || u.protocol === "https:") ? u.href : null;
  } catch (e) { return null; }
};

DL.link = function (url, text, label) {
  var href = DL.safeUrl(url);
  if (!href) return DL.el("span", null, text);
  return DL.el("a", {href: href, rel: "noopener noreferrer nofollow", target: "_blank",
                     "aria-label": label || null}, text);
};

// The first http(s) address in a CI line: the vendor's full test results.
DL.logUrl = function (line) {
  var m = /https?:\/\/[^\s<>"'`]+/i.exec(line || "");
  return m ? DL.safeUrl(m[0].replace(/[.,;:)\]}]+$/, "")) : null;
};

DL.mark = function (state, compact) {
  var s = DL.STATES[state] || DL.STATES.none;
  return DL.el("span", {className: "mark st-" + state, title: s.text},
    DL.el("span", {className: "sym", "aria-hidden": "true"}, s.mark),
    DL.el("span", {className: compact ? "word short" : "word"}, compact ? s.short : s.word));
};

var rtf = window.Intl && Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat("en", {numeric: "auto"}) : null;
DL.ago = function (ts) {
  if (ts === null || ts === undefined) return "never";
  var secs = ts - Date.now() / 1000, abs = Math.abs(secs);
  var units = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400],
               ["hour", 3600], ["minute", 60], ["second", 1]];
  for (var i = 0; i < units.length; i++) {
    if (abs >= units[i][1] || units[i][0] === "second") {
      var n = Math.round(secs / units[i][1]);
      return rtf ? rtf.format(n, units[i][0]) : Math.abs(n) + " " + units[i][0] + "s ago";
    }
  }
};
DL.when = function (ts) {
  if (ts === null || ts === undefined) return DL.el("span", null, "never");
  var d = new Date(ts * 1000);
  return DL.el("time", {datetime: d.toISOString(), title: d.toUTCString()}, DL.ago(ts));
};

DL.driverPath = function (d) {
  return [d.project_id, d.vendor, d.name].map(encodeURIComponent).join("/");
};

DL.pct = function (x) { return x === null || x === undefined ? "n/a" : Math.round(x * 100) + "%"; };
DL.votes = function (n) { return n + (n === 1 ? " vote" : " votes"); };

// Why the CI shows what it shows, and what it really writes: its newest
// reports that neither pattern matches (a renamed job, a moved CI, a typo).
DL.diagnosis = function (box, dx) {
  var el = DL.el;
  if (!dx || !DL.REASONS[dx.reason]) return;
  box.appendChild(el("p", {className: "diagnosis dx-" + dx.reason},
    el("strong", null, DL.REASONS[dx.reason] + ": "), dx.message));
  if (!dx.unmatched || !dx.unmatched.length) return;
  var ol = el("ol", {className: "unmatched", "aria-label": "Newest reports no pattern matches"});
  dx.unmatched.forEach(function (r) {
    ol.appendChild(el("li", null, DL.when(r.timestamp), " on ", r.branch || "?", " ",
      DL.safeUrl(r.review_url) ? DL.link(r.review_url, "change " + (r.change || "")) : "",
      el("code", {className: "line"}, r.excerpt || "")));
  });
  box.appendChild(el("h4", null, "Newest reports no pattern matches"));
  box.appendChild(ol);
};

// The drill-down: per-release verdicts, vote history, maintainers, wiki.
DL.detail = function (d, extra) {
  var el = DL.el, box = el("div", {className: "detail-body"});
  var ci = d.ci ? el("p", null, "CI account: ", el("code", null, d.ci.id)) :
    el("p", null, "This driver declares no CI.");
  box.appendChild(el("h3", null, d.vendor + " \u2014 " + d.name));
  if (d.description) box.appendChild(el("p", {className: "desc-full"}, d.description));
  box.appendChild(ci);
  if (extra && extra.ci && extra.ci.success_pattern) {
    box.appendChild(el("p", {className: "small"}, "Success pattern ", el("code", null, extra.ci.success_pattern),
      ", failure pattern ", el("code", null, extra.ci.failure_pattern)));
  }
  DL.diagnosis(box, extra && extra.diagnosis);
  var t = el("table", {className: "verdicts"},
    el("caption", null, "Verdict per release"),
    el("thead", null, el("tr", null, el("th", {scope: "col"}, "Release"), el("th", {scope: "col"}, "CI"),
      el("th", {scope: "col"}, "Matched line"), el("th", {scope: "col"}, "When"), el("th", {scope: "col"}, "Proof"))));
  var tb = el("tbody");
  d.releases.forEach(function (r) {
    var v = r.ci, proof = el("td");
    if (v && DL.safeUrl(v.review_url)) proof.appendChild(DL.link(v.review_url, "review", "review for " + r.id));
    var log = v && DL.logUrl(v.comment);
    if (log) { proof.appendChild(document.createTextNode(" \u00b7 ")); proof.appendChild(DL.link(log, "test results", "full test results for " + r.id)); }
    tb.appendChild(el("tr", null, el("th", {scope: "row"}, r.id + (r.claimed ? "" : " (not claimed)")),
      el("td", null, DL.mark(r.state)), el("td", null, v ? el("code", {className: "line"}, v.comment) : "\u2014"),
      el("td", null, v ? DL.when(v.timestamp) : "\u2014"), proof));
  });
  t.appendChild(tb);
  box.appendChild(t);
  var h = d.health || {};
  box.appendChild(el("p", null, "Newest " + DL.votes(h.votes || 0) + ": pass rate " + DL.pct(h.pass_rate) +
    ", flip rate " + DL.pct(h.flip_rate) + ", last vote ", DL.when(h.last_vote), "."));
  var m = extra && extra.health_30d;
  if (m) box.appendChild(el("p", {className: "h30"}, "Last 30 days: " + DL.votes(m.votes) + ", pass rate " +
    DL.pct(m.pass_rate) + ", flip rate " + DL.pct(m.flip_rate) + "."));
  if (extra && extra.votes && extra.votes.length) {
    var ol = el("ol", {className: "votes", "aria-label": "Vote history, newest first"});
    extra.votes.slice(0, 20).forEach(function (v) {
      ol.appendChild(el("li", null, DL.mark(v.result ? "passing" : "failing", true), " ",
        DL.when(v.timestamp), " on ", v.branch || "?", " ",
        DL.safeUrl(v.review_url) ? DL.link(v.review_url, "change " + (v.change || "")) : "",
        el("code", {className: "line"}, v.comment || "")));
    });
    box.appendChild(el("h4", null, "Vote history"));
    box.appendChild(ol);
  }
  var ul = el("ul", {className: "maint", "aria-label": "Maintainers"});
  (d.maintainers || []).forEach(function (m) {
    var li = el("li", null, el("span", {className: "who"}, m.name));
    if (m.irc) li.appendChild(el("span", null, " \u00b7 IRC: ", el("code", null, m.irc)));
    if (m.launchpad_id) li.appendChild(el("span", null, " \u00b7 ",
      DL.link("https://launchpad.net/~" + encodeURIComponent(m.launchpad_id), "Launchpad", "Launchpad profile of " + m.name)));
    if (m.email) li.appendChild(el("span", null, " \u00b7 ",
      el("a", {href: "mailto:" + encodeURIComponent(m.email).replace(/%40/g, "@")}, m.email)));
    ul.appendChild(li);
  });
  box.appendChild(el("h4", null, "Maintainers"));
  box.appendChild(d.maintainers && d.maintainers.length ? ul : el("p", null, "None listed."));
  if (DL.safeUrl(d.wiki)) box.appendChild(el("p", null, DL.link(d.wiki, "Wiki page")));
  box.appendChild(el("p", {className: "small"}, "Badge: ",
    DL.link(location.origin + "/badge/" + DL.driverPath(d) + ".svg", "SVG badge")));
  return box;
};
