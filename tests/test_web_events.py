"""/api/v1/events over a real socket: changes pushed as rows, replay, reload."""
import http.client
import json

import pytest

from driverlogd.catalog.model import Catalog
from tests.webfake import FakeReadModel, ServerThread, generate_data, get_json, sample_catalog

ACME = ("openstack/cinder", "Acme", "Acme iSCSI")
BB = ("openstack/cinder", "Block/Bridge", "BB iSCSI")
ZETA = ("openstack/neutron", "Zeta Networks", "Zeta ML2")


class Events:
    """An open event stream, read event by event: (id, kind, data)."""

    def __init__(self, srv, path="/api/v1/events", headers=None):
        self.conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
        self.conn.request("GET", path, headers=headers or {})
        self.resp = self.conn.getresponse()

    def next(self, skip=("generation",)):
        while True:
            fields = {}
            for line in iter(self.resp.readline, b"\n"):
                assert line, "the stream ended"
                name, _, value = line.decode().rstrip("\n").partition(": ")
                fields[name] = value
            if "event" in fields and fields["event"] not in skip:
                return fields.get("id"), fields["event"], json.loads(fields["data"])

    def close(self):
        self.conn.close()


@pytest.fixture()
def rm():
    m = FakeReadModel(sample_catalog())
    m.set_verdict(ACME, "Kilo", True, "Build succeeded")
    return m


@pytest.fixture()
def srv(rm):
    with ServerThread(rm) as s:
        yield s


def row(doc, key):
    return next(d for d in doc["drivers"] if (d["project_id"], d["vendor"], d["name"]) == key)


def test_a_change_is_pushed_as_the_changed_row(srv, rm):
    ev = Events(srv)
    assert ev.resp.getheader("content-type").startswith("text/event-stream")
    _, kind, first = ev.next(skip=())
    assert kind == "generation" and first["generation"] == rm.generation
    rm.set_verdict(BB, "Liberty", False, "Build failed")
    _, kind, data = ev.next()
    assert kind == "drivers"
    assert data["since"] == first["generation"] and data["generation"] == rm.generation
    assert [d["name"] for d in data["drivers"]] == ["BB iSCSI"]
    # The very item /api/v1/drivers lists, so the dashboard treats both alike.
    assert data["drivers"][0] == row(get_json(srv.url, "/api/v1/drivers")[1], BB)
    assert data["drivers"][0]["state"] == "failing"
    # The compatible `generation` event follows.
    assert ev.next(skip=())[1:] == ("generation", {"generation": rm.generation})
    ev.close()


def test_since_and_last_event_id_replay_what_was_missed(srv, rm):
    listed = get_json(srv.url, "/api/v1/drivers")[1]["generation"]
    rm.set_verdict(BB, "Liberty", False, "Build failed")
    rm.set_verdict(ZETA, "Kilo", True, "Build succeeded")
    ev = Events(srv, "/api/v1/events?since=%d" % listed)
    last_id, kind, data = ev.next()
    assert kind == "drivers" and data["since"] == listed
    assert sorted(d["name"] for d in data["drivers"]) == ["BB iSCSI", "Zeta ML2"]
    ev.close()
    # Reconnecting with the last id replays only what came after it.
    rm.set_verdict(ACME, "Liberty", False, "Build failed")
    ev = Events(srv, "/api/v1/events?since=%d" % listed, {"Last-Event-ID": last_id})
    _, kind, data = ev.next()
    assert kind == "drivers" and [d["name"] for d in data["drivers"]] == ["Acme iSCSI"]
    ev.close()


def test_a_gap_that_cannot_be_replayed_is_a_reload(srv, rm):
    # An id from another process (a restarted daemon counts from 1 again).
    ev = Events(srv, headers={"Last-Event-ID": "ffffff.1"})
    _, kind, data = ev.next()
    assert kind == "reload" and data["generation"] == rm.generation
    ev.close()
    ev = Events(srv, "/api/v1/events?since=%d" % (rm.generation + 5))
    assert ev.next()[1] == "reload"
    ev.close()
    # A catalog reload: which drivers changed is not known.
    ev = Events(srv, "/api/v1/events?since=%d" % rm.generation)
    rm.replace_catalog(sample_catalog())
    assert ev.next()[1] == "reload"
    ev.close()


def test_too_many_changed_rows_are_a_reload_not_a_backlog():
    from driverlogd.web.rowfeed import MAX_ROWS
    rm = FakeReadModel(Catalog.from_data(generate_data(MAX_ROWS + 10)))
    with ServerThread(rm) as srv:
        since = rm.generation
        for d in rm.catalog.drivers[:MAX_ROWS + 1]:
            rm.set_state(d.key, "failing")
        # A client that was away meanwhile gets one small event, not 501 rows.
        ev = Events(srv, "/api/v1/events?since=%d" % since)
        _, kind, data = ev.next()
        assert kind == "reload" and "501 drivers changed" in data["reason"]
        ev.close()


def test_since_must_be_a_generation(srv):
    for bad in ("-1", "x", "1.5", "%D9%A3"):     # the last: an Arabic-Indic digit
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
        conn.request("GET", "/api/v1/events?since=" + bad)
        r = conn.getresponse()
        assert r.status == 400 and b"since" in r.read()
        conn.close()
