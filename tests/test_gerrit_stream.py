"""The stream client against the stand-in, over real SSH on loopback."""
import threading
import time

import pytest

from driverlogd.gerrit import stream
from driverlogd.gerrit.events import ChangeMerged, CommentAdded
from driverlogd.gerrit.stream import StreamClient
from driverlogd.metrics import Metrics
from driverlogd.standin import generate_key, write_known_hosts

WAIT = 40.0     # generous: tests wait for outcomes, they never time them


class RecordingSink:
    """Idempotent like the real engine: an event recorded twice counts once."""

    def __init__(self, fail_first=0):
        self.lock = threading.Lock()
        self.events, self.seen, self.handled = [], set(), 0
        self.fail_first = fail_first

    def handle(self, event):
        with self.lock:
            self.handled += 1
            if self.fail_first:
                self.fail_first -= 1
                raise RuntimeError("disk full")
            key = (event.type, event.change.number, event.patchset, event.created_on,
                   getattr(event, "comment", ""))
            if key not in self.seen:
                self.seen.add(key)
                self.events.append(event)

    def position(self):
        with self.lock:
            return max((e.created_on for e in self.events), default=None)

    def comments(self):
        with self.lock:
            return [e.comment for e in self.events if isinstance(e, CommentAdded)]


def wait_for(predicate, what, timeout=WAIT):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"gave up waiting for {what}")


@pytest.fixture
def client(standin):
    started = []

    def start(sink=None, **config):
        sink = sink or RecordingSink()
        metrics = Metrics()
        states = []
        c = StreamClient(standin.config(**config), sink, metrics,
                         on_state=lambda s, r: states.append((s, r)))
        c.metrics_, c.sink_, c.states_ = metrics, sink, states
        t = threading.Thread(target=c.run, daemon=True)
        t.start()
        started.append((c, t))
        return c

    yield start
    for c, t in started:
        c.stop()
        t.join(10)
        assert not t.is_alive(), "the stream client did not stop"


def metric(c, name, **labels):
    return c.metrics_.registry.get_sample_value(name, labels or None)


def test_subscribed_events_arrive_and_others_do_not(standin, client):
    c = client()
    wait_for(lambda: c.state == "streaming", "streaming")
    s = standin.server
    n = s.create_change("openstack/nova", "stable/2024.1")      # patchset-created: not subscribed
    s.add_comment(n, 1, "acme-ci", "Build succeeded.", approvals={"Verified": 1})
    s.abandon(s.create_change("openstack/nova"))                 # change-abandoned: not subscribed
    s.merge(n)
    wait_for(lambda: any(isinstance(e, ChangeMerged) for e in c.sink_.events), "the merge")
    kinds = [type(e) for e in c.sink_.events]
    assert kinds == [CommentAdded, ChangeMerged]
    comment = c.sink_.events[0]
    assert (comment.author, comment.patchset, comment.change.number) == ("acme-ci", 1, n)
    assert comment.change.branch == "stable/2024.1"
    assert comment.comment.startswith("Patch Set 1: Verified+1")
    assert metric(c, "driverlog_events_total", type="other") == 0
    assert metric(c, "driverlog_stream_up") == 1


def test_change_number_as_string_works(standin, client):
    c = client()
    wait_for(lambda: c.state == "streaming", "streaming")
    standin.server.emit_event({"type": "comment-added", "eventCreatedOn": 100,
                               "change": {"project": "p", "branch": "master", "number": "42",
                                          "url": "u", "status": "NEW"},
                               "patchSet": {"number": "3"}, "author": {"username": "ci"},
                               "comment": "Patch Set 3: hi"})
    wait_for(lambda: c.sink_.events, "the event")
    assert (c.sink_.events[0].change.number, c.sink_.events[0].patchset) == (42, 3)


def test_dropped_stream_reconnects_and_catch_up_recovers_the_gap(standin, client):
    c = client()
    s = standin.server
    wait_for(lambda: c.state == "streaming", "streaming")
    n = s.create_change("openstack/nova")
    s.add_comment(n, 1, "acme-ci", "first")
    wait_for(lambda: c.sink_.comments(), "the first comment")
    s.refuse_connections(True)
    s.drop_streams()
    s.add_comment(n, 1, "acme-ci", "while down")     # no stream is open to carry it
    s.merge(n)
    wait_for(lambda: metric(c, "driverlog_stream_connect_failures_total", reason="network") >= 1,
             "a refused reconnect")
    s.refuse_connections(False)
    wait_for(lambda: any("while down" in x for x in c.sink_.comments())
             and any(isinstance(e, ChangeMerged) for e in c.sink_.events), "the recovered events")
    assert metric(c, "driverlog_catchup_runs_total") >= 1
    assert metric(c, "driverlog_stream_disconnects_total") >= 1
    assert any(cmd.startswith("gerrit query") and "since:" in cmd for cmd in s.commands)


