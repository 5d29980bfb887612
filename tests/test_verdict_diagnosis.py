"""The pattern trial's rules (verdict/diagnosis.py) agree with the votes'; the
try endpoint's rate limit, over HTTP."""
import json

import pytest

from driverlogd.verdict.diagnosis import diagnose, excerpt, tally
from driverlogd.verdict.votes import votes_for
from driverlogd.web.trial import TokenBucket
from tests.verdict_support import ISCSI, catalog, cloudbase_report
from tests.webfake import FakeReadModel, ServerThread, request, sample_catalog

MESSAGES = [
    cloudbase_report(1), cloudbase_report(2, iscsi="FAILURE"),
    "Patch Set 3: Verified+1 cinder-iscsi-full-tempest http://x/3 : SUCCESS",  # old Gerrit
    "Patch Set 4:\n\nRecheck please", "not a report: cinder-iscsi-full-tempest x : SUCCESS",
    "Patch Set 5:\n\n- cinder-iscsi-full-tempest http://x/5 : FAILURE\n"
    "- cinder-iscsi-full-tempest http://x/5 : SUCCESS",
]


def test_tally_says_what_votes_for_would_record():
    cat = catalog()
    ci = cat.by_key[ISCSI].ci
    got = tally([{"message": m, "n": i} for i, m in enumerate(MESSAGES)],
                ci.success_re, ci.failure_re, examples=10)
    expected = {"success": [], "failure": [], "none": []}
    for i, m in enumerate(MESSAGES):
        votes = [v for v in votes_for([cat.by_key[ISCSI]], m, "master", 0, cat)]
        if m.startswith("Patch Set"):
            outcome = "none" if not votes else "success" if votes[0].passed else "failure"
            expected[outcome].append((i, votes[0].line if votes else None))
    assert {o: [(e["n"], e["line"]) for e in got["examples"][o]] for o in expected} == expected
    assert got["looked"] == 5 and (got["success"], got["failure"], got["none"]) == (2, 2, 1)
    assert all("message" not in e for o in expected for e in got["examples"][o])


def test_diagnose_and_excerpt():
    assert diagnose(False, 9, 9) == "no-ci"
    assert diagnose(True, 0, 0) == "no-reports"
    assert diagnose(True, 4, 0) == "patterns-match-nothing"
    assert diagnose(True, 4, 1) == "matching"
    assert excerpt("Patch Set 1: Verified-1\n\nBuild failed.\n\n- job x : FAILURE") == \
        "Verified-1 | Build failed. | - job x : FAILURE"
    assert len(excerpt("Patch Set 1:\n\n" + "y" * 1000)) == 300


def test_token_bucket_refills_at_its_rate():
    now = [0.0]
    bucket = TokenBucket(rate=2, burst=3, clock=lambda: now[0])
    assert [bucket.take() for _ in range(3)] == [0, 0, 0]
    assert bucket.take() == pytest.approx(0.5)
    now[0] = 0.5
    assert bucket.take() == 0 and bucket.take() > 0


def test_try_is_rate_limited_and_counts_refusals():
    with ServerThread(FakeReadModel(sample_catalog())) as srv:
        srv.app.trials = TokenBucket(rate=0.001, burst=1)
        path = "/api/v1/ci/acme-ci/try?success_pattern=ok&failure_pattern=bad"
        status, _, body = request(srv.url, path)
        assert status == 200 and json.loads(body)["looked"] == 0
        status, headers, body = request(srv.url, path)
        assert status == 429 and int(headers["retry-after"]) >= 1
        assert srv.metrics.registry.get_sample_value(
            "driverlog_http_bad_requests_total", {"reason": "rate_limited"}) == 1
        assert request(srv.url, "/api/v1/ci/acme-ci/nothing")[0] == 404

