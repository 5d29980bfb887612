"""Reading a CI comment: is it a report, on which patch set, and what did it say.

Pure functions over plain strings and compiled patterns; no I/O.
"""
import re
from typing import Optional, Tuple

try:      # google-re2's compiled RE2 under its Python wrapper (see _found)
    from re2 import _Anchor
    _UNANCHORED = _Anchor.UNANCHORED
except ImportError:
    _UNANCHORED = None
_NO_MATCH = (-1, -1)

# Gerrit prefixes every review message it stores with the patch set voted on.
_PREFIX = re.compile(r"Patch Set (\d{1,18}):")     # more digits: no patch set, no int() to choke


def report_patchset(message: str) -> Optional[int]:
    """N when `message` begins `Patch Set <N>:` (a CI report), else None."""
    m = _PREFIX.match(message)
    return int(m.group(1)) if m else None


def report_lines(message: str):
    """Non-empty lines of a report, the text after the `Patch Set N:` prefix first.

    The rest of the prefix line counts as a line: old Gerrits put the whole
    verdict there (`Patch Set 3: Verified+1 Build Successful`).
    """
    m = _PREFIX.match(message)
    body = message[m.end():] if m else message
    for line in body.splitlines():
        line = line.strip()
        if line:
            yield line


def find_result(lines, success_re, failure_re) -> Optional[Tuple[bool, str]]:
    """(passed, matched line) from the first line matching either pattern.

    Success is tried first on each line, as the original job did; a line
    matching neither is skipped. None when no line matches.
    """
    return find_encoded([(line, line.encode("utf-8")) for line in lines],
                        success_re, failure_re)


def find_encoded(lines, success_re, failure_re) -> Optional[Tuple[bool, str]]:
    """find_result() over (line, its UTF-8 bytes) pairs: one report's lines
    are encoded once for all the drivers it is tested against."""
    for line, raw in lines:
        if _found(success_re, line, raw):
            return True, line
        if _found(failure_re, line, raw):
            return False, line
    return None


def _found(pattern, line: str, raw: bytes) -> bool:
    """Whether pattern.search(line) finds something. google-re2's search()
    encodes the line and builds a match object on every call (2 us); its
    compiled RE2 answers the same from the bytes (0.8 us). Other patterns
    (Python's re, or a wrapper without it) are asked through search()."""
    regexp = getattr(pattern, "_regexp", None)
    if regexp is None or _UNANCHORED is None:
        return pattern.search(line) is not None
    return regexp.Match(_UNANCHORED, raw, 0, len(raw))[0] != _NO_MATCH
