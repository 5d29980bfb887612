"""A bootstrap is done only once both its reads are: the merged changes (the
verdicts) and the changes not merged (the votes a replica that watched all
along holds). A daemon killed between the two reads them again at its restart."""
import signal
import time

from tests.service_support import Daemon, small_catalog, wait_for

NOVA, CI = "openstack/nova", "acme-compute-ci"
PASS = "Build succeeded.\n\n- acme-nova-vgpu https://ci.acme.example/logs/%d/ : SUCCESS in 41m"
KEY = "/api/v1/drivers/openstack%2Fnova/Acme%20Compute/Acme%20GPU%20vGPU%20support"
QUICK = ", backoff_initial: 0.05, backoff_max: 0.5"


def not_merged(text):
    return "status:{merged}" not in text


def voted_changes(daemon):
    return sorted(v["change"] for v in daemon.json(KEY)["votes"])


def test_a_daemon_killed_before_the_changes_not_merged_are_read_reads_them_at_restart(
        tmp_path, standin):
    s = standin.server
    # Reported on two hours ago and still under review: past any catch-up
    # overlap, so only the bootstrap's read of changes not merged finds it.
    s.store.clock = lambda: time.time() - 7200
    under_review = s.create_change(NOVA)
    s.add_comment(under_review, None, CI, PASS % 1)
    s.store.clock = time.time
    merged = s.create_change(NOVA)
    s.merge(merged)
    s.add_comment(merged, None, CI, PASS % 2)
    small_catalog(tmp_path / "catalog.json")
    d = Daemon(tmp_path, standin, tmp_path / "catalog.json", gerrit=QUICK)

    s.hold_queries(True, only=not_merged)       # the merged read goes through ...
    d.start(wait=False)
    wait_for(lambda: any("status:{open}" in c for c in s.commands),
             what="the read of changes not merged")      # ... this one waits
    assert voted_changes(d) == [merged]
    d.stop(signal.SIGKILL)

    s.hold_queries(False)
    d.start()                                   # healthy: its bootstrap is done
    assert voted_changes(d) == sorted([merged, under_review])
    assert d.stop() == 0
