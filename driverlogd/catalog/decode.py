"""Bytes to text, refusing what cannot be a catalog with a message saying why."""
from typing import Optional, Tuple

from .problems import Problem

# The real catalog is 0.2 MB and 10,000 drivers are about 10 MB; a file far
# beyond that is a mistake, and refusing it early keeps the gate fast and small.
MAX_BYTES = 32 * 1024 * 1024


def _line_col(data: bytes, offset: int) -> Tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    start = data.rfind(b"\n", 0, offset) + 1
    col = len(data[start:offset].decode("utf-8", "replace")) + 1
    return line, col


def _wide(head: bytes) -> bool:
    """ASCII text in UTF-16/32 without a BOM: NUL bytes in a regular pattern."""
    return len(head) == 4 and bool(
        (head[0] and not head[1] and not head[3]) or (not head[0] and not head[2] and head[3]))


def decode(data: bytes, max_bytes: int = MAX_BYTES) -> Tuple[Optional[str], Optional[Problem]]:
    """Return (text, None) or (None, problem)."""
    def fail(code, message, offset=0):
        line, col = _line_col(data, offset) if offset else (1, 1)
        return None, Problem("$", line, col, message, code)

    if len(data) > max_bytes:
        return fail("too-large", f"file is {len(data):,} bytes, more than the "
                                 f"{max_bytes:,}-byte limit for a catalog")
    if not data.strip():
        return fail("empty", "file is empty; a catalog is a JSON object with "
                             "'projects', 'releases' and 'drivers'")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or _wide(data[:4]):
        return fail("encoding", "file looks like UTF-16 or UTF-32; save it as UTF-8")
    if data.startswith(b"\xef\xbb\xbf"):
        return fail("encoding", "file starts with a UTF-8 byte-order mark; remove it "
                                "(JSON forbids it)")
    nul = data.find(b"\x00")
    if nul >= 0:
        return fail("binary", "file is binary (contains a NUL byte), not JSON", nul)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        return fail("encoding", f"invalid UTF-8 ({e.reason} at byte {e.start}); "
                                "the catalog must be UTF-8", e.start)
    return text, None
