"""Pure rules with plain data: report parsing, branch to release, health."""
import datetime
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from driverlogd.catalog.model import Catalog, compile_pattern
from driverlogd.verdict import (
    ci_state,
    health,
    release_for,
    report_lines,
    report_patchset,
    votes_for,
)
from driverlogd.verdict.ci_report import _found
from driverlogd.verdict.state import current
from tests.verdict_support import ACME, ISCSI, SMB3, catalog, cloudbase_report, ts

CAT = catalog()
CLOUDBASE = CAT.by_ci_id["cinder_smb3_ci"]


def results(message, branch="master", when=None, drivers=CLOUDBASE):
    return {v.driver: (v.passed, v.line, v.release)
            for v in votes_for(drivers, message, branch, when or ts("2018-09-01"), CAT)}


@pytest.mark.parametrize("message, expected", [
    ("Patch Set 3: Verified+1\n\nBuild succeeded.", 3),
    ("Patch Set 12:\n\nStarting check jobs.", 12),
    ("Uploaded patch set 3.", None),
    ("recheck", None),
    (" Patch Set 3: indented is not Gerrit's", None),
    ("Patch Set x: nope", None),
])
def test_report_patchset(message, expected):
    assert report_patchset(message) == expected


def test_report_lines_keep_the_rest_of_the_prefix_line_and_skip_blanks():
    lines = list(report_lines("Patch Set 1: Verified+1 Build Successful\n\n  \n- job a\n"))
    assert lines == ["Verified+1 Build Successful", "- job a"]


# (message, {driver: (passed, line fragment)}) — one comment, two drivers of a shared account
CASES = [
    ("both pass", cloudbase_report(3), {ISCSI: (True, "iscsi : SUCCESS"),
                                        SMB3: (True, "smb3 :SUCCESS")}),
    ("mixed lines", cloudbase_report(3, iscsi="FAILURE", vote="-1"),
     {ISCSI: (False, "iscsi : FAILURE"), SMB3: (True, "smb3 :SUCCESS")}),
    ("smb3 fails", cloudbase_report(3, smb3="FAILURE", vote="-1"),
     {ISCSI: (True, "iscsi : SUCCESS"), SMB3: (False, "smb3 :FAILURE")}),
    ("starting check jobs", "Patch Set 3:\n\nStarting check jobs.", {}),
    ("recheck request", "Patch Set 3:\n\nrecheck cinder-smb3-windows-full-tempest", {}),
    ("not a report", "Build succeeded.\n- cinder-iscsi-full-tempest http://x : SUCCESS in 1h", {}),
    ("space before colon does not match smb3's pattern",
     "Patch Set 3:\n- cinder-smb3-windows-full-tempest http://x : SUCCESS", {}),
    ("job skipped: no line for iscsi",
     "Patch Set 3: Verified+1\n- cinder-smb3-windows-full-tempest http://x :SUCCESS in 2h", {
         SMB3: (True, ":SUCCESS")}),
    ("first matching line decides", "Patch Set 2:\n- cinder-iscsi-full-tempest a : FAILURE\n"
     "- cinder-iscsi-full-tempest b : SUCCESS", {ISCSI: (False, "a : FAILURE")}),
]


@pytest.mark.parametrize("name, message, expected", CASES, ids=[c[0] for c in CASES])
def test_votes_for_a_shared_account(name, message, expected):
    got = results(message)
    assert set(got) == set(expected)
    for key, (passed, fragment) in expected.items():
        assert got[key][0] is passed
        assert fragment in got[key][1]


def test_success_is_tried_first_on_a_line():
    acme = CAT.by_ci_id["acme-ci"]
    got = results("Patch Set 1: Build Successful (earlier: Build Failed)", drivers=acme)
    assert got[ACME][0] is True


@pytest.mark.parametrize("branch, day, expected", [
    ("stable/rocky", "2019-05-01", "Rocky"),
    ("stable/ROCKY", "2019-05-01", "Rocky"),
    ("unmaintained/rocky", "2019-05-01", "Rocky"),
    ("stable/stein", "2018-01-01", "Stein"),        # stable branch: date irrelevant
    ("stable/juno", "2018-01-01", None),            # unknown release: history only
    ("stable/queens", "2018-01-01", None),          # inactive release: history only
    ("master", "2018-02-25", None),                 # Queens' time, and Queens is inactive
    ("master", "2018-02-26", "Rocky"),              # Rocky's start day, 12:00 UTC
    ("master", "2018-02-27", "Rocky"),
    ("master", "2019-06-01", "Stein"),
    ("master", "2016-01-01", None),                 # before every release
    ("feature/foo", "2018-09-01", None),
    ("driverfixes/ocata", "2018-09-01", None),
])
def test_release_for(branch, day, expected):
    assert release_for(CAT, branch, ts(day)) == expected


