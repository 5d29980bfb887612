"""A Gerrit with a wrong clock cannot poison the stream position: units of
the clamp, the recorder's use of it, and the whole scenario of issue 10 over
real SSH from the stand-in, into a real SQLite store."""
import logging
import math
import threading
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from driverlogd.gerrit import position, quoting
from driverlogd.gerrit.stream import StreamClient
from driverlogd.metrics import Metrics
from driverlogd.recorder import Recorder
from driverlogd.store import Store
from tests.test_gerrit_stream import wait_for
from tests.verdict_support import ACME, CINDER, catalog, comment, merged

NOW = 1_800_000_000
YEAR_2100 = 4_102_444_800


def test_the_clamp():
    assert position.clamp(None, NOW) is None
    assert position.clamp(NOW - 5, NOW, 300) == NOW - 5
    assert position.clamp(NOW + 300, NOW, 300) == NOW + 300
    assert position.clamp(YEAR_2100, NOW, 300) == NOW + 300
    assert position.is_future(NOW + 301, NOW, 300) and not position.is_future(NOW + 300, NOW, 300)
    # A catch-up never starts after our now, and goes back by the larger of overlap and skew.
    assert position.catchup_start(NOW + 300, NOW, 300, 300) == NOW - 300
    assert position.catchup_start(NOW - 10, NOW, 60, 600) == NOW - 610
    assert position.catchup_start(5, NOW, 300, 300) == 0


@given(st.one_of(st.integers(), st.floats(allow_nan=True, allow_infinity=True)),
       st.sampled_from(["since", "after", "before", "until"]))
def test_any_number_makes_a_time_term(value, operator):
    term = quoting.time_term(operator, value)
    assert term.startswith(operator + ':"') and len(term) == len(operator) + 22
    quoting.arg(term)     # and it can go on a command line


def test_huge_positions_make_the_last_second_of_9999():
    for value in (2 ** 40, 2 ** 63, 10 ** 400, math.inf):
        assert quoting.time_term("since", value) == 'since:"9999-12-31 23:59:59"'
    assert quoting.time_term("since", math.nan) == 'since:"1970-01-01 00:00:00"'


def test_future_event_is_recorded_but_the_position_holds():
    rec = Recorder(Store(":memory:"), catalog(), clock=lambda: NOW)
    rec.handle(merged(1, 1, NOW - 100))
    rec.handle(comment(1, 1, "acme-ci", "Patch Set 1: Build Successful", YEAR_2100,
                       status="MERGED"))
    assert rec.reads.verdicts(ACME)["Stein"]["timestamp"] == YEAR_2100     # its verdict counts
    assert rec.position() == NOW + position.DEFAULT_MAX_CLOCK_SKEW
    assert rec.store.position() == NOW + position.DEFAULT_MAX_CLOCK_SKEW
    rec.mark_position(YEAR_2100)
    assert rec.position() == NOW + position.DEFAULT_MAX_CLOCK_SKEW


def test_a_stored_future_position_is_clamped_at_start_and_said(tmp_path, caplog):
    path = str(tmp_path / "s.db")
    store = Store(path)
    with store.transaction():
        store.advance_position(2 ** 40)      # what an older version let in
    store.close()
    with caplog.at_level(logging.WARNING):
        rec = Recorder(Store(path), catalog(), clock=lambda: NOW, max_clock_skew=60)
    assert rec.position() == NOW + 60
    assert any("in the future" in r.getMessage() for r in caplog.records)


@pytest.fixture
def follow(standin, tmp_path):
    """The stream client feeding a real recorder over a real store."""
    running = []

    def start(**config):
        metrics = Metrics()
        rec = Recorder(Store(str(tmp_path / "state.db")), catalog(), metrics=metrics)
        client = StreamClient(standin.config(**config), rec, metrics)
        thread = threading.Thread(target=client.run, daemon=True)
        thread.start()
        running.append((client, thread, rec))
        wait_for(lambda: client.state == "streaming", "streaming")
        return client, rec, metrics
    yield start
    for client, thread, rec in running:
        client.stop()
        thread.join(10)
        rec.store.close()


def bad(metrics, reason):
    return metrics.registry.get_sample_value("driverlog_bad_events_total", {"reason": reason})


def test_wrong_gerrit_clock_loses_nothing_posted_while_the_stream_was_down(standin, follow,
                                                                           caplog):
    s = standin.server
    client, rec, metrics = follow()
    s.store.clock = lambda: YEAR_2100      # Gerrit's clock is wrong for a while
    n = s.create_change(CINDER)
    s.merge(n)
    with caplog.at_level(logging.WARNING, "driverlogd.gerrit.stream"):
        for _ in range(3):
            s.add_comment(n, 1, "acme-ci", "Build Successful")
        wait_for(lambda: bad(metrics, "future") == 4, "the merge and three reports counted")
    assert rec.reads.verdicts(ACME)["Stein"]["timestamp"] == YEAR_2100     # recorded, and it counts
    assert rec.position() <= time.time() + position.DEFAULT_MAX_CLOCK_SKEW
    said = [r for r in caplog.records if "in the future" in r.getMessage()]
    assert len(said) == 1, "one line for the burst"
    assert metrics.registry.get_sample_value("driverlog_last_event_timestamp_seconds") \
        <= time.time() + position.DEFAULT_MAX_CLOCK_SKEW

    s.store.clock = time.time              # fixed; then the stream goes down
    s.refuse_connections(True)
    s.drop_streams()
    m = s.create_change(CINDER)
    s.merge(m)
    s.add_comment(m, 1, "acme-ci", "Build Failed")      # no stream carries it
    wait_for(lambda: client.state != "streaming", "the stream down")
    s.refuse_connections(False)
    wait_for(lambda: any(v["change"] == m for v in rec.reads.votes(ACME)), "the report made meanwhile")
    assert bad(metrics, "malformed") == 0


def test_an_os_error_on_a_live_link_is_not_called_a_lost_connection(standin, follow, caplog):
    caplog.set_level(logging.WARNING, "driverlogd.gerrit.stream")
    client, rec, metrics = follow()

    def broken(event):
        raise OSError(75, "Value too large for defined data type")
    rec.handle = broken
    rec.handle_batch = broken
    s = standin.server
    s.add_comment(s.create_change(CINDER), 1, "acme-ci", "Build Successful")
    # The reason is logged (last_error is reset as soon as it reconnects).
    wait_for(lambda: any("OSError on a live connection" in r.getMessage()
                         for r in caplog.records), "the failure, said as it is")
    assert not any("lost" in r.getMessage() for r in caplog.records)