class BatchSink(RecordingSink):
    """Records each batch handed over, with the client's state then."""

    def __init__(self):
        super().__init__()
        self.client, self.batches = None, []

    def handle_batch(self, events):
        self.batches.append((self.client.state, len(events)))
        for event in events:
            self.handle(event)


def test_a_long_catch_up_commits_in_batches_and_lets_others_run_between(
        standin, client, monkeypatch):
    monkeypatch.setattr(stream, "CATCHUP_BATCH", 2)
    sink = BatchSink()
    pauses = []     # how many batches were in when the hub was let run
    monkeypatch.setattr(stream, "pause", lambda: pauses.append(len(sink.batches)))
    c = client(sink)
    sink.client = c
    s = standin.server
    wait_for(lambda: c.state == "streaming", "streaming")
    n = s.create_change("openstack/nova")
    s.add_comment(n, 1, "acme-ci", "first")
    wait_for(lambda: sink.comments(), "the first comment")
    s.refuse_connections(True)
    s.drop_streams()
    for k in range(5):
        s.add_comment(n, 1, "acme-ci", f"while down {k}")
    wait_for(lambda: metric(c, "driverlog_stream_connect_failures_total", reason="network") >= 1,
             "a refused reconnect")
    pauses.clear()
    s.refuse_connections(False)
    wait_for(lambda: sum("while down" in x for x in sink.comments()) == 5, "the recovered events")
    caught = [i for i, (state, _) in enumerate(sink.batches) if state == "catching-up"]
    assert len(caught) >= 3 and all(sink.batches[i][1] <= 2 for i in caught), sink.batches
    # Before each catch-up batch but the first, the hub ran.
    assert pauses[:len(caught) - 1] == caught[1:], (pauses, caught)


def test_silent_link_is_detected_and_replaced(standin, client):
    c = client(keepalive_interval=0.5, probe_timeout=1.0)
    s = standin.server
    wait_for(lambda: c.state == "streaming", "streaming")
    s.add_comment(s.create_change("openstack/nova"), 1, "acme-ci", "before")
    wait_for(lambda: c.sink_.comments(), "the first comment")
    connects = metric(c, "driverlog_stream_connects_total")
    s.go_silent()                          # the old connection stays open but says nothing
    s.add_comment(1, 1, "acme-ci", "during the silence")
    wait_for(lambda: metric(c, "driverlog_stream_connects_total") > connects, "a new connection")
    wait_for(lambda: any("silence" in x for x in c.sink_.comments()), "the comment sent meanwhile")
    assert any("no answer" in reason for _, reason in c.states_)


def test_dropped_output_triggers_a_catch_up(standin, client):
    c = client()
    s = standin.server
    wait_for(lambda: c.state == "streaming", "streaming")
    n = s.create_change("openstack/nova")
    s.add_comment(n, 1, "acme-ci", "seen")
    wait_for(lambda: c.sink_.comments(), "the first comment")
    runs = metric(c, "driverlog_catchup_runs_total")
    s.lose_events(True)
    s.add_comment(n, 1, "acme-ci", "lost by gerrit")
    s.lose_events(False)
    s.emit_dropped_output()
    wait_for(lambda: any("lost by gerrit" in x for x in c.sink_.comments()), "the lost comment")
    assert metric(c, "driverlog_catchup_runs_total") == runs + 1
    assert metric(c, "driverlog_events_total", type="dropped-output") == 1
    assert metric(c, "driverlog_stream_connects_total") == 1      # same connection throughout


def test_wrong_host_key_is_refused_and_nothing_accepted(standin, client, tmp_path):
    impostor = tmp_path / "impostor_key"
    generate_key(impostor)
    write_known_hosts(standin.known_hosts, "127.0.0.1", standin.server.port, impostor)
    c = client()
    wait_for(lambda: metric(c, "driverlog_stream_connect_failures_total", reason="host_key") >= 2,
             "repeated refusals")
    standin.server.add_comment(standin.server.create_change("p"), 1, "acme-ci", "evil")
    assert c.sink_.handled == 0
    assert c.state in ("backoff", "connecting")
    reason = next(r for s, r in c.states_ if s == "backoff")
    assert "HOST KEY MISMATCH" in reason and f"[127.0.0.1]:{standin.server.port}" in reason
    assert "ecdsa-sha2-nistp256" in reason and "SHA256:" in reason
    assert not any(cmd.startswith("gerrit") for cmd in standin.server.commands)


