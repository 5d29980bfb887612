"""Reading a CI comment: is it a report, on which patch set, and what did it say.

Pure functions over plain strings and compiled patterns; no I/O.
"""
import re
from typing import Optional, Tuple

# Gerrit prefixes every review message it stores with the patch set voted on.
_PREFIX = re.compile(r"Patch Set (\d+):")


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
    for line in lines:
        if success_re.search(line):
            return True, line
        if failure_re.search(line):
            return False, line
    return None
