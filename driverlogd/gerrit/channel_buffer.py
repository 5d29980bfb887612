"""A channel's incoming buffer that copies each byte two or three times,
however much is held, and gives its memory back after a burst.

paramiko buffers what a channel receives in a BufferedPipe over array('B'):
each read slices the array (a copy), converts the slice (another) and deletes
it from the front (moving the rest): ~1 ms a MB when a burst fills the
channel's window (ssh.WINDOW_SIZE, 8 MB). A bare bytearray did worse, 1.7-2.6
ms a MB: once its front is dropped, its next growth copies all it holds.
A deque of the parts as they came cost 0.05-0.09 ms a MB, but those parts
(a packet each) were the C heap's: the 8 MB they took under a burst stayed
resident for good (VmRSS 97.7 -> 104.2 MB after 1M events, bench 4).
Here one bytearray block with a read offset: 0.22-0.26 ms a MB with the
window full, and a drained buffer lets its block go. Locking, waiting and closing
stay paramiko's own: only its storage differs.
"""
from paramiko.buffered_pipe import BufferedPipe


class _Held:
    """The storage BufferedPipe asks of its `_buffer`: len(), and `del [:n]`
    to drop the first n bytes; plus add() and head() for the two hooks.

    One bytearray and a read offset: a read copies out what it takes and
    moves the offset. The bytes read stay until they are more than half of
    the block, then the rest moves to its front (a bytearray dropped at its
    front would copy all it holds at its next growth, as CPython keeps the
    offset): at most one more copy of each byte. A drained buffer lets its
    block go, so memory is back after a burst."""

    __slots__ = ("_buf", "_start")

    def __init__(self):
        self._buf = bytearray()
        self._start = 0

    def __len__(self):
        return len(self._buf) - self._start

    def add(self, data) -> None:
        self._buf += data

    def head(self, limit=None) -> bytes:
        """The first `limit` bytes held (all of them when None)."""
        start = self._start
        end = len(self._buf) if limit is None else min(len(self._buf), start + limit)
        with memoryview(self._buf) as view:
            return view[start:end].tobytes()

    def __delitem__(self, key: slice) -> None:
        if key.start is not None or key.step is not None:
            raise ValueError("only the first bytes can be dropped")
        n = len(self) if key.stop is None else max(0, min(key.stop, len(self)))
        self._start += n
        if self._start == len(self._buf):
            self._buf, self._start = bytearray(), 0
        elif self._start > len(self._buf) // 2:
            # The rest moves to the front in place (memmove), then the block
            # is cut: no second block meanwhile, so no higher peak.
            rest = len(self._buf) - self._start
            with memoryview(self._buf) as view:
                view[:rest] = view[self._start:]
            del self._buf[rest:]
            self._start = 0


class ChannelBuffer(BufferedPipe):
    def __init__(self):
        super().__init__()
        self._buffer = _Held()

    def _buffer_frombytes(self, data):
        self._buffer.add(data)

    def _buffer_tobytes(self, limit=None):
        return self._buffer.head(limit)
