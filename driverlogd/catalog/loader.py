"""Text to a JSON document, with syntax errors and duplicate keys located.

The fast path is the C json decoder; only when it fails or sees a duplicate
key does the position scanner (jsonpos) run to say exactly where and why.
"""
import json
from typing import List, Tuple

from . import jsonpos
from .problems import Problem


class _Duplicates:
    """object_pairs_hook that notices duplicate keys without slowing the common case."""

    def __init__(self):
        self.seen = False

    def __call__(self, pairs):
        d = dict(pairs)
        if len(d) != len(pairs):
            self.seen = True
        return d


def _no_constants(name):
    raise ValueError(f"{name} is not JSON")


def parse(text: str) -> Tuple[object, List[Problem]]:
    """Return (document or None, problems). Problems carry line and column."""
    hook = _Duplicates()
    try:
        data = json.loads(text, object_pairs_hook=hook, parse_constant=_no_constants)
    except (ValueError, RecursionError, MemoryError) as e:
        _, problems, _ = jsonpos.scan(text)
        fatal = [p for p in problems if p.code != "duplicate-key"]
        if not fatal:
            # The scanner accepts what json refused: say what json said.
            line, col = getattr(e, "lineno", 1), getattr(e, "colno", 1)
            msg = getattr(e, "msg", None) or str(e) or type(e).__name__
            problems.append(Problem("$", line, col, f"not valid JSON: {msg}", "syntax"))
        return None, problems
    if not hook.seen:
        return data, []
    _, problems, _ = jsonpos.scan(text)
    return data, problems
