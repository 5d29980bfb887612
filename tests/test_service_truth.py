"""Truth in today's OpenStack, end to end through the stand-in Gerrit over SSH:
series branches, the start-day boundary, inactive releases, and the cases
where the daemon must ask Gerrit instead of guessing (issue 9)."""
import calendar
import signal
import time

import pytest

from tests.service_support import Daemon, wait_for

NOVA, ACME, VGPU = "openstack/nova", "Acme Compute", "Acme GPU vGPU support"
CI = "acme-compute-ci"
PASS = "Build succeeded.\n\n- acme-nova-vgpu https://ci.acme.example/logs/%d/ : SUCCESS in 41m"
FAIL = "Build failed.\n\n- acme-nova-vgpu https://ci.acme.example/logs/%d/ : FAILURE in 12m"
KEY = "/api/v1/drivers/openstack%2Fnova/Acme%20Compute/Acme%20GPU%20vGPU%20support"


def cell(daemon, rid):
    driver = daemon.driver(NOVA, ACME, VGPU)
    return next(r for r in driver["releases"] if r["id"] == rid)["ci"]


def votes(daemon):
    return daemon.json(KEY)["votes"]


def metric(daemon, line):
    return line in daemon.get("/metrics")[1].decode()


def on_stream(daemon):
    wait_for(lambda: metric(daemon, "driverlog_stream_up 1.0"), what="the stream")


def asked(standin, number):
    """The targeted queries the daemon sent about change `number`."""
    return [c for c in standin.server.commands if f"change:{{{number}}}" in c]


@pytest.fixture
def daemon(tmp_path, standin):
    d = Daemon(tmp_path, standin)
    yield d
    d.stop()


def test_series_branches_unmaintained_and_inactive_releases(daemon, standin):
    s = standin.server
    daemon.start()
    on_stream(daemon)
    for n, branch in enumerate(("stable/2025.2", "unmaintained/2023.1", "stable/2024.1"), 1):
        number = s.create_change(NOVA, branch)
        s.merge(number)
        s.add_comment(number, None, CI, (PASS if n != 2 else FAIL) % n)
    assert wait_for(lambda: cell(daemon, "Flamingo"), what="Flamingo")["result"] is True
    assert wait_for(lambda: cell(daemon, "Antelope"), what="Antelope")["result"] is False
    # stable/2024.1 is Caracal, which is not active: history only.
    wait_for(lambda: len(votes(daemon)) == 3, what="three votes")
    assert sorted((v["branch"], v["release"]) for v in votes(daemon)) == [
        ("stable/2024.1", None), ("stable/2025.2", "Flamingo"),
        ("unmaintained/2023.1", "Antelope")]
    assert "Caracal" not in {r["id"] for r in daemon.driver(NOVA, ACME, VGPU)["releases"]
                             if r["ci"]}


def test_master_on_a_release_start_day_is_that_release(daemon, standin):
    s = standin.server
    daemon.start()
    on_stream(daemon)
    # Hibiscus starts 2026-Apr-06: 14:00 UTC that day is Hibiscus, the
    # second before midnight is Gazpacho.
    for n, when in enumerate(((2026, 4, 6, 14, 0, 0), (2026, 4, 5, 23, 59, 59)), 1):
        moment = calendar.timegm(when + (0, 0, 0))
        s.store.clock = lambda t=moment: t
        number = s.create_change(NOVA)
        s.merge(number)
        s.add_comment(number, None, CI, PASS % n)
    hibiscus = wait_for(lambda: cell(daemon, "Hibiscus"), what="Hibiscus")
    gazpacho = wait_for(lambda: cell(daemon, "Gazpacho"), what="Gazpacho")
    assert hibiscus["timestamp"] == calendar.timegm((2026, 4, 6, 14, 0, 0))
    assert gazpacho["timestamp"] == calendar.timegm((2026, 4, 5, 23, 59, 59))


def test_reports_from_before_the_daemon_watched_are_asked_for_when_the_change_merges(
        tmp_path, standin):
    # The bootstrap reads each CI's newest `bootstrap_limit` changes not merged
    # (unmerged.py); a report on an older one is asked for when it merges.
    daemon = Daemon(tmp_path, standin, extra="bootstrap_limit: 1\n")
    s = standin.server
    older, newer = [], []
    for ago, numbers in ((7200, older), (3600, newer)):   # past any catch-up overlap:
        s.store.clock = lambda ago=ago: time.time() - ago
        numbers.append(s.create_change(NOVA))         # under review, reported on ...
        s.add_comment(numbers[0], None, CI, PASS % 1)
    s.store.clock = time.time
    daemon.start()                              # ... before the daemon started
    on_stream(daemon)
    assert cell(daemon, "Hibiscus") is None     # neither is merged yet
    s.merge(older[0])           # its report was not read: only Gerrit's answer holds it
    v = wait_for(lambda: cell(daemon, "Hibiscus"), what="the verdict from the asked report")
    assert v["result"] is True and v["review_url"].endswith(str(older[0]))
    assert len(asked(standin, older[0])) == 1
    assert metric(daemon, 'driverlog_gerrit_questions_total{outcome="answered",'
                          'reason="before-watching"} 1.0')
    # A change opened while the daemon watches costs no question (times are
    # whole seconds: one past the second it began watching).
    time.sleep(1.1)
    other = s.create_change(NOVA)
    s.add_comment(other, None, CI, FAIL % 2)
    s.merge(other)
    wait_for(lambda: cell(daemon, "Hibiscus")["result"] is False, what="the newer verdict")
    assert asked(standin, other) == []


