"""Two private attributes we rely on for speed, pinned: if a new google-re2 or
prometheus_client drops or reshapes them, these fail by name.

- verdict/ci_report.py `_found` asks google-re2's compiled RE2 (`_regexp`, with
  `_Anchor.UNANCHORED`) directly on UTF-8 bytes: half the cost of search().
- metrics.py `observe_many` adds a burst to one histogram bucket
  (`_upper_bounds`, `_buckets`, `_sum`): a thousand times cheaper than a loop.

Both fall back to the public API at run time, so a change costs speed, not
correctness; this test is what makes it loud. The answers themselves are
compared with the public API in test_verdict_rules and test_gerrit_units.
"""
import re2
from prometheus_client import CollectorRegistry, Histogram

from driverlogd.catalog.model import compile_pattern
from driverlogd.metrics import observe_many
from driverlogd.verdict import ci_report


def test_google_re2_still_has_the_compiled_regexp_found_uses():
    assert ci_report._UNANCHORED is not None, "google-re2 no longer has re2._Anchor"
    assert ci_report._UNANCHORED is re2._Anchor.UNANCHORED
    pattern = compile_pattern(r"Build (succeeded|ok)")
    regexp = getattr(pattern, "_regexp", None)
    assert regexp is not None, "google-re2's compiled pattern lost _regexp"
    raw = "x: Build ok é".encode("utf-8")
    spans = regexp.Match(ci_report._UNANCHORED, raw, 0, len(raw))
    assert spans[0] == (3, 11), spans            # byte offsets of the whole match
    assert regexp.Match(ci_report._UNANCHORED, b"nothing", 0, 7)[0] == ci_report._NO_MATCH


def test_prometheus_histogram_still_has_the_buckets_observe_many_uses():
    h = Histogram("lag", "x", buckets=(0.5, 1), registry=CollectorRegistry())
    for name in ("_upper_bounds", "_buckets", "_sum"):
        assert hasattr(h, name), f"prometheus_client's Histogram lost {name}"
    assert list(h._upper_bounds) == [0.5, 1, float("inf")]
    observe_many(h, 0.7, 3)
    assert [b.get() for b in h._buckets] == [0, 3, 0] and h._sum.get() == 0.7 * 3
