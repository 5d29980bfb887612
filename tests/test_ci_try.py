"""Patterns tried against reality: the try endpoint, the driver's diagnosis and
`driverlog-gate --against`, on reports a real daemon recorded from the Gerrit
stand-in over SSH. One daemon for the file (starting one is most of its time)."""
import json
import pathlib
import subprocess
import sys
import urllib.parse

import pytest

from driverlogd.standin import StandIn, generate_key, write_known_hosts
from tests import processes
from tests.conftest import RunningStandIn
from tests.service_support import SAMPLE, Daemon, wait_for

NOVA = "openstack/nova"
ACME = "acme-compute-ci"
OLD_JOB = "Build succeeded.\n\n- acme-nova-vgpu https://ci.acme.example/logs/%d/ : SUCCESS in 41m"
# The CI renamed its job: the catalog's patterns match none of these.
NEW_JOB = "Build succeeded.\n\n- acme-gpu-tempest https://ci.acme.example/logs/%d/ : SUCCESS in 40m"
TIDE = "Build failed.\n\n- tidewater-hci-smoke https://ci.tide.example/%d/ : FAILURE in 3m"
ACME_URL = "/api/v1/drivers/openstack%2Fnova/Acme%20Compute/Acme%20GPU%20vGPU%20support"
TIDE_URL = "/api/v1/drivers/openstack%2Fnova/Tidewater/Tidewater%20hyperconverged%20driver"
GATE = pathlib.Path(sys.executable).with_name("driverlog-gate")


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("try")
    host_key, client_key = tmp / "standin_host_key", tmp / "driverlog_key"
    generate_key(host_key)
    server = StandIn(str(host_key), [generate_key(client_key)], port=0).start()
    write_known_hosts(tmp / "known_hosts", "127.0.0.1", server.port, host_key)
    d = Daemon(tmp, RunningStandIn(server, host_key, client_key, tmp / "known_hosts"))
    try:
        d.start()
        # This file's daemon outlives each test (conftest reaps per test); killed below.
        Daemon.started.remove(d.proc)
        for n, text in enumerate([OLD_JOB] * 2 + [NEW_JOB] * 6):
            number = server.create_change(NOVA)
            server.merge(number)
            server.add_comment(number, None, ACME, text % n)
        for n in range(2):
            server.add_comment(server.create_change(NOVA), None, "tidewater-ci", TIDE % n)
        # Waited for through the diagnosis: the try endpoint is rate-limited.
        wait_for(lambda: d.json(ACME_URL)["diagnosis"]["reports"] == 8
                 and d.json(TIDE_URL)["diagnosis"]["reports"] == 2,
                 interval=0.2, what="the reports to be recorded")
        yield d
    finally:
        if d.proc is not None:
            processes.kill_group(d.proc)
        server.stop()


def trial(d, success, failure, account=ACME, repo=NOVA):
    query = urllib.parse.urlencode({"success_pattern": success, "failure_pattern": failure,
                                    "repo": repo})
    return d.json(f"/api/v1/ci/{account}/try?{query}")


def test_try_judges_stored_reports_as_the_verdict_rules_do(daemon):
    got = trial(daemon, r"acme-nova-vgpu\s+\S+\s*: SUCCESS", r"acme-nova-vgpu\s+\S+\s*: FAILURE")
    assert (got["looked"], got["success"], got["failure"], got["none"]) == (8, 2, 0, 6)
    ok = got["examples"]["success"][0]
    assert ok["line"].startswith("- acme-nova-vgpu https://ci.acme.example/logs/")
    assert ok["line"].endswith(": SUCCESS in 41m")
    assert ok["review_url"].startswith("http") and ok["project"] == NOVA
    missed = got["examples"]["none"]
    assert len(missed) == 3 and missed[0]["line"] is None
    assert "acme-gpu-tempest" in missed[0]["excerpt"]
    # The renamed job's pattern finds the new reports; a failure pattern the
    # failures (none here).
    fixed = trial(daemon, r"acme-gpu-tempest\s+\S+\s*: SUCCESS", "acme-gpu-tempest.*FAILURE")
    assert (fixed["success"], fixed["none"]) == (6, 2)
    # Another repository holds none of them; no repo means all of the account's.
    assert trial(daemon, "SUCCESS", "FAILURE", repo="openstack/cinder")["looked"] == 0
    assert daemon.json("/api/v1/ci/acme-compute-ci/try?success_pattern=SUCCESS&"
                       "failure_pattern=FAILURE")["looked"] == 8


