"""GerritQuery against the stand-in: paging, conversion to events, catch-up."""
import time

import pytest

from driverlogd.gerrit import quoting
from driverlogd.gerrit.events import ChangeMerged, CommentAdded
from driverlogd.gerrit.query import GerritQuery, events_from_change
from driverlogd.gerrit.ssh import CommandError
from driverlogd.metrics import Metrics


def test_paging_reads_every_change_newest_first(standin):
    s = standin.server
    numbers = [s.create_change("openstack/nova") for _ in range(7)]
    s.create_change("openstack/neutron")
    q = GerritQuery(standin.config(), Metrics())
    got = [c["number"] for c in q.changes(quoting.term("project", "openstack/nova"),
                                          limit_per_page=3)]
    assert sorted(got) == numbers and len(got) == 7
    starts = [c for c in s.commands if c.startswith("gerrit query")]
    assert [c.split("--start ")[1].split()[0] for c in starts] == ["0", "3", "6"]


def test_query_closes_its_connection(standin):
    s = standin.server
    s.create_change("p")
    list(GerritQuery(standin.config(), Metrics()).changes("status:open"))
    end = time.monotonic() + 10
    while s.open_connections() and time.monotonic() < end:
        time.sleep(0.02)
    assert s.open_connections() == 0


def test_an_error_line_raises(standin):
    q = GerritQuery(standin.config(), Metrics())
    with pytest.raises(CommandError, match="Unsupported operator"):
        list(q.changes("frobnicate:{x}"))


def test_unsafe_query_is_refused_before_connecting(standin):
    q = GerritQuery(standin.config(), Metrics())
    with pytest.raises(quoting.UnsafeValue):
        list(q.changes("project:x'; rm -rf /"))
    assert standin.server.commands == []


def test_events_from_change_match_the_stream(standin):
    s = standin.server
    n = s.create_change("openstack/nova", "stable/2024.1")
    s.add_comment(n, 1, "acme-ci", "Build failed.", approvals={"Verified": -1})
    s.upload_patchset(n)
    s.add_comment(n, 2, "acme-ci", "Build succeeded.", approvals={"Verified": 1})
    s.merge(n)
    s.add_comment(n, 2, "late-ci", "Build succeeded.")
    (change,) = GerritQuery(standin.config(), Metrics()).changes(f"change:{n}")
    events = events_from_change(change)
    assert [type(e) for e in events] == [CommentAdded, CommentAdded, CommentAdded, ChangeMerged]
    first, second, late, merged = events
    assert (first.author, first.patchset, first.comment) == (
        "acme-ci", 1, "Patch Set 1: Verified-1\n\nBuild failed.")
    assert second.patchset == 2 and merged.patchset == 2
    assert late.change.status == "MERGED" and merged.change.status == "MERGED"
    assert first.change.branch == "stable/2024.1" and first.change.number == n
    assert merged.created_on >= second.created_on


def test_events_from_change_without_merge_message_uses_last_update():
    change = {"project": "p", "branch": "master", "number": "5", "url": "u", "status": "MERGED",
              "lastUpdated": 200, "currentPatchSet": {"number": "3"},
              "comments": [{"timestamp": 100, "reviewer": {"username": "ci"},
                            "message": "Patch Set 3: Verified+1"},
                           {"timestamp": 150, "reviewer": {"username": "bob"},
                            "message": "Uploaded patch set 3."}]}
    comment, merged = events_from_change(change)
    assert comment.change.status == "NEW" and comment.change.number == 5
    assert (merged.patchset, merged.created_on) == (3, 200)


def test_catch_up_gives_events_since_oldest_first(standin):
    s = standin.server
    clock = [1_700_000_000]
    s.store.clock = lambda: clock[0]
    a = s.create_change("p")
    s.add_comment(a, 1, "ci", "old")
    clock[0] += 100
    b = s.create_change("p")
    s.add_comment(b, 1, "ci", "new b")
    clock[0] += 10
    s.add_comment(a, 1, "ci", "new a")
    s.merge(a)
    metrics = Metrics()
    events = list(GerritQuery(standin.config(), metrics).catch_up(1_700_000_050))
    # An open change's reports from `since` on; a merged change's all of them
    # (a whole answer, so the merge is `complete`: nothing left to ask).
    assert [getattr(e, "comment", "merged") for e in events] == [
        "Patch Set 1:\n\nold", "Patch Set 1:\n\nnew b", "Patch Set 1:\n\nnew a", "merged"]
    assert events[-1].complete
    assert [e.created_on for e in events] == sorted(e.created_on for e in events)
    assert metrics.registry.get_sample_value("driverlog_catchup_events_total") == 4
    assert 'since:"2023-11-14 22:14:10"' in [c for c in s.commands if "since" in c][0]
    # What the sink would not record is not held: here, only merges.
    kept = list(GerritQuery(standin.config(), metrics).catch_up(
        1_700_000_050, keep=lambda e: e.type == "change-merged"))
    assert [e.type for e in kept] == ["change-merged"]
    assert metrics.registry.get_sample_value("driverlog_catchup_events_total") == 5


def test_page_is_one_answer_with_each_changes_branch_and_time(standin):
    s = standin.server
    clock = [1_700_000_000]
    s.store.clock = lambda: clock[0]
    for branch in ("master", "stable/2024.1", "master"):
        clock[0] += 60
        n = s.create_change("openstack/nova", branch)
        s.add_comment(n, 1, "acme-ci", "Build succeeded.")
        s.merge(n)
    q = GerritQuery(standin.config(), Metrics())
    answered, more = q.page("status:{merged} limit:2")
    assert more and [(a.number, a.branch, a.updated) for a in answered] == [
        (3, "master", 1_700_000_180), (2, "stable/2024.1", 1_700_000_120)]
    assert [e.type for e in answered[0].events] == ["comment-added", "change-merged"]
    assert answered[0].events[-1].complete
    answered, more = q.page('status:{merged} before:"2023-11-14 22:15:19" limit:2')
    assert not more and [a.number for a in answered] == [1]
    assert len([c for c in s.commands if c.startswith("gerrit query")]) == 2