def test_a_late_report_on_an_old_patch_set_of_a_merged_change_is_not_the_verdict(
        daemon, standin):
    s = standin.server
    s.store.clock = lambda: time.time() - 3600  # an hour ago, past any catch-up overlap,
    number = s.create_change(NOVA)
    s.upload_patchset(number)
    s.merge(number)                             # merged as patch set 2, before the daemon
    s.store.clock = time.time
    daemon.start()
    on_stream(daemon)
    s.add_comment(number, 1, CI, PASS % 1)      # a slow CI, on patch set 1
    wait_for(lambda: asked(standin, number), what="the question")
    wait_for(lambda: metric(daemon, 'driverlog_gerrit_questions_total{outcome="answered",'
                                    'reason="merged-patchset"} 1.0'), what="the answer")
    assert [v["patchset"] for v in votes(daemon)] == [1] and cell(daemon, "Hibiscus") is None
    s.add_comment(number, 2, CI, FAIL % 2)      # now on the merged one: known, no question
    v = wait_for(lambda: cell(daemon, "Hibiscus"), what="the verdict on patch set 2")
    assert (v["result"], v["patchset"]) == (False, 2)
    assert len(asked(standin, number)) == 1


def test_a_question_waits_while_gerrit_is_unreachable(daemon, standin):
    s = standin.server
    daemon.start()
    on_stream(daemon)
    s.lose_events(True)                         # the merge never reaches the daemon
    number = s.create_change(NOVA)
    s.merge(number)
    s.lose_events(False)
    s.refuse_connections(True)                  # and Gerrit takes no new connection
    s.add_comment(number, None, CI, PASS % 1)
    wait_for(lambda: metric(daemon, 'driverlog_gerrit_questions_total{outcome="failed",'
                                    'reason="merged-patchset"} 1.0'), what="a failed attempt")
    assert metric(daemon, "driverlog_gerrit_questions_waiting 1.0")
    assert cell(daemon, "Hibiscus") is None
    s.refuse_connections(False)
    assert wait_for(lambda: cell(daemon, "Hibiscus"), 60, what="the answer")["result"] is True


def test_a_question_survives_a_restart(daemon, standin):
    s = standin.server
    daemon.start()
    on_stream(daemon)
    s.lose_events(True)
    number = s.create_change(NOVA)
    s.merge(number)
    s.lose_events(False)
    s.refuse_connections(True)
    s.add_comment(number, None, CI, PASS % 1)
    wait_for(lambda: metric(daemon, "driverlog_gerrit_questions_waiting 1.0"),
             what="the waiting question")
    daemon.stop(signal.SIGKILL)
    s.refuse_connections(False)
    daemon.start()
    assert wait_for(lambda: cell(daemon, "Hibiscus"), 60, what="the answer")["result"] is True


def busy_change(s, n, size=4 << 20):
    """A merged change whose query line runs to `size` bytes: many third-party
    CIs reporting on many patch sets, and one of them ours."""
    number = s.create_change(NOVA)
    for i in range(size // (64 << 10)):
        s.add_comment(number, None, f"other-ci-{i % 7}", f"Build log {i}\n" + "x" * (64 << 10))
    s.merge(number)
    s.add_comment(number, None, CI, PASS % n)
    time.sleep(1)         # reports a second apart: the newest is the verdict
    return number


def test_bootstrap_and_catch_up_read_a_change_of_several_megabytes(daemon, standin):
    s = standin.server
    first = busy_change(s, 1)
    daemon.start()
    v = wait_for(lambda: cell(daemon, "Hibiscus"), 60, what="the bootstrap's verdict")
    assert v["review_url"].endswith(str(first))
    on_stream(daemon)
    daemon.stop(signal.SIGKILL)
    second = busy_change(s, 2)
    s.add_comment(second, None, CI, FAIL % 3)   # the newest report of all: a failure
    assert len(s.store.change_json(s.store.changes[second], comments=True,
                                   patch_sets=True)["comments"]) > 60
    daemon.start()
    v = wait_for(lambda: (cell(daemon, "Hibiscus") or {}).get("result") is False and
                 cell(daemon, "Hibiscus"), 60, what="the catch-up's verdict")
    assert v["review_url"].endswith(str(second))
    assert not metric(daemon, 'driverlog_bad_events_total{reason="oversized"} 1.0')
