"""yielding.pause(): a long loop in a greenlet lets a waiting socket be served
while it runs. gevent.sleep(0) did not: the hub ran its callbacks without
polling, so a full snapshot rebuild or a retention pass held every request
(and the stream) until it ended."""
import gevent
import gevent.socket

from driverlogd import retention
from driverlogd.catalog.model import Catalog
from driverlogd.metrics import Metrics
from driverlogd.recorder import Recorder
from driverlogd.store import Store
from driverlogd.web.snapshot import Snapshots
from tests.verdict_support import catalog as small_catalog
from tests.verdict_support import cloudbase_report, comment, ts
from tests.webfake import FakeReadModel, generate_data

NOW = ts("2018-10-01")


def progress_when_served(work, progress):
    """Run `work()` in this greenlet while a connection's request waits;
    returns `progress()` as it was when that request was served."""
    a, b = gevent.socket.socketpair()
    served = []

    def reader():                   # a connection the HTTP server waits on
        a.recv(1)
        served.append(progress())
    gevent.spawn(reader)
    gevent.sleep(0)                 # it waits now ...
    b.sendall(b"x")                 # ... and its request arrives
    work()
    gevent.sleep(0.01)
    a.close()
    b.close()
    assert served, "never served"
    return served[0]


def test_a_full_snapshot_rebuild_serves_a_waiting_socket_before_it_ends():
    n = 2000        # 7 pauses: fewer than the 50 callbacks after which gevent polls anyway
    rm = FakeReadModel(Catalog.from_data(generate_data(n)))
    built = [0]
    status = rm.driver_status

    def counting(key):
        built[0] += 1
        return status(key)
    rm.driver_status = counting
    assert progress_when_served(Snapshots(rm).current, lambda: built[0]) < n


def test_a_retention_pass_serves_a_waiting_socket_before_it_ends(tmp_path):
    metrics = Metrics()
    rec = Recorder(Store(str(tmp_path / "state.db")), small_catalog(), clock=lambda: NOW)
    for n in range(25):     # old reports on changes under review: the 5 oldest go
        rec.handle(comment(1000 + n, 1, "cinder_smb3_ci", cloudbase_report(1),
                           ts("2018-06-01") + n * 3600))

    def pruned():
        return metrics.registry.get_sample_value("driverlog_reports_pruned_total")
    assert progress_when_served(
        lambda: retention.prune(rec, 30, metrics, now=NOW, batch=1), pruned) < 5
    assert pruned() == 5
    rec.store.close()

