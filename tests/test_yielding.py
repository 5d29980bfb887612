"""yielding.pause(): a long loop in a greenlet lets a waiting socket be served
while it runs. gevent.sleep(0) did not: the hub ran its callbacks without
polling, so a full snapshot rebuild held every request until it ended."""
import gevent
import gevent.socket

from driverlogd.catalog.model import Catalog
from driverlogd.web.snapshot import Snapshots
from tests.webfake import FakeReadModel, generate_data

N = 2000        # 7 pauses: fewer than the 50 callbacks after which gevent polls anyway


def test_a_full_snapshot_rebuild_serves_a_waiting_socket_before_it_ends():
    rm = FakeReadModel(Catalog.from_data(generate_data(N)))
    built, served_after = [0], []
    status = rm.driver_status

    def counting(key):
        built[0] += 1
        return status(key)
    rm.driver_status = counting
    a, b = gevent.socket.socketpair()

    def reader():                   # a connection the HTTP server waits on
        a.recv(1)
        served_after.append(built[0])
    gevent.spawn(reader)
    gevent.sleep(0)                 # it waits now ...
    b.sendall(b"x")                 # ... and its request arrives
    Snapshots(rm).current()         # a full rebuild, in this greenlet
    gevent.sleep(0.01)
    assert served_after and served_after[0] < N, served_after
    a.close()
    b.close()
