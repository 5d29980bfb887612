"""/metrics carries the series we define, without the `_created` ones."""
from prometheus_client import generate_latest

from driverlogd.metrics import Metrics


def test_no_created_series():
    m = Metrics()
    m.stream_connects.inc()
    text = generate_latest(m.registry).decode()
    assert "driverlog_stream_connects_total 1.0" in text
    assert "_created" not in text
