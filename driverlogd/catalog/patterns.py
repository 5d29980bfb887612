"""Vendor CI patterns: compile with RE2 and say plainly why one is refused."""
import re
from typing import Optional, Tuple

from .model import build_pattern

_WHY = "RE2 matches in linear time so untrusted vendor patterns cannot stall the daemon"

# (test on the pattern text, what it is, advice) in the order they are diagnosed.
_UNSUPPORTED = (
    (re.compile(r"\\[1-9]|\\k[<{']|\(\?P="), "backreferences",
     "match the repeated text literally or drop the repetition"),
    (re.compile(r"\(\?<?[=!]"), "lookaround assertions ((?=, (?!, (?<=, (?<!)",
     "match the surrounding text itself, or use a separate failure_pattern"),
    (re.compile(r"\(\?>"), "atomic groups ((?>...))", "use a plain group (...)"),
    (re.compile(r"[*+?}]\+"), "possessive quantifiers (*+, ++, ?+)",
     "use the plain quantifier"),
    (re.compile(r"\\Z"), "\\Z", "use \\z or $"),
)


def compile_checked(pattern: str) -> Tuple[object, Optional[Tuple[str, str]]]:
    """(compiled or None, (code, message) or None). Not cached: compiled to be
    checked, then let go; the daemon compiles (and caches) a pattern when it
    first matches with it (model.CI)."""
    try:
        compiled = build_pattern(pattern)
    except Exception as e:  # re2.error: its type differs between wrapper versions
        reason = e.args[0] if e.args else str(e)
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        for test, what, advice in _UNSUPPORTED:
            if test.search(pattern):
                return None, ("regex-unsupported",
                              f"RE2 does not support {what}: {_WHY}; {advice} "
                              f"(RE2 says: {reason})")
        return None, ("regex-invalid", f"not a valid RE2 pattern: {reason}")
    if compiled.search("") is not None:
        return compiled, ("regex-empty", "matches the empty string, so it would match "
                                         "every line of every comment; make it specific")
    return compiled, None
