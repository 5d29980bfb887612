"""The Atom feed of verdict changes and the SVG status badges."""
import functools
import re
import time
import uuid
import xml.etree.ElementTree as ET

from driverlogd.web.api_v1 import FACET_PARAMS, iso
from driverlogd.web.filters import BadRequest, Filters, parse_query
from driverlogd.web.http import Response

ATOM_NS = "http://www.w3.org/2005/Atom"
FEED_PARAMS = FACET_PARAMS | {"limit"}
MAX_ENTRIES = 500
# XML 1.0 cannot carry most control characters, even escaped.
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(s):
    return _XML_BAD.sub("\ufffd", "" if s is None else str(s))


def _http(url):
    return isinstance(url, str) and url.lower().startswith(("http://", "https://"))


def atom(snap, req, rm):
    params = parse_query(req.query, FEED_PARAMS)
    filters = Filters(snap.catalog, params)
    try:
        limit = int(params.get("limit", "100"))
    except ValueError:
        raise BadRequest("limit must be an integer") from None
    if not 1 <= limit <= MAX_ENTRIES:
        raise BadRequest("limit must be between 1 and %d" % MAX_ENTRIES)
    entries = []
    # Over-fetch: filtering happens here, after the read model answered.
    for ch in rm.changes(0, max(limit * 4, 200)) or ():
        key = tuple(ch.get("key") or ())
        i = snap.by_key.get(key)
        if i is None or not filters.match(snap.records[i], skip="release"):
            continue
        rel = ch.get("release")
        if filters.releases:
            keep = (rel.lower() in filters.releases if rel is not None
                    else not filters.releases.isdisjoint(snap.records[i].release_ids))
            if not keep:
                continue
        entries.append((ch, snap.records[i]))
        if len(entries) >= limit:
            break

    ET.register_namespace("", ATOM_NS)
    feed = ET.Element("{%s}feed" % ATOM_NS)

    def sub(parent, tag, text=None, **attrs):
        el = ET.SubElement(parent, "{%s}%s" % (ATOM_NS, tag), attrs)
        if text is not None:
            el.text = _text(text)
        return el

    canonical = "&".join("%s=%s" % kv for kv in sorted(params.items()))
    sub(feed, "id", "urn:uuid:%s" % uuid.uuid5(uuid.NAMESPACE_URL, "driverlog-feed?" + canonical))
    sub(feed, "title", "DriverLog: CI verdict changes" + (" (%s)" % canonical if canonical else ""))
    newest = max((ch.get("timestamp") or 0 for ch, _ in entries), default=None)
    sub(feed, "updated", iso(newest if newest else time.time()))
    author = sub(feed, "author")
    sub(author, "name", "DriverLog")
    sub(feed, "link", rel="self", href=_text(req.raw_path + ("?" + req.query if req.query else "")))
    sub(feed, "generator", "driverlogd")
    for ch, rec in entries:
        d = rec.doc
        rel = ch.get("release")
        entry = sub(feed, "entry")
        sub(entry, "id", "urn:uuid:%s" % uuid.uuid5(
            uuid.NAMESPACE_URL, "driverlog-change:%s:%s:%s" % (ch.get("generation"), "\x1f".join(rec.key), rel)))
        what = "%s → %s" % (ch.get("old_state") or "new", ch.get("new_state"))
        sub(entry, "title", "%s %s (%s)%s: %s" % (
            d["vendor"], d["name"], d["project_id"], " " + rel if rel else "", what))
        sub(entry, "updated", iso(ch.get("timestamp") or 0))
        if _http(ch.get("review_url")):
            sub(entry, "link", rel="alternate", href=_text(ch["review_url"]))
        sub(entry, "summary", "%s's CI for %s %s is now %s%s." % (
            d["vendor"], d["name"], "on " + rel if rel else "overall", ch.get("new_state"),
            " (was %s)" % ch["old_state"] if ch.get("old_state") else ""))
    body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8",
                                                                      xml_declaration=False)
    return Response(200, body, "application/atom+xml; charset=utf-8")


BADGE_TEXT = {"passing": ("passing", "#2e7d32"), "failing": ("failing", "#c62828"),
              "silent": ("silent", "#8a5a00"), "unseen": ("no result yet", "#546e7a"),
              "none": ("no CI", "#757575"), "unknown": ("unknown driver", "#757575")}


def _width(text):
    # Verdana 11px averages about 6.5 px a character; wide enough, never clipped.
    return int(len(text) * 6.6) + 12


@functools.lru_cache(maxsize=256)    # a few labels times six states; the publisher asks 10,000 times
def badge_svg(label, state):
    message, colour = BADGE_TEXT.get(state, BADGE_TEXT["unknown"])
    label, message = _text(label), _text(message)
    lw, mw = _width(label), _width(message)
    w = lw + mw
    svg = ET.Element("svg", {"xmlns": "http://www.w3.org/2000/svg", "width": str(w),
                             "height": "20", "role": "img",
                             "aria-label": "%s: %s" % (label, message)})
    ET.SubElement(svg, "title").text = "%s: %s" % (label, message)
    ET.SubElement(svg, "rect", {"width": str(lw), "height": "20", "fill": "#555"})
    ET.SubElement(svg, "rect", {"x": str(lw), "width": str(mw), "height": "20", "fill": colour})
    g = ET.SubElement(svg, "g", {"fill": "#fff", "font-family": "Verdana,DejaVu Sans,sans-serif",
                                 "font-size": "11", "text-anchor": "middle"})
    ET.SubElement(g, "text", {"x": str(lw // 2), "y": "14"}).text = label
    ET.SubElement(g, "text", {"x": str(lw + mw // 2), "y": "14"}).text = message
    return ET.tostring(svg, encoding="utf-8", xml_declaration=False)


def badge(snap, req, segments):
    """segments: [project parts..., vendor, name + '.svg']."""
    params = parse_query(req.query, frozenset(("release",)))
    status = 200
    if len(segments) < 3 or not segments[-1].endswith(".svg"):
        return None
    rec = snap.find("/".join(segments[:-2]), segments[-2], segments[-1][:-4])
    label, state = "CI", "unknown"
    if rec is None:
        status = 404
    elif params.get("release"):
        rel = snap.catalog.release(params["release"])
        if rel is None:
            raise BadRequest("unknown release %r" % params["release"])
        label = "CI " + rel.id
        cell = next((r for r in rec.doc["releases"] if r["id"] == rel.id), None)
        state = cell["state"] if cell else ("unseen" if rec.driver.ci else "none")
    else:
        state = rec.state
    return Response(status, badge_svg(label, state), "image/svg+xml; charset=utf-8",
                    [("Cache-Control", "no-cache")])
