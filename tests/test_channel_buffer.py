"""The channel buffer behaves as paramiko's own, and the channels we open use it."""
import random
import tracemalloc

import pytest
from paramiko.buffered_pipe import BufferedPipe, PipeTimeout

from driverlogd.gerrit.channel_buffer import ChannelBuffer
from driverlogd.gerrit.ssh import connect


def _step(pipe, op, arg):
    try:
        if op == "feed":
            pipe.feed(arg)
            return None
        if op == "read":
            return pipe.read(arg, timeout=0.0)
        if op == "empty":
            return pipe.empty()
        if op == "close":
            pipe.close()
            return None
        return (pipe.read_ready(), len(pipe))
    except PipeTimeout:
        return "timeout"


@pytest.mark.parametrize("seed", range(20))
def test_same_answers_as_paramikos_pipe(seed):
    rnd = random.Random(seed)
    ours, theirs = ChannelBuffer(), BufferedPipe()
    for _ in range(300):
        op = rnd.choice(("feed", "feed", "read", "read", "empty", "state", "close")
                        if rnd.random() < 0.02 else ("feed", "read", "state"))
        arg = bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 3000))) \
            if op == "feed" else rnd.choice((1, 7, 512, 4096, 1 << 20))
        assert _step(ours, op, arg) == _step(theirs, op, arg), (op, arg)
    assert ours.empty() == theirs.empty()


def test_a_read_returns_bytes_in_order_across_feeds():
    pipe = ChannelBuffer()
    pipe.feed(b"abc")
    pipe.feed("de")          # paramiko feeds str too
    assert pipe.read(2) == b"ab"
    assert type(pipe.read(10)) is bytes
    pipe.feed(b"xyz")
    assert pipe.read(10) == b"xyz"
    pipe.close()
    assert pipe.read(10) == b""


def test_bytes_held_are_not_copied_again_by_later_feeds_and_reads():
    """Under a burst the window (8 MB) stays full while the stream reads 1 MB
    at a time: a read must cost what it returns, not a copy of all held."""
    packet, mb = bytes(32768), 1 << 20
    packets = [bytes(packet) for _ in range(512)]
    pipe = ChannelBuffer()
    for p in packets[:256]:
        pipe.feed(p)
    tracemalloc.start()
    try:
        for i in range(256, 512, 32):
            assert len(pipe.read(mb, timeout=0.0)) == mb
            for p in packets[i:i + 32]:
                pipe.feed(p)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(pipe) == 8 * mb
    assert peak < 2 * mb, f"{peak / mb:.1f} MB allocated to move 8 MB through"


def test_dropping_more_than_is_held_leaves_it_empty():
    pipe = ChannelBuffer()
    pipe.feed(b"abc")
    pipe.feed(b"def")
    assert pipe.read(4) == b"abcd"
    assert pipe.read(100) == b"ef"
    assert len(pipe) == 0


def test_commands_run_on_channels_with_it(standin):
    with connect(standin.config()) as conn:
        chan = conn.open("gerrit version", 5.0)
        try:
            assert isinstance(chan.in_buffer, ChannelBuffer)
            assert chan.recv(1 << 20).startswith(b"gerrit version")
        finally:
            chan.close()
        assert conn.probe().startswith("gerrit version")
