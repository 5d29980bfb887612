"""The stream's fast path: lines no driver cares about are screened before a
full parse and reach the recorder as Unused (their time moves the position),
while every bad line is still counted; what has arrived goes on in one batch."""
import json
import time

from driverlogd.gerrit import stream
from driverlogd.gerrit.events import CommentAdded, Unused
from driverlogd.gerrit.lines import BadLine, decode
from driverlogd.gerrit.stream import BATCH_BYTES, READ_BYTES, StreamClient, _arrived
from driverlogd.metrics import EVENT_TYPES, Metrics
from driverlogd.recorder import Recorder
from driverlogd.store import Store
from tests.junk_events import event
from tests.verdict_support import ACME, catalog


def _client():
    from driverlogd.gerrit.config import GerritConfig
    metrics = Metrics()
    rec = Recorder(Store(":memory:"), catalog(), metrics=metrics, position_every=0)
    config = GerritConfig(host="127.0.0.1", username="u", key_file="k", known_hosts="h")
    return StreamClient(config, rec, metrics), rec, metrics


def _bad(metrics, reason):
    return metrics.registry.get_sample_value("driverlog_bad_events_total", {"reason": reason})


def _line(obj) -> bytes:
    return json.dumps(obj).encode()


def test_lines_nobody_wants_are_screened_and_move_the_position():
    client, rec, _ = _client()
    now = int(time.time())
    human = dict(event("comment-added", 7, now - 5), author={"username": "someone"})
    other_repo = event("change-merged", 8, now - 4)
    other_repo["change"]["project"] = "openstack/unrelated"
    del other_repo["patchSet"]           # never read: its absence is no fault
    ci = event("comment-added", 9, now - 3)
    seen = dict.fromkeys(EVENT_TYPES, 0)
    got = [client._event(_line(o), seen) for o in (human, other_repo, ci)]
    assert got[0] == Unused("comment-added", now - 5)
    assert got[1] == Unused("change-merged", now - 4)
    assert isinstance(got[2], CommentAdded)
    assert seen == {"comment-added": 2, "change-merged": 1, "dropped-output": 0, "other": 0}
    client._deliver(got[:2])
    assert rec.position() == now - 4     # nothing recorded, the position moved
    assert rec.store.position() == now - 4
    client._deliver(got[2:])
    assert rec.position() == now - 3
    assert [v["change"] for v in rec.reads.votes(ACME, limit=10)] == [9]


def test_bad_lines_are_counted_with_the_screen_on():
    client, rec, metrics = _client()
    now = int(time.time())
    human = dict(event("comment-added", 7, now), author={"username": "someone"})
    cases = [
        (b"\xff\xfe{}", "invalid_utf8"),
        (b"{not json", "invalid_json"),
        (b"null", "malformed"),
        (b"[1, 2]", "malformed"),
        (_line({"eventCreatedOn": now}), "malformed"),                       # no type
        (_line(dict(human, eventCreatedOn="soon")), "malformed"),            # screened, bad time
        (_line(dict(human, eventCreatedOn=10 ** 40)), "malformed"),
        (_line(dict(human, change="cinder")), "malformed"),                  # no change object
    ]
    for line, reason in cases:
        before = _bad(metrics, reason)
        assert client._event(line, dict.fromkeys(EVENT_TYPES, 0)) is None, line
        assert _bad(metrics, reason) == before + 1, line
    assert rec.position() is None


def test_what_orjson_refuses_json_still_reads():
    # A lone surrogate (json.loads takes it, orjson does not): recorded, as before.
    client, rec, _ = _client()
    now = int(time.time())
    obj = event("comment-added", 11, now, comment="Patch Set 1: Build Successful\n\nX")
    line = _line(obj).replace(b"\\n\\nX", b"\\n\\n\\ud800")
    got = client._event(line, dict.fromkeys(EVENT_TYPES, 0))
    assert isinstance(got, CommentAdded) and got.comment.endswith("\ud800")
    client._deliver([got])
    assert [v["change"] for v in rec.reads.votes(ACME, limit=10)] == [11]
    assert decode(b"  \t ") is None
    assert isinstance(decode(b"NaN"), float)
    assert decode(b"1e400") == float("inf")
    assert isinstance(decode(b'{"a": [' * 2000 + b"]}" * 2000), BadLine)


class _Channel:
    """What _arrived reads of paramiko's Channel: parts already buffered."""

    def __init__(self, parts):
        self.parts = list(parts)

    def recv_ready(self):
        return bool(self.parts)

    def recv(self, n):
        part = self.parts.pop(0)
        if len(part) > n:       # as paramiko: at most n, the rest stays buffered
            self.parts.insert(0, part[n:])
        return part[:n]


def test_a_batch_takes_what_is_buffered_and_never_waits():
    chan = _Channel([b"b\n", b"c\n"])
    assert list(_arrived(chan, b"a\n")) == [b"a\n", b"b\n", b"c\n"]
    assert list(_arrived(_Channel([]), b"lone\n")) == [b"lone\n"]
    # Up to BATCH_BYTES in all, each read at most READ_BYTES; the rest waits.
    chan = _Channel([b"y" * READ_BYTES] * (BATCH_BYTES // READ_BYTES) + [b"z"])
    parts = list(_arrived(chan, b"x" * 10))
    assert sum(map(len, parts)) == BATCH_BYTES and chan.parts == [b"y" * 10, b"z"]


def test_each_part_is_parsed_before_the_next_is_read():
    chan = _Channel([b"b\n", b"c\n"])
    parts = _arrived(chan, b"a\n")
    assert next(parts) == b"a\n" and chan.parts == [b"b\n", b"c\n"]


def test_the_hub_polls_between_parts(monkeypatch):
    """Before each further part of a burst the hub polls its sockets (a
    timer, not a bare sleep(0)), so HTTP is answered while a burst is
    gathered; a lone event waits for no timer."""
    looks = []
    monkeypatch.setattr(stream, "pause", lambda: looks.append(1))
    chan = _Channel([b"b\n", b"c\n"])
    assert list(_arrived(chan, b"a\n")) == [b"a\n", b"b\n", b"c\n"]
    assert len(looks) == 2        # before each of the two further parts
    looks.clear()
    assert list(_arrived(_Channel([]), b"lone\n")) == [b"lone\n"] and not looks
