"""Replicas that agree (issue 13): two daemons follow the same stand-in Gerrit
over SSH while the demo's traffic generator posts CI reports and merges. One
is left alone; the other is put through a dropped connection, lost events and
Gerrit's dropped-output, SIGKILL and a restart, and a restart from an empty
state dir. Once both are caught up they must serve the same truth: the export
(every verdict and state), every driver's votes, health and CI state."""
import difflib
import json
import shutil
import signal
import urllib.parse

from driverlogd.catalog.model import Catalog
from driverlogd.demo.traffic import SettableClock, Traffic
from tests.service_support import Daemon, small_catalog, wait_for

QUICK = ", backoff_initial: 0.05, backoff_max: 0.3"


class Clock(SettableClock):
    """The stand-in's time: a moment the history seeding sets, else real
    time less `behind` seconds, so that traffic can be older than the
    catch-up's overlap (5 minutes) without the test waiting for it."""
    behind = 0

    def __call__(self):
        return super().__call__() - (self.behind if self.at is None else 0)


def truth(daemon):
    """What a reader can see of every driver, generation stamps aside: the
    export as served and as written to a file, the list, each driver's votes."""
    export = daemon.json("/api/v1/export")
    export.pop("generation")
    written = json.loads((daemon.state / "merged.json").read_text())
    written.pop("generated_at")
    drivers = daemon.json("/api/v1/drivers")["drivers"]
    votes = {}
    for d in drivers:
        if d["state"] != "none":
            path = "/".join(urllib.parse.quote(d[k], safe="")
                            for k in ("project_id", "vendor", "name"))
            detail = daemon.json(f"/api/v1/drivers/{path}?limit=500")
            votes[path] = (detail["votes"], detail["health_30d"])
    return export, written, drivers, votes


def seen(daemon, line):
    return line in daemon.get("/metrics")[1].decode()


def differences(a, b):
    """Readable differences between two truths, for the failure message."""
    out = []
    for name, x, y in zip(("export", "export file", "drivers", "votes"), a, b):
        if x != y:
            xs = json.dumps(x, indent=1, sort_keys=True).splitlines()
            ys = json.dumps(y, indent=1, sort_keys=True).splitlines()
            out.append(f"{name}:\n" + "\n".join(list(difflib.unified_diff(xs, ys, lineterm=""))[:60]))
    return "\n".join(out)


def test_two_replicas_end_with_the_same_truth_whatever_faults_one_met(tmp_path, standin):
    s = standin.server
    clock = Clock()
    s.store.clock = clock
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    catalog = Catalog.from_data(small_catalog(tmp_path / "a" / "default_data.json"))
    shutil.copy(tmp_path / "a" / "default_data.json", tmp_path / "b" / "default_data.json")
    traffic = Traffic(s, catalog, seed=1)
    traffic.seed_history(clock, days=40, per_group=2)
    clock.behind = 3600         # what follows, until the empty restart, is an hour old

    def steps(n):
        for _ in range(n):
            traffic.step()

    alone = Daemon(tmp_path / "a", standin, catalog=tmp_path / "a" / "default_data.json",
                   username="replica-a", gerrit=QUICK).start()
    tried = Daemon(tmp_path / "b", standin, catalog=tmp_path / "b" / "default_data.json",
                   username="replica-b", gerrit=QUICK).start()
    steps(10)
    # A dropped connection, in the middle of the traffic.
    s.drop_streams(user="replica-b")
    steps(10)
    wait_for(lambda: seen(tried, "driverlog_stream_connects_total 2.0"), what="a reconnect")
    # Gerrit drops events for a slow consumer, then says so.
    s.lose_events(True, user="replica-b")
    steps(10)
    s.lose_events(False)
    s.emit_dropped_output(user="replica-b")
    steps(5)
    wait_for(lambda: seen(tried, 'driverlog_events_total{type="dropped-output"} 1.0'),
             what="the dropped-output")
    wait_for(lambda: seen(tried, "driverlog_catchup_runs_total 3.0"),   # connect, reconnect,
             what="the catch-up after dropped-output")                 # dropped-output
    assert seen(alone, "driverlog_stream_disconnects_total 0.0")    # left alone indeed
    # SIGKILL, traffic while it is down, restart.
    tried.stop(signal.SIGKILL)
    steps(10)
    tried.start()
    steps(5)
    # A restart from an empty state dir.
    tried.stop()
    shutil.rmtree(tried.state)
    clock.behind = 0            # an hour later: its catch-up reads only this hour
    steps(10)
    tried.start()
    steps(10)

    def agree():
        if not (alone.healthy() and tried.healthy()):
            return False
        for d in (alone, tried):
            if "driverlog_gerrit_questions_waiting 0.0" not in d.get("/metrics")[1].decode():
                return False
        a, b = truth(alone), truth(tried)
        agree.last = (a, b)
        return a == b
    agree.last = None
    try:
        wait_for(agree, 20, 0.2, what="the replicas to agree")
    except AssertionError:
        raise AssertionError("the replicas differ:\n" + (
            differences(*agree.last) if agree.last else "never both caught up")) from None
    export = agree.last[0][1]
    # Not vacuous: the traffic gave verdicts of both kinds and every CI state.
    results = {v["result"] for d in export["drivers"] for v in d["verdicts"].values()}
    assert results == {True, False}
    assert {"passing", "failing", "silent", "unseen", "none"} <= {
        d["ci_state"] for d in export["drivers"]}