def test_unknown_host_is_refused(standin, client):
    standin.known_hosts.write_text("")
    c = client()
    wait_for(lambda: metric(c, "driverlog_stream_connect_failures_total", reason="host_key") >= 1,
             "a refusal")
    assert "not in" in c.last_error and "never added automatically" in c.state_reason


def test_auth_failure_is_reported_and_retried(standin, client, tmp_path):
    stranger = tmp_path / "stranger_key"
    generate_key(stranger)
    c = client(key_file=str(stranger))
    wait_for(lambda: metric(c, "driverlog_stream_connect_failures_total", reason="auth") >= 2,
             "repeated auth failures")
    assert "refused login as 'driverlog'" in c.last_error
    assert c.state in ("backoff", "connecting") and "refused login" in c.state_reason


def test_malformed_and_oversized_lines_are_counted_and_skipped(standin, client):
    c = client(max_line_bytes=4096)
    s = standin.server
    wait_for(lambda: c.state == "streaming", "streaming")
    s.emit_raw(b"{not json}\n")
    s.emit_raw(b'{"type": "comment-added", "eventCreatedOn": 5}\n')      # no change
    s.emit_raw(b"\xff\xfe\n")
    s.emit_raw(b'{"type":"comment-added","comment":"' + b"x" * 10000 + b'"}\n')
    s.emit_raw(b"[1, 2]\n")
    n = s.create_change("openstack/nova")
    s.add_comment(n, 1, "acme-ci", "still fine")
    wait_for(lambda: c.sink_.comments(), "the good comment")
    assert metric(c, "driverlog_bad_events_total", reason="invalid_json") == 1
    assert metric(c, "driverlog_bad_events_total", reason="invalid_utf8") == 1
    assert metric(c, "driverlog_bad_events_total", reason="oversized") == 1
    assert metric(c, "driverlog_bad_events_total", reason="malformed") == 2
    assert c.state == "streaming" and metric(c, "driverlog_stream_connects_total") == 1


def test_event_without_created_on_is_stamped(standin, client):
    c = client()
    wait_for(lambda: c.state == "streaming", "streaming")
    before = int(time.time())
    standin.server.emit_event({"type": "change-merged", "patchSet": {"number": 1},
                               "change": {"project": "p", "branch": "master", "number": 7}})
    wait_for(lambda: c.sink_.events, "the event")
    assert c.sink_.events[0].created_on >= before


def test_a_failing_sink_gets_the_event_again(standin, client):
    sink = RecordingSink()
    c = client(sink)
    s = standin.server
    wait_for(lambda: c.state == "streaming", "streaming")
    n = s.create_change("p")
    s.add_comment(n, 1, "acme-ci", "first")
    wait_for(lambda: sink.comments(), "the first comment")
    sink.fail_first = 1                # the store fails once: the event is not recorded
    s.add_comment(n, 1, "acme-ci", "second")
    wait_for(lambda: any("second" in x for x in sink.comments()), "the comment, redelivered")
    assert any("processing an event failed" in r for _, r in c.states_)


def test_connections_are_closed_after_many_reconnects(standin, client):
    c = client()
    s = standin.server
    for expected in range(1, 4):
        wait_for(lambda n=expected: metric(c, "driverlog_stream_connects_total") == n, "streaming")
        s.drop_streams()
    wait_for(lambda: metric(c, "driverlog_stream_connects_total") == 4, "streaming")
    c.stop()
    wait_for(lambda: s.open_connections() == 0, "every connection closed")


def test_gerrit_restart_with_same_host_key_loses_nothing(standin, client):
    c = client()
    s = standin.server
    wait_for(lambda: c.state == "streaming", "streaming")
    n = s.create_change("openstack/nova")
    s.add_comment(n, 1, "acme-ci", "before the restart")
    wait_for(lambda: c.sink_.comments(), "the first comment")
    s.stop()
    s.add_comment(n, 1, "acme-ci", "during the restart")   # Gerrit's index still has it
    s.start()
    wait_for(lambda: any("during" in x for x in c.sink_.comments()), "the recovered comment")
