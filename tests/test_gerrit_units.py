"""Pure parts of the Gerrit client: quoting, line splitting, backoff, config."""
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from driverlogd.gerrit import quoting
from driverlogd.gerrit.backoff import Backoff
from driverlogd.gerrit.config import GerritConfig
from driverlogd.gerrit.lines import BadLine, LineSplitter, decode

# -- quoting ---------------------------------------------------------------


@pytest.mark.parametrize("value", ["openstack/nova", "stable/2024.1", "cisco-ci", "ci@example.org",
                                   "x/y_z.git", "A+B~c=d"])
def test_plain_names_pass(value):
    assert quoting.term("project", value) == f"project:{{{value}}}"


@pytest.mark.parametrize("value", ["a b", "a'b", 'a"b', "a}b", "a{b", "a;rm -rf /", "$(id)", "`id`",
                                   "a\\b", "a\nb", "", "-flag", "../etc", "é", "a|b", "a&b",
                                   "x" * 300, None, 5])
def test_unsafe_values_are_refused(value):
    with pytest.raises(quoting.UnsafeValue):
        quoting.term("project", value)


def test_operators_and_statuses_are_checked():
    with pytest.raises(quoting.UnsafeValue):
        quoting.term("message", "x")
    with pytest.raises(quoting.UnsafeValue):
        quoting.term("status", "draft")
    with pytest.raises(quoting.UnsafeValue):
        quoting.term("limit", "10")
    assert quoting.term("limit", 10) == "limit:10"
    assert quoting.term("status", "merged") == "status:{merged}"


def test_time_terms_are_utc():
    assert quoting.time_term("since", 1_700_000_000) == 'since:"2023-11-14 22:13:20"'
    with pytest.raises(quoting.UnsafeValue):
        quoting.time_term("since", "yesterday")


def test_command_quotes_what_is_not_bare():
    line = quoting.command(["gerrit", "query", "--format=JSON", 'since:"2023-11-14 22:13:20"'])
    assert line == "gerrit query --format=JSON 'since:\"2023-11-14 22:13:20\"'"
    with pytest.raises(quoting.UnsafeValue):
        quoting.command(["gerrit", "query", "x'; reboot; '"])


@given(st.text(max_size=40))
def test_anything_accepted_is_inert_on_a_shell_line(value):
    try:
        word = quoting.arg(quoting.term("project", value))
    except quoting.UnsafeValue:
        return
    assert word.count("'") == 2 and not set(value) & set("'\"\\$`;|&<>(){}\n\r\t ")


# -- lines -------------------------------------------------------------------


def test_lines_come_out_as_soon_as_complete():
    s = LineSplitter(100)
    assert list(s.feed(b'{"a":')) == []
    assert list(s.feed(b'1}\n{"b"')) == [b'{"a":1}']
    assert list(s.feed(b":2}\n")) == [b'{"b":2}']


def test_oversized_line_is_reported_once_and_skipped():
    s = LineSplitter(10)
    out = list(s.feed(b"x" * 8)) + list(s.feed(b"x" * 8)) + list(s.feed(b"x" * 50 + b"\nok\n"))
    assert [o.reason if isinstance(o, BadLine) else o for o in out] == ["oversized", b"ok"]
    out = list(LineSplitter(10).feed(b"y" * 11 + b"\nok\n"))
    assert [o.reason if isinstance(o, BadLine) else o for o in out] == ["oversized", b"ok"]


@given(st.lists(st.dictionaries(st.text(max_size=5), st.integers(), max_size=3), max_size=8),
       st.integers(min_value=1, max_value=50))
def test_any_chunking_gives_the_same_lines(objs, step):
    data = b"".join(json.dumps(o).encode() + b"\n" for o in objs)
    s = LineSplitter(1 << 20)
    out = []
    for i in range(0, len(data), step):
        out.extend(s.feed(data[i:i + step]))
    assert [json.loads(x) for x in out] == objs


def test_decode_reports_reasons():
    assert decode(b"\xff").reason == "invalid_utf8"
    assert decode(b"{").reason == "invalid_json"
    assert decode(b"   ") is None
    assert decode('{"a": "é"}'.encode()) == {"a": "é"}


# -- backoff and config --------------------------------------------------------


def test_backoff_is_capped_full_jitter_and_resets():
    seen = []
    b = Backoff(1.0, 8.0, rand=lambda lo, hi: seen.append((lo, hi)) or hi)
    delays = [b.next() for _ in range(6)]
    assert delays == [1, 2, 4, 8, 8, 8] and all(lo == 0 for lo, _ in seen)
    b.reset()
    assert b.next() == 1


def test_config_validates():
    base = dict(host="h", username="u", key_file="k", known_hosts="kh")
    assert GerritConfig(**base).port == 29418
    assert GerritConfig.from_mapping(dict(base, subscribe=["comment-added"])).subscribe == (
        "comment-added",)
    for bad in (dict(port=0), dict(subscribe=["x; rm"]), dict(keepalive_interval=0), dict(host="")):
        with pytest.raises(ValueError):
            GerritConfig(**dict(base, **bad))
    with pytest.raises(ValueError, match="unknown setting"):
        GerritConfig.from_mapping(dict(base, pasword="x"))


# -- metrics per read ---------------------------------------------------------------

@given(st.lists(st.tuples(st.sampled_from([0.0, 0.05, 0.2, 7.5, 1e5]), st.integers(1, 50)),
                max_size=6))
def test_observe_many_records_what_repeated_observe_does(observations):
    from prometheus_client import CollectorRegistry, Histogram

    from driverlogd.metrics import observe_many

    one, many = CollectorRegistry(), CollectorRegistry()
    h1 = Histogram("lag", "x", buckets=(0.05, 1, 10), registry=one)
    h2 = Histogram("lag", "x", buckets=(0.05, 1, 10), registry=many)
    for value, n in observations:
        for _ in range(n):
            h1.observe(value)
        observe_many(h2, value, n)
    for le in ("0.05", "1.0", "10.0", "+Inf"):
        assert one.get_sample_value("lag_bucket", {"le": le}) == \
            many.get_sample_value("lag_bucket", {"le": le})
    assert one.get_sample_value("lag_count") == many.get_sample_value("lag_count")
    # n * value rather than n additions: equal up to rounding
    assert one.get_sample_value("lag_sum") == pytest.approx(many.get_sample_value("lag_sum"))
