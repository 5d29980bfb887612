"""A bootstrap is done only once both its reads are: the merged changes (the
verdicts) and the changes not merged (the votes a replica that watched all
along holds). A daemon killed between the two reads them again at its restart; a
reload's bootstrap of new CI accounts is retried until it completes."""
import json
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


def hibiscus(daemon):
    driver = daemon.json(KEY)
    return next(r for r in driver["releases"] if r["id"] == "Hibiscus")["ci"]


def new_account(daemon, ci_id):
    """The vGPU driver's CI becomes `ci_id`, an account new to the catalog."""
    data = json.loads(daemon.catalog.read_text())
    for driver in data["drivers"]:
        if driver["name"] == "Acme GPU vGPU support":
            driver["ci"]["id"] = ci_id
    daemon.catalog.write_text(json.dumps(data, indent=2))


def test_ci_accounts_new_to_the_catalog_are_bootstrapped_whatever_cut_it_short(
        tmp_path, standin):
    s = standin.server
    s.store.clock = lambda: time.time() - 7200     # history, past any catch-up overlap
    for n, ci_id in enumerate(("acme-gpu-ci", "acme-gpu2-ci"), 1):
        number = s.create_change(NOVA)
        s.merge(number)
        s.add_comment(number, None, ci_id, PASS % n)
    s.store.clock = time.time
    small_catalog(tmp_path / "catalog.json")
    d = Daemon(tmp_path, standin, tmp_path / "catalog.json", gerrit=QUICK).start()
    assert hibiscus(d) is None

    # A reload's bootstrap of a new account, killed before it read anything.
    new_account(d, "acme-gpu-ci")
    s.hold_queries(True)
    d.send(signal.SIGHUP)
    wait_for(lambda: any("commentby:{acme-gpu-ci}" in c for c in s.commands),
             what="the reload's bootstrap of acme-gpu-ci")
    d.stop(signal.SIGKILL)
    s.hold_queries(False)
    d.start()
    wait_for(lambda: hibiscus(d), 15, what="acme-gpu-ci's verdict after the restart")

    # An account added while the daemon was stopped: no reload ever saw it.
    assert d.stop() == 0
    new_account(d, "acme-gpu2-ci")
    d.start()
    wait_for(lambda: (hibiscus(d) or {}).get("review_url", "").endswith(str(number)), 15,
             what="acme-gpu2-ci's verdict after the restart")
    assert d.stop() == 0


def test_a_reload_bootstrap_that_lost_a_query_is_retried_without_a_restart(tmp_path, standin):
    s = standin.server
    s.store.clock = lambda: time.time() - 7200     # history, past any catch-up overlap
    number = s.create_change(NOVA)
    s.merge(number)
    s.add_comment(number, None, "acme-gpu-ci", PASS % 1)
    s.store.clock = time.time
    small_catalog(tmp_path / "catalog.json")
    d = Daemon(tmp_path, standin, tmp_path / "catalog.json", gerrit=QUICK).start()
    new_account(d, "acme-gpu-ci")
    s.hold_queries(True)
    d.send(signal.SIGHUP)
    wait_for(lambda: any("commentby:{acme-gpu-ci}" in c for c in s.commands),
             what="the reload's bootstrap of acme-gpu-ci")
    s.drop_streams()                               # Gerrit goes away mid-query ...
    s.hold_queries(False)                          # ... and comes back
    wait_for(lambda: hibiscus(d), 15, what="acme-gpu-ci's verdict, with no restart")
    assert "new to the catalog incomplete; trying again" in d.log_text()
    assert d.stop() == 0
