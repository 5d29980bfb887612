"""What the checks report: a Problem per fault, located by JSON path, line and column."""
import dataclasses
import difflib
import re
from typing import List, Optional, Sequence, Tuple, Union

PathPart = Union[str, int]
Path = Tuple[PathPart, ...]

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def format_path(path: Sequence[PathPart]) -> str:
    """`("drivers", 17, "ci")` -> `$.drivers[17].ci` (JSONPath, as reviewers read it)."""
    out = ["$"]
    if len(path) > 16:  # only absurd nesting gets here; keep the line readable
        path = list(path[:8]) + ["..."] + list(path[-4:])
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _IDENT.match(part) or part == "...":
            out.append("." + part)
        else:
            out.append("[" + _quote(part) + "]")
    return "".join(out)


def _quote(key: str) -> str:
    escaped = key.replace("\\", "\\\\").replace('"', '\\"')
    # Non-printables (\x85, \u2028 too) escaped: a report line must stay one line.
    return '"' + "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in escaped) + '"'


@dataclasses.dataclass
class Problem:
    path: str
    line: int
    col: int
    message: str
    code: str
    # The path as a tuple, kept to locate the problem after the checks ran.
    parts: Optional[Path] = dataclasses.field(default=None, compare=False, repr=False)

    @classmethod
    def at(cls, parts: Path, code: str, message: str) -> "Problem":
        """A problem at a JSON path whose line and column are found later."""
        return cls(format_path(parts), 0, 0, message, code, tuple(parts))

    def as_dict(self) -> dict:
        return {"path": self.path, "line": self.line, "col": self.col,
                "code": self.code, "message": self.message}


@dataclasses.dataclass
class CheckResult:
    filename: str
    problems: List[Problem]
    catalog: object = None     # a model.Catalog when there are no problems
    data: object = None        # the decoded document, when it could be decoded

    @property
    def ok(self) -> bool:
        return not self.problems


class CatalogError(Exception):
    """A catalog that failed the gate; str() is a readable multi-line summary."""

    def __init__(self, filename: str, problems: List[Problem]):
        self.filename = filename
        self.problems = list(problems)
        super().__init__(filename)

    def __str__(self):
        lines = [f"{self.filename}: {len(self.problems)} problem(s):"]
        lines += [f"  {self.filename}:{p.line}:{p.col}: {p.path}: {p.message}"
                  for p in self.problems]
        return "\n".join(lines)


def short_repr(value, limit: int = 60) -> str:
    """A bounded description of any JSON value: never recurses, never huge."""
    if isinstance(value, dict):
        return f"an object with {len(value)} key(s)"
    if isinstance(value, list):
        return f"an array of {len(value)} item(s)"
    text = repr(value) if not isinstance(value, bool) else ("true" if value else "false")
    if value is None:
        text = "null"
    return text if len(text) <= limit else text[:limit - 5] + "...'" + f" ({len(text)} chars)"


def did_you_mean(value: str, known) -> str:
    """`; did you mean 'Zed'?` for a near miss of a known id (case, a typo), else ''."""
    known = list(known)
    by_case = {k.lower(): k for k in known}
    match = by_case.get(value.lower()) or next(
        iter(difflib.get_close_matches(value, known, n=1, cutoff=0.7)), None)
    return f"; did you mean {match!r}?" if match else ""
