"""The gate's output: `FILE:LINE:COL: PATH: MESSAGE` lines and a summary, or JSON."""
import json
from collections import Counter
from typing import List, Optional

from driverlogd.catalog import CheckResult
from driverlogd.catalog.diff import describe

MAX_MESSAGE = 400


def _one_line(message: str) -> str:
    # Any line break (\x85 and \u2028 are ones too) would split the report line.
    message = "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)
    return message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE - 3] + "..."


def counts(result: CheckResult) -> dict:
    doc = result.data if isinstance(result.data, dict) else {}

    def n(key):
        return len(doc[key]) if isinstance(doc.get(key), list) else 0
    with_ci = sum(1 for d in doc.get("drivers", ()) if isinstance(d, dict) and d.get("ci")) \
        if isinstance(doc.get("drivers"), list) else 0
    return {"projects": n("projects"), "releases": n("releases"), "drivers": n("drivers"),
            "drivers_with_ci": with_ci}


def summary_line(result: CheckResult) -> str:
    c = counts(result)
    if result.ok:
        return (f"{result.filename}: valid: {c['projects']} projects, {c['releases']} "
                f"releases, {c['drivers']} drivers ({c['drivers_with_ci']} with CI)")
    kinds = Counter(p.code for p in result.problems)
    detail = ", ".join(f"{v} {k}" for k, v in sorted(kinds.items()))
    return f"{result.filename}: INVALID: {len(result.problems)} problem(s) ({detail})"


def text(result: CheckResult, base: Optional[dict] = None, base_label: str = "") -> List[str]:
    lines = [f"{result.filename}:{p.line}:{p.col}: {p.path}: {_one_line(p.message)}"
             for p in result.problems]
    lines.append(summary_line(result))
    if base_label:
        lines.append(f"change against {base_label}:")
        if base is not None:
            lines += describe(base)
    return lines


def as_json(result: CheckResult, base: Optional[dict] = None, base_label: str = "") -> str:
    doc = {"file": result.filename, "valid": result.ok,
           "problems": [dict(p.as_dict(), message=_one_line(p.message))
                        for p in result.problems],
           "summary": summary_line(result), "counts": counts(result)}
    if base_label:
        doc["base"] = {"source": base_label, "changes": base}
    return json.dumps(doc, indent=2, ensure_ascii=False)
