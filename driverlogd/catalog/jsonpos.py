"""An iterative JSON scanner that knows where every value is.

Python's json module says nothing about positions and reports a duplicate key
by silently keeping the last one. This pass finds the line and column of the
values at given JSON paths, every duplicate key, the exact spot of a syntax
error, and refuses nesting deeper than MAX_DEPTH without recursing. It is only
run when something must be located, so the common, valid case never pays for it.
"""
import bisect
import json
import re
from typing import Dict, Iterable, List, Tuple

from .problems import Path, Problem, format_path

MAX_DEPTH = 256          # a catalog is 5 levels deep
MAX_NUMBER_DIGITS = 4300  # Python refuses to convert longer integers

_WS = re.compile(r"[ \t\n\r]*")
_STR_BODY = r'"[^"\\\x00-\x1f]*(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\x00-\x1f]*)*'
_STRING = re.compile(_STR_BODY + '"')
_STRING_PREFIX = re.compile(_STR_BODY)
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_LITERAL = re.compile(r"true|false|null")
_NON_JSON = re.compile(r"-?(?:NaN|Infinity)")

VALUE, AFTER, FIRST_KEY, KEY, FIRST_ITEM = range(5)


class LineIndex:
    """Character offset -> 1-based (line, column)."""

    def __init__(self, text: str):
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def __call__(self, offset: int) -> Tuple[int, int]:
        i = bisect.bisect_right(self.starts, offset) - 1
        return i + 1, offset - self.starts[i] + 1


class _Stop(Exception):
    def __init__(self, offset, code, message):
        super().__init__(message)
        self.offset, self.code, self.message = offset, code, message


def _describe(text: str, pos: int) -> str:
    if pos >= len(text):
        return "the end of the file"
    return repr(text[pos])


def _string_error(text: str, pos: int) -> _Stop:
    end = _STRING_PREFIX.match(text, pos).end()
    if end >= len(text):
        return _Stop(pos, "truncated", "unexpected end of file (truncated?): unterminated "
                                       "string")
    c = text[end]
    if c == "\\":
        return _Stop(end, "syntax", f"invalid escape {text[end:end + 2]!r} in string")
    return _Stop(end, "syntax", f"control character U+{ord(c):04X} inside a string "
                                "(strings cannot span lines; write \\n)")


