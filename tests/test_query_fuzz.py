"""Fuzz: a `gerrit query` row, however broken, gives events or is counted as
malformed and skipped; the good rows of the same page still count."""
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from driverlogd.gerrit.config import GerritConfig
from driverlogd.gerrit.events import ChangeMerged, CommentAdded, MalformedEvent
from driverlogd.gerrit.query import GerritQuery, events_from_change
from driverlogd.metrics import Metrics
from tests.junk_events import CINDER, dumps, values

FIELDS = [("project",), ("branch",), ("number",), ("url",), ("status",), ("lastUpdated",),
          ("comments",), ("comments", 0), ("comments", 0, "timestamp"),
          ("comments", 0, "message"), ("comments", 0, "reviewer"),
          ("comments", 1, "timestamp"), ("comments", 1, "message"), ("patchSets",),
          ("patchSets", 0), ("patchSets", 0, "number"), ("currentPatchSet",),
          ("currentPatchSet", "number")]
NOW = 1_700_000_000


def change(number):
    return {"project": CINDER, "branch": "master", "number": number, "status": "MERGED",
            "url": f"https://review.example.org/{number}", "lastUpdated": NOW + 60,
            "comments": [{"timestamp": NOW, "reviewer": {"username": "acme-ci"},
                          "message": "Patch Set 1: Build Successful"},
                         {"timestamp": NOW + 60, "reviewer": {"username": "admin"},
                          "message": "Change has been successfully merged by Admin"}],
            "patchSets": [{"number": 1}], "currentPatchSet": {"number": 1}}


def _put(row, path, value):
    """Set row[path...] = value where the path still leads somewhere."""
    parent = row
    for key in path[:-1]:
        try:
            parent = parent[key]
        except (KeyError, IndexError, TypeError):
            return
    if isinstance(parent, dict) or (isinstance(parent, list) and isinstance(path[-1], int)
                                    and path[-1] < len(parent)):
        parent[path[-1]] = value


@st.composite
def rows(draw, number=7):
    row = change(number)
    for path in draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=3)):
        _put(row, path, draw(values))
    return row


SETTINGS = settings(max_examples=120, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))


@SETTINGS
@given(rows())
def test_any_row_gives_events_or_malformed(row):
    try:
        events = events_from_change(row)
    except MalformedEvent:
        return
    assert all(isinstance(e, (CommentAdded, ChangeMerged)) for e in events)


class PageOf:
    """A connection at the unit edge: `run` answers one page of lines."""

    def __init__(self, lines):
        self.lines = lines

    def run(self, command, timeout, max_line_bytes=None):
        return self.lines + [json.dumps({"type": "stats", "rowCount": 2}).encode()], 0, ""


@SETTINGS
@given(st.lists(rows(8), min_size=1, max_size=3))
def test_bad_rows_are_counted_and_good_rows_of_the_page_still_count(junk):
    good = json.dumps(change(1)).encode()
    metrics = Metrics()
    config = GerritConfig(host="h", username="u", key_file="k", known_hosts="kh")
    query = GerritQuery(config, metrics, connection=PageOf([dumps(r) for r in junk] + [good]))
    found = list(query.catch_up(NOW - 10))
    assert {e.change.number for e in found} >= {1}
    assert any(isinstance(e, CommentAdded) and e.change.number == 1 for e in found)
