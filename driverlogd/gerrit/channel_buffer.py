"""A channel's incoming buffer that copies each byte once, however much is held.

paramiko buffers what a channel receives in a BufferedPipe over array('B'):
each read slices the array (a copy), converts the slice (another) and deletes
it from the front (moving the rest), ~1.1 ms a MB when a burst fills the
channel's window (ssh.WINDOW_SIZE, 8 MB). A bytearray was no cure: once its
front is dropped, the next growth copies all it holds into a new block, so
with the window full it cost 1.9 ms a MB (bench: 0.1 ms with nothing held).
Here the received parts are kept as they came, oldest first: a feed copies
nothing and a read joins what it takes, ~0.1 ms a MB whatever is held.
Locking, waiting and closing stay paramiko's own: only its storage differs.
"""
import collections

from paramiko.buffered_pipe import BufferedPipe


class _Parts:
    """The storage BufferedPipe asks of its `_buffer`: len(), and `del [:n]`
    to drop the first n bytes; plus add() and head() for the two hooks."""

    __slots__ = ("_parts", "_size")

    def __init__(self):
        self._parts = collections.deque()
        self._size = 0

    def __len__(self):
        return self._size

    def add(self, data: bytes) -> None:
        if data:
            self._parts.append(data)
            self._size += len(data)

    def head(self, limit=None) -> bytes:
        """The first `limit` bytes held (all of them when None)."""
        if limit is None or limit >= self._size:
            return b"".join(self._parts)
        out = []
        for part in self._parts:
            if len(part) >= limit:
                out.append(part[:limit])
                break
            out.append(part)
            limit -= len(part)
        return b"".join(out)

    def __delitem__(self, key: slice) -> None:
        if key.start is not None or key.step is not None:
            raise ValueError("only the first bytes can be dropped")
        n = self._size if key.stop is None else max(0, min(key.stop, self._size))
        self._size -= n
        parts = self._parts
        while n:
            part = parts[0]
            if len(part) > n:
                parts[0] = part[n:]     # one part's rest: what a read splits, never the backlog
                return
            parts.popleft()
            n -= len(part)


class ChannelBuffer(BufferedPipe):
    def __init__(self):
        super().__init__()
        self._buffer = _Parts()

    def _buffer_frombytes(self, data):
        self._buffer.add(bytes(data))     # bytes (what paramiko feeds) as they are

    def _buffer_tobytes(self, limit=None):
        return self._buffer.head(limit)