def scan(text: str, wanted: Iterable[Path] = (), max_depth: int = MAX_DEPTH):
    """Return (positions {path: offset} for `wanted`, problems, LineIndex)."""
    wanted = set(wanted)
    positions: Dict[Path, int] = {}
    problems: List[Problem] = []
    dups: List[Tuple[Path, int, int]] = []
    path: list = []
    stack: list = []  # per open container: dict of key -> offset, or None for an array
    pos, n, state = 0, len(text), VALUE
    try:
        while True:
            pos = _WS.match(text, pos).end()
            c = text[pos] if pos < n else ""
            if state == VALUE:
                if wanted:
                    here = tuple(path)
                    if here in wanted:
                        positions[here] = pos
                if c == "{" or c == "[":
                    if len(stack) >= max_depth:
                        raise _Stop(pos, "too-deep", f"nested deeper than {max_depth} "
                                                     "levels; a catalog needs 5")
                    stack.append({} if c == "{" else None)
                    pos += 1
                    state = FIRST_KEY if c == "{" else FIRST_ITEM
                    continue
                if c == '"':
                    m = _STRING.match(text, pos)
                    if not m:
                        raise _string_error(text, pos)
                    pos = m.end()
                elif c == "-" or "0" <= c <= "9":
                    m = _NUMBER.match(text, pos)
                    if not m or _NON_JSON.match(text, pos):
                        raise _Stop(pos, "syntax", "invalid number" if not m else
                                    "NaN and Infinity are not JSON")
                    if m.end() - pos > MAX_NUMBER_DIGITS:
                        raise _Stop(pos, "syntax", "number has more than "
                                                   f"{MAX_NUMBER_DIGITS} digits")
                    pos = m.end()
                else:
                    m = _LITERAL.match(text, pos)
                    if not m:
                        raise _unexpected_value(text, pos, stack)
                    pos = m.end()
                state = AFTER
            elif state == AFTER:
                if not stack:
                    if pos < n:
                        raise _Stop(pos, "syntax", f"unexpected {_describe(text, pos)} "
                                                   "after the end of the JSON document")
                    break
                top = stack[-1]
                close = "}" if top is not None else "]"
                if c == ",":
                    pos += 1
                    if top is not None:
                        path.pop()
                        state = KEY
                    else:
                        path[-1] += 1
                        state = VALUE
                elif c == close:
                    pos += 1
                    stack.pop()
                    path.pop()
                else:
                    raise _Stop(pos, "syntax", f"expected ',' or '{close}', "
                                               f"found {_describe(text, pos)}")
            elif state == FIRST_ITEM:
                if c == "]":
                    pos += 1
                    stack.pop()
                    state = AFTER
                else:
                    path.append(0)
                    state = VALUE
            else:  # FIRST_KEY or KEY
                if c == "}" and state == FIRST_KEY:
                    pos += 1
                    stack.pop()
                    state = AFTER
                    continue
                if c != '"':
                    if c == "}":
                        raise _Stop(_comma(text, pos), "syntax", "trailing comma before '}'")
                    raise _Stop(pos, "syntax", "expected a property name in double quotes, "
                                               f"found {_describe(text, pos)}")
                m = _STRING.match(text, pos)
                if not m:
                    raise _string_error(text, pos)
                raw = m.group()
                key = json.loads(raw) if "\\" in raw else raw[1:-1]
                seen = stack[-1]
                if key in seen:
                    dups.append((tuple(path) + (key,), pos, seen[key]))
                seen[key] = pos
                pos = _WS.match(text, m.end()).end()
                if pos >= n or text[pos] != ":":
                    raise _Stop(pos, "syntax", f"expected ':' after property name, "
                                               f"found {_describe(text, pos)}")
                pos += 1
                path.append(key)
                state = VALUE
    except _Stop as stop:
        code, message = stop.code, stop.message
        if stop.offset >= n and code != "truncated":
            code, message = "truncated", f"unexpected end of file (truncated?): {message}"
        stopped = Problem.at(tuple(path), code, message)
        stop_offset = stop.offset
        problems.append(stopped)
    else:
        stopped = stop_offset = None
    index = LineIndex(text)
    for parts, offset, first in dups:
        line, col = index(first)
        p = Problem.at(parts, "duplicate-key",
                       f"duplicate key {parts[-1]!r} (first at line {line}, column {col}); "
                       "JSON readers silently keep only the last")
        p.line, p.col = index(offset)
        problems.append(p)
    if stopped is not None:
        stopped.line, stopped.col = index(stop_offset)
    return positions, problems, index


def _comma(text: str, pos: int) -> int:
    """Where the trailing comma before `pos` is: the report points at it, so a
    review comment lands on the line to fix, not the line after."""
    return text.rfind(",", 0, pos)


def _unexpected_value(text: str, pos: int, stack: list) -> _Stop:
    if pos >= len(text):
        return _Stop(pos, "truncated", "unexpected end of file (truncated?): "
                                       "expected a value")
    c = text[pos]
    if c == "]" and stack and stack[-1] is None:
        return _Stop(_comma(text, pos), "syntax", "trailing comma before ']'")
    if c == "'":
        return _Stop(pos, "syntax", "strings must use double quotes, not single quotes")
    if _NON_JSON.match(text, pos):
        return _Stop(pos, "syntax", "NaN and Infinity are not JSON")
    return _Stop(pos, "syntax", f"expected a value, found {_describe(text, pos)}")


def locate(problems: List[Problem], text: str) -> None:
    """Fill in line and column of problems found by path (schema and rule checks)."""
    todo = [p for p in problems if p.parts is not None and not p.line]
    if not todo:
        return
    wanted = set()
    for p in todo:
        # Fall back to the nearest existing ancestor (a missing key's object).
        wanted.update(p.parts[:i] for i in range(len(p.parts) + 1))
    positions, _, index = scan(text, wanted)
    for p in todo:
        for i in range(len(p.parts), -1, -1):
            offset = positions.get(p.parts[:i])
            if offset is not None:
                p.line, p.col = index(offset)
                break
        else:
            p.line, p.col = 1, 1


__all__ = ["scan", "locate", "LineIndex", "format_path", "MAX_DEPTH"]