def test_a_pattern_re2_refuses_is_a_400_with_its_message(daemon):
    status, body = daemon.get("/api/v1/ci/acme-compute-ci/try?" + urllib.parse.urlencode(
        {"success_pattern": "(?=SUCCESS)x", "failure_pattern": "FAILURE"}))
    assert status == 400
    message = json.loads(body)["error"]["message"]
    assert message.startswith("success_pattern: RE2 does not support lookaround")
    assert daemon.get("/api/v1/ci/acme-compute-ci/try?success_pattern=x")[0] == 400


def test_the_diagnosis_tells_patterns_matching_nothing_from_no_result(daemon):
    detail = daemon.json(TIDE_URL)
    assert detail["state"] == "unseen"
    diag = detail["diagnosis"]
    assert diag["reason"] == "patterns-match-nothing"
    assert (diag["reports"], diag["matched"]) == (2, 0)
    assert "tidewater-hci-smoke" in diag["unmatched"][0]["excerpt"]
    acme = daemon.json(ACME_URL)["diagnosis"]
    assert (acme["reason"], acme["reports"], acme["matched"]) == ("matching", 8, 2)


def _proposed(tmp_path, patterns):
    """The sample catalog with some drivers' CI patterns replaced:
    {ci id: (success, failure)}."""
    doc = json.loads(SAMPLE.read_text())
    for d in doc["drivers"]:
        if d.get("ci", {}).get("id") in patterns:
            d["ci"]["success_pattern"], d["ci"]["failure_pattern"] = patterns[d["ci"]["id"]]
    path = tmp_path / "proposed.json"
    path.write_text(json.dumps(doc, indent=4))
    return path


def gate(path, url):
    return subprocess.run([str(GATE), str(path), "--base", str(SAMPLE), "--against", url],
                          capture_output=True, text=True, timeout=60)


def test_gate_against_refuses_a_change_that_breaks_a_pattern(daemon, tmp_path):
    broken = _proposed(tmp_path, {ACME: (r"acme-nova-gpu\s+\S+\s*: SUCCESS",
                                         r"acme-nova-gpu\s+\S+\s*: FAILURE")})
    proc = gate(broken, f"http://127.0.0.1:{daemon.port}")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    line = next(x for x in proc.stdout.splitlines() if "matches none" in x)
    assert line.startswith(f"{broken}:")
    assert ": $.drivers[" in line and "].ci.success_pattern: matches none of acme-compute-ci's " \
        "last 8 report(s) on openstack/nova" in line
    assert '(e.g. "Build succeeded. | - acme-' in line
    row = int(line.split(":")[1])
    assert "success_pattern" in broken.read_text().splitlines()[row - 1]


def test_gate_against_passes_the_fix_and_notes_what_it_cannot_judge(daemon, tmp_path):
    fixed = _proposed(tmp_path, {
        ACME: (r"acme-(nova-vgpu|gpu-tempest)\s+\S+\s*: SUCCESS",
               r"acme-(nova-vgpu|gpu-tempest)\s+\S+\s*: FAILURE"),
        # Two reports only, matched by neither: a note, not a problem.
        "tidewater-ci": (r"tidewater-hci-full2\s+\S+\s*: SUCCESS",
                         r"tidewater-hci-full2\s+\S+\s*: FAILURE")})
    proc = gate(fixed, f"http://127.0.0.1:{daemon.port}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "matches none of tidewater-ci's last 2 report(s)" in proc.stderr
    assert "fewer than 5 reports" in proc.stderr
    # No daemon there: said, and the catalog judged as usual.
    down = gate(fixed, "http://127.0.0.1:9")
    assert down.returncode == 0, down.stdout + down.stderr
    assert "cannot ask driverlogd" in down.stderr and ": valid:" in down.stdout
