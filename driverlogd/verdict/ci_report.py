"""Reading a CI comment: is it a report, on which patch set, and what did it say.

Pure functions over plain strings and compiled patterns; no I/O.
"""
import re
from typing import List, Optional, Tuple

from driverlogd.catalog.model import compile_pattern
from driverlogd.gerrit.events import REVIEW_PREFIX

try:      # google-re2's compiled RE2 under its Python wrapper (see _found)
    from re2 import _Anchor
    _UNANCHORED = _Anchor.UNANCHORED
    _AT_START = _Anchor.ANCHOR_START
except ImportError:
    _UNANCHORED = _AT_START = None
_NO_MATCH = (-1, -1)


def report_patchset(message: str) -> Optional[int]:
    """N when `message` begins `Patch Set <N>:` (a CI report), else None."""
    m = REVIEW_PREFIX.match(message)
    return int(m.group(1)) if m else None


def report_lines(message: str, body: Optional[str] = None) -> List[str]:
    """Non-empty lines of a report, the text after the `Patch Set N:` prefix first.

    The rest of the prefix line counts as a line: old Gerrits put the whole
    verdict there (`Patch Set 3: Verified+1 Build Successful`). `body`: the
    message past its `Patch Set N:`, when the caller has it already.
    """
    return _lines(_body(message) if body is None else body)


def _body(message: str) -> str:
    m = REVIEW_PREFIX.match(message)
    return message[m.end():] if m else message


def _lines(body: str) -> List[str]:
    return [line for line in map(str.strip, body.splitlines()) if line]


def encoded_lines(message: str) -> List[Tuple[str, bytes]]:
    """report_lines() with each line's UTF-8 bytes, for first_result(): one
    report's lines are encoded once for both its patterns."""
    return [(line, line.encode("utf-8")) for line in report_lines(message)]


def first_result(lines, success_re, failure_re) -> Optional[Tuple[bool, str]]:
    """(passed, matched line) from the first of encoded_lines() matching
    either pattern (searched anywhere in the line).

    Success is tried first on each line, as the original job did; a line
    matching neither is skipped. None when no line matches.
    """
    for line, raw in lines:
        if _found(success_re, line, raw):
            return True, line
        if _found(failure_re, line, raw):
            return False, line
    return None


def first_result_of(lines: List[str], ci) -> Optional[Tuple[bool, str]]:
    """first_result() for a catalog CI over report_lines() (plain text: a
    line is encoded only where it holds a pattern's text), its patterns
    tried only on lines that hold the text every match of them needs (most
    lines of a report name another job), and searched as that text plus a
    tail (see _cut)."""
    ok_cut, fail_cut = ci.success_cut, ci.failure_cut
    if ok_cut < 0 or fail_cut < 0:
        ok_cut, fail_cut = cuts(ci)
    ok, fail = ci.success_pattern, ci.failure_pattern
    ok_text, fail_text = ok[:ok_cut], fail[:fail_cut]
    for line in lines:
        if ok_text in line and _split_found(ok, ok_text, line):
            return True, line
        if fail_text in line and _split_found(fail, fail_text, line):
            return False, line
    return None


def cuts(ci) -> Tuple[int, int]:
    """Where the required text of the CI's success and failure patterns ends
    (see _cut), worked out once and kept on the CI: the recorder asks for
    every CI of a catalog it installs, so a first report pays nothing."""
    ok_cut, fail_cut = _cut(ci.success_pattern), _cut(ci.failure_pattern)
    object.__setattr__(ci, "success_cut", ok_cut)      # frozen: a cache, not a field
    object.__setattr__(ci, "failure_cut", fail_cut)
    return ok_cut, fail_cut


_LITERAL = re.compile(r"[^\\.^$|?*+()\[\]{}]*")
# Past this many places holding a pattern's text, one line is searched with
# the whole pattern: a tail tried at every place would not be linear time.
MAX_PLACES = 8


def required_text(pattern: str) -> str:
    """The literal characters `pattern` begins with, which every match holds
    ('' when there are none; or with a '|' anywhere, as another alternative
    need not hold them). Whatever follows them may quantify the last one,
    even past a zero-width flags group (`a(?i)*` is `a*`), so it is left out."""
    if "|" in pattern:
        return ""
    n = _LITERAL.match(pattern).end()
    if n < len(pattern):
        n -= 1
    return pattern[:max(n, 0)]


def _cut(pattern: str) -> int:
    """The length of the pattern's required text, where the rest of it
    compiles as a tail of its own; 0 where the whole pattern must be searched.

    A catalog's patterns are nearly all a job name and a tail shared by
    thousands (`\\s+\\S+\\s*: SUCCESS`): a match is the text at some place,
    then the tail matched right there. So one compiled tail serves them all,
    where each whole pattern was compiled apart (~40 us, 2.4 KB): at 10,000
    drivers a CI burst spent a fifth of its time compiling, and the cache of
    compiled patterns was 5 MB. The tail is smaller than the pattern the gate
    compiled with the same options, so it compiles too."""
    text = required_text(pattern)
    if not text or _AT_START is None:
        return 0
    try:
        tail = compile_pattern(pattern[len(text):])
    except Exception:       # cannot happen for a valid pattern; the whole one decides
        return 0
    return len(text) if getattr(tail, "_regexp", None) is not None else 0


def _split_found(pattern: str, text: str, line: str) -> bool:
    """Whether `pattern` matches somewhere in the line; `text` is its first
    characters (its required text, or '' where the whole pattern is searched)."""
    raw = line.encode("utf-8")
    if text:
        tail = compile_pattern(pattern[len(text):])._regexp
        # ASCII (nearly every line): character and byte offsets are the same.
        hay, text = (line, text) if len(raw) == len(line) else (raw, text.encode("utf-8"))
        end, at = len(raw), hay.find(text)
        for _ in range(MAX_PLACES):
            if at < 0:
                return False
            if tail.Match(_AT_START, raw, at + len(text), end)[0] != _NO_MATCH:
                return True
            at = hay.find(text, at + 1)
        if at < 0:
            return False
    return _found(compile_pattern(pattern), line, raw)


def _found(pattern, line: str, raw: bytes) -> bool:
    """Whether pattern.search(line) finds something. google-re2's search()
    encodes the line and builds a match object on every call (2 us); its
    compiled RE2 answers the same from the bytes (0.8 us). Other patterns
    (Python's re, or a wrapper without it) are asked through search()."""
    regexp = getattr(pattern, "_regexp", None)
    if regexp is None or _UNANCHORED is None:
        return pattern.search(line) is not None
    return regexp.Match(_UNANCHORED, raw, 0, len(raw))[0] != _NO_MATCH
