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


def test_moving_bytes_through_a_full_window_allocates_a_few_times_what_moves():
    """Under a burst the window (8 MB) stays full while the stream reads 1 MB
    at a time. A bytearray dropped at its front copied all it held at its
    next growth: 9.5 MB allocated for each MB moved (ours: 2.5, the read's
    copy and the block's growth)."""
    packet, mb = bytes(65536), 1 << 20
    pipe = ChannelBuffer()
    for _ in range(128):
        pipe.feed(packet)
    steps = ([lambda: pipe.read(mb, timeout=0.0)] + [lambda: pipe.feed(packet)] * 16) * 32
    allocated = 0
    tracemalloc.start()
    try:
        for step in steps:
            before = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            step()
            allocated += tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert len(pipe) == 8 * mb
    assert allocated < 5 * 32 * mb, f"{allocated / mb:.0f} MB allocated to move 32 MB"


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