# OpenStack as of late 2026: branches named by series since 2023.1.
SERIES = Catalog.from_data({"projects": [], "drivers": [], "releases": [
    {"id": "Zed", "start": "2022-Mar-28", "active": True},
    {"id": "Antelope", "start": "2022-Sep-19", "series": "2023.1", "active": True},
    {"id": "Bobcat", "start": "2023-Mar-27", "series": "2023.2"},
    {"id": "Epoxy", "start": "2024-Oct-07", "series": "2025.1", "active": True},
    {"id": "Flamingo", "start": "2025-Apr-07", "series": "2025.2", "active": True},
    {"id": "Hibiscus", "start": "2026-Apr-06", "series": "2026.2", "active": True},
]})


@pytest.mark.parametrize("branch, when, expected", [
    ("stable/2025.2", "2026-11-01 12:00", "Flamingo"),
    ("stable/flamingo", "2026-11-01 12:00", "Flamingo"),       # the name still speaks
    ("unmaintained/2023.1", "2026-11-01 12:00", "Antelope"),
    ("stable/2023.1", "2023-06-01 12:00", "Antelope"),
    ("unmaintained/zed", "2026-11-01 12:00", "Zed"),            # before series: by name
    ("stable/2023.2", "2026-11-01 12:00", None),                # Bobcat is inactive
    ("unmaintained/2023.2", "2026-11-01 12:00", None),
    ("stable/2024.2", "2026-11-01 12:00", None),                # no such release
    ("stable/2025", "2026-11-01 12:00", None),
    ("unmaintained/2025.1.1", "2026-11-01 12:00", None),
    ("master", "2026-04-06 00:00:00", "Hibiscus"),              # its cycle begins: 00:00 UTC
    ("master", "2026-04-06 14:00", "Hibiscus"),                 # the start day, afternoon
    ("master", "2026-04-05 23:59:59", "Flamingo"),              # the second before
    ("master", "2025-04-07 00:00:00", "Flamingo"),
])
def test_release_for_series_branches_and_start_instants(branch, when, expected):
    fmt = "%Y-%m-%d %H:%M:%S" if when.count(":") == 2 else "%Y-%m-%d %H:%M"
    moment = datetime.datetime.strptime(when, fmt).replace(tzinfo=datetime.timezone.utc)
    assert release_for(SERIES, branch, int(moment.timestamp())) == expected


def test_ci_state():
    now = ts("2018-10-01")
    assert ci_state(False, None, None, now) == "none"
    assert ci_state(True, None, None, now) == "unseen"
    assert ci_state(True, now - 3600, True, now) == "passing"
    assert ci_state(True, now - 3600, False, now) == "failing"
    assert ci_state(True, now - 31 * 86400, True, now) == "silent"
    assert ci_state(True, now - 31 * 86400, True, now, stale_after=40 * 86400) == "passing"


def test_the_current_result_never_depends_on_the_order_verdicts_came_in():
    t = ts("2018-10-01")
    stein = {"timestamp": t, "change": 7, "patchset": 1, "result": False}
    rocky = {"timestamp": t, "change": 9, "patchset": 2, "result": True}   # same second
    assert current([stein, rocky], None) is True and current([rocky, stein], None) is True
    older = dict(rocky, timestamp=t - 1)
    assert current([older, stein], (t + 5, True)) is False      # a verdict beats any vote
    assert current([], (t, False)) is False and current([], None) is None


def test_health_rates():
    now = ts("2018-10-01")
    day = 86400
    votes = [(now - 40 * day, True), (now - 3 * day, False), (now - 2 * day, True),
             (now - day, True)]
    h = health(reversed(votes), now, last_n=3)
    assert h["last_vote"] == now - day and h["last_result"] is True
    assert h["last_n"] == {"votes": 3, "pass_rate": 2 / 3, "flip_rate": 0.5}
    assert h["last_30d"]["votes"] == 3
    full = health(votes, now, last_n=10)["last_n"]
    assert full["flip_rate"] == 2 / 3 and full["pass_rate"] == 0.75
    empty = health([], now)
    assert empty["last_vote"] is None and empty["last_n"]["pass_rate"] is None


@given(st.text(alphabet="ab: -\tSUCESFAILüé中\x00", max_size=30),
       st.sampled_from([r"a\s+\S+\s*: SUCCESS", r"^- ü\w+", r"(?i)failure$", r"\bé+\b", "b",
                        r"^$|a", r"中.?$"]))
def test_matching_on_utf8_bytes_answers_as_search_does(line, pattern):
    compiled = compile_pattern(pattern)
    assert _found(compiled, line, line.encode("utf-8")) == (compiled.search(line) is not None)
    assert _found(re.compile(pattern), line, b"") == (re.search(pattern, line) is not None)
