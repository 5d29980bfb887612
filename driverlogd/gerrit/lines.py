"""Bytes from an SSH channel to decoded JSON objects, one line at a time.

Every complete line is returned as soon as its newline arrives (nothing waits
for the next packet). A line longer than the limit, not UTF-8 or not JSON is
reported as a `BadLine` with a reason matching `metrics.BAD_EVENT_REASONS`,
and reading carries on with the next line.
"""
import json
from typing import Iterator, List, Union

import orjson


class BadLine:
    __slots__ = ("reason", "detail")

    def __init__(self, reason: str, detail: str):
        self.reason = reason
        self.detail = detail

    def __repr__(self):
        return f"BadLine({self.reason!r}, {self.detail!r})"


class LineSplitter:
    """Feed it chunks; it yields complete lines (without the newline) or BadLine."""

    def __init__(self, max_line_bytes: int = 1 << 20):
        self.max = max_line_bytes
        self._parts: List[bytes] = []
        self._size = 0
        self._skipping = False     # inside an oversized line: drop until its newline

    def feed(self, chunk: bytes) -> Iterator[Union[bytes, BadLine]]:
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            if end < 0:
                break
            piece = chunk[start:end]
            start = end + 1
            if self._skipping:
                self._skipping = False
                continue
            if self._parts:
                self._parts.append(piece)
                piece = b"".join(self._parts)
                self._parts, self._size = [], 0
            if len(piece) > self.max:
                yield BadLine("oversized", f"line of {len(piece)} bytes")
                continue
            yield piece
        rest = chunk[start:]
        if rest and not self._skipping:
            self._parts.append(rest)
            self._size += len(rest)
            if self._size > self.max:
                # Report once, free the memory, and skip to the end of this line.
                self._parts, self._size, self._skipping = [], 0, True
                yield BadLine("oversized", f"line over {self.max} bytes")


def decode(line: bytes):
    """Decode one line to a JSON value, or return a BadLine. Blank lines give None.

    Every line is parsed whole, so a bad one is always counted: orjson (about
    4x json.loads) takes what nearly every Gerrit line is; whatever it refuses
    goes through json.loads, whose answer (and reason) stands. json accepts
    more (NaN, lone surrogates, integers past 64 bits): such a line means what
    it always meant. orjson reads an integer past 64 bits as a float; no field
    the events read may be that big, so either way it is out of range."""
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        return _decode_slowly(line)
    # None means a blank line: a `null` line is no event, and counted so.
    return BadLine("malformed", "not a JSON object: null") if value is None else value


def _decode_slowly(line: bytes):
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as e:
        return BadLine("invalid_utf8", str(e))
    # Blank: JSON's own whitespace only (isspace() first, to skip the copy;
    # it also says yes to \x1c or U+3000, which are no JSON and are counted).
    if not text or (text.isspace() and not text.strip(" \t\r\n")):
        return None
    try:
        value = json.loads(text)
    except ValueError as e:     # also numbers past Python's 4,300-digit limit
        return BadLine("invalid_json", str(e))
    except RecursionError:      # arrays or objects nested ~1,000 deep
        return BadLine("invalid_json", "nested too deep")
    return BadLine("malformed", "not a JSON object: null") if value is None else value
