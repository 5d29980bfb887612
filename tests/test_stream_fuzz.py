"""Fuzz: every line the stream can deliver is an event, or a bad line that is
counted and skipped; nothing a line holds ends the SSH session, and valid
events mixed into the junk are still recorded. Bounded in time: a fixed
number of examples, each a few milliseconds (about 10 s in all)."""
import itertools
import threading
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from driverlogd.gerrit.lines import LineSplitter
from driverlogd.gerrit.stream import StreamClient
from driverlogd.metrics import BAD_EVENT_REASONS, EVENT_TYPES, Metrics
from driverlogd.recorder import Recorder
from driverlogd.store import Store
from tests.junk_events import dumps, event, lines
from tests.test_gerrit_stream import wait_for
from tests.verdict_support import ACME, catalog

QUICK = settings(max_examples=400, deadline=None, database=None,
                 suppress_health_check=list(HealthCheck))
OVER_SSH = settings(max_examples=150, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))


def bad_count(metrics):
    return sum(metrics.registry.get_sample_value("driverlog_bad_events_total", {"reason": r})
               for r in BAD_EVENT_REASONS if r != "future")


def test_every_line_is_an_event_or_a_counted_bad_line(tmp_path):
    metrics = Metrics()
    rec = Recorder(Store(":memory:"), catalog(), metrics=metrics)
    client = StreamClient(_config(), rec, metrics)
    splitter = LineSplitter(2 << 20)

    @QUICK
    @given(lines(5))
    def one(line):
        seen = dict.fromkeys(EVENT_TYPES, 0)
        before = bad_count(metrics)
        parts = list(splitter.feed(line.replace(b"\n", b" ") + b"\n"))
        assert len(parts) == 1
        got = client._event(parts[0], seen)
        counted = bad_count(metrics) - before
        if got is not None:
            assert counted == 0
            client._deliver([got])     # the recorder takes it: recorded, or counted
        else:
            blank = isinstance(parts[0], bytes) and not parts[0].strip(b" \t\r\n")
            assert counted == 1 or seen["other"] == 1 or blank, parts[0][:100]
    one()
    rec.store.close()


def _config():
    from driverlogd.gerrit.config import GerritConfig
    return GerritConfig(host="127.0.0.1", username="u", key_file="k", known_hosts="h")


def test_junk_over_ssh_leaves_the_session_up_and_valid_events_recorded(standin, tmp_path):
    metrics = Metrics()
    rec = Recorder(Store(str(tmp_path / "state.db")), catalog(), metrics=metrics)
    client = StreamClient(standin.config(max_line_bytes=2 << 20), rec, metrics)
    thread = threading.Thread(target=client.run, daemon=True)
    thread.start()
    numbers = itertools.count(1_000_000)
    sent = []

    def recorded():
        return {v["change"] for v in rec.reads.votes(ACME, limit=1 << 20)}

    @OVER_SSH
    @given(st.lists(lines(5), min_size=1, max_size=6), st.integers(0, 6))
    def burst(junk, where):
        good = next(numbers)
        now = int(time.time())
        valid = [dumps(event("change-merged", good, now)),
                 dumps(event("comment-added", good, now))]
        batch = junk[:where] + valid + junk[where:]
        # One write: junk and valid events reach the client in the same reads.
        standin.server.emit_raw(b"".join(x.replace(b"\n", b" ") + b"\n" for x in batch))
        sent.append(good)
        wait_for(lambda: good in recorded(), f"change {good} recorded")

    try:
        wait_for(lambda: client.state == "streaming", "streaming")
        started = time.monotonic()
        burst()
        took = time.monotonic() - started
        assert set(sent) <= recorded()
        assert metrics.registry.get_sample_value("driverlog_stream_connects_total") == 1
        assert metrics.registry.get_sample_value("driverlog_stream_disconnects_total") == 0
        assert client.state == "streaming"
        counts = {r: metrics.registry.get_sample_value("driverlog_bad_events_total",
                                                       {"reason": r}) for r in BAD_EVENT_REASONS}
        print(f"{len(sent)} bursts over SSH in {took:.1f} s; bad lines: {counts}")
    finally:
        client.stop()
        thread.join(10)
        rec.store.close()
