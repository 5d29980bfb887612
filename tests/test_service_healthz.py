"""/healthz tells a load balancer whether a replica may take readers: 503 with
the reason until it is caught up (its bootstrap done, its stream up), 200
after; a reload that bootstraps new CI accounts keeps it in (issue 13)."""
import json
import re
import signal

import pytest

from tests.service_support import Daemon, wait_for

NOVA, ACME, VGPU = "openstack/nova", "Acme Compute", "Acme GPU vGPU support"
CI = "acme-compute-ci"
PASS = "Build succeeded.\n\n- acme-nova-vgpu https://ci.acme.example/logs/%d/ : SUCCESS in 41m"
QUICK = ", backoff_initial: 0.05, backoff_max: 0.5"


def health(daemon):
    status, body = daemon.get("/healthz")
    return status, json.loads(body)


def verdict(daemon):
    driver = daemon.driver(NOVA, ACME, VGPU)
    return next(r for r in driver["releases"] if r["id"] == "Hibiscus")["ci"]


def test_a_replica_is_unavailable_until_its_bootstrap_is_done_and_its_stream_up(
        tmp_path, standin):
    s = standin.server
    number = s.create_change(NOVA)                 # history for the bootstrap to read
    s.merge(number)
    s.add_comment(number, None, CI, PASS % 1)
    s.hold_queries(True)                           # a slow Gerrit: the bootstrap waits
    d = Daemon(tmp_path, standin, gerrit=QUICK).start(wait=False)
    try:
        status, doc = wait_for(lambda: (h := health(d))[1]["reason"].startswith(
            "bootstrapping: reading") and h, what="/healthz to say it is bootstrapping")
        assert (status, doc["status"]) == (503, "unavailable")
        assert verdict(d) is None                  # readers are served what it holds ...
        s.hold_queries(False)                      # ... and it comes in once caught up
        status, doc = wait_for(lambda: (h := health(d))[0] == 200 and h, what="200")
        assert doc == {"status": "ok", "reason": f"streaming events from 127.0.0.1:{s.port}"}
        assert verdict(d)["result"] is True        # with what the bootstrap read
        assert "driverlog_stream_up 1.0" in d.get("/metrics")[1].decode()
    finally:
        d.stop()


def test_a_reload_bootstrapping_new_ci_accounts_keeps_the_replica_in(tmp_path, standin):
    s = standin.server
    d = Daemon(tmp_path, standin, gerrit=QUICK).start()
    ready = health(d)
    data = json.loads(d.catalog.read_text())
    for driver in data["drivers"]:
        if driver["name"] == VGPU:
            driver["ci"]["id"] = "acme-gpu-ci"     # an account new to the catalog
    d.catalog.write_text(json.dumps(data, indent=2))
    s.hold_queries(True)
    d.send(signal.SIGHUP)
    status, doc = wait_for(lambda: "new to the catalog" in (h := health(d))[1]["reason"] and h,
                           what="/healthz to name the reload's bootstrap")
    assert status == 200 and doc["reason"].startswith(ready[1]["reason"])
    s.hold_queries(False)
    wait_for(lambda: health(d) == ready, what="the reason once the reload's bootstrap is done")
    assert d.stop() == 0


def not_merged(text):
    return "status:{merged}" not in text


@pytest.mark.parametrize("lost", ["merged", "not merged"])
def test_a_bootstrap_that_lost_a_query_is_retried_and_only_then_ready(tmp_path, standin, lost):
    # Either read's loss: the changes not merged hold votes a replica that
    # watched all along has, so their read is part of being caught up.
    s = standin.server
    s.hold_queries(True, only=not_merged if lost == "not merged" else None)
    d = Daemon(tmp_path, standin, gerrit=QUICK).start(wait=False)
    wait_for(lambda: [c for c in s.commands if c.startswith("gerrit query")
                      and (lost == "merged" or "status:{open}" in c)],
             what=f"the bootstrap's first query of {lost} changes")
    assert health(d)[0] == 503                     # held: not caught up
    s.drop_streams()                               # Gerrit goes away mid-query ...
    s.hold_queries(False)                          # ... and comes back
    # "incomplete" lasts one short backoff: read it from the log, not /healthz.
    status, doc = wait_for(lambda: (h := health(d))[0] == 200 and h, what="200 after a retry")
    log = d.log_text()
    summary = "bootstrap done" if lost == "merged" else "changes not merged"
    assert re.search(summary + r": .* [1-9]\d* failed", log), log[-2000:]
    assert log.count("bootstrap done:") >= 2
    assert d.stop() == 0
