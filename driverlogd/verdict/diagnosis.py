"""What a CI's patterns make of that CI's own reports, and why a driver shows
no result. Pure: plain report rows and compiled patterns in, plain values out.

A report is judged by the very functions the votes are (ci_report.py), so
what `tally` says a pattern matches is what the daemon would record.
"""
from typing import Iterable, Optional

from driverlogd.verdict.ci_report import encoded_lines, first_result, report_lines, report_patchset

OUTCOMES = ("success", "failure", "none")
# Why a driver shows what it shows (the drill-down's and the API's reason).
REASONS = ("no-ci", "no-reports", "patterns-match-nothing", "matching")
EXCERPT_CHARS = 300


def excerpt(message: str, limit: int = EXCERPT_CHARS) -> str:
    """A report's first lines after `Patch Set N:`, joined, cut to `limit`:
    what a maintainer needs to see what the CI really writes."""
    text = " | ".join(report_lines(message)[:6])
    return text if len(text) <= limit else text[:limit - 1] + "…"


def tally(reports: Iterable[dict], success_re, failure_re, examples: int = 3) -> dict:
    """Judge each report ({"message", ...} plus what the caller wants kept in
    an example) as a vote would: success, failure, or none (no line matched).

    Comments that are no `Patch Set N:` report are not looked at, as votes_for
    skips them. Returns {"looked", "success", "failure", "none",
    "examples": {outcome: [the report without its message, plus "line"
    (the matched line, None for none) and "excerpt"]}}, the first `examples`
    of each outcome in the order given (newest first, as the store reads them).
    """
    out = {"looked": 0, "success": 0, "failure": 0, "none": 0,
           "examples": {o: [] for o in OUTCOMES}}
    for report in reports:
        message = report["message"]
        if report_patchset(message) is None:
            continue
        found = first_result(encoded_lines(message), success_re, failure_re)
        outcome = "none" if found is None else "success" if found[0] else "failure"
        out["looked"] += 1
        out[outcome] += 1
        kept = out["examples"][outcome]
        if len(kept) < examples:
            example = {k: v for k, v in report.items() if k != "message"}
            example["line"] = None if found is None else found[1]
            example["excerpt"] = excerpt(message)
            kept.append(example)
    return out


def diagnose(has_ci: bool, looked: int, matched: int) -> str:
    """One of REASONS: why a driver's CI shows what it shows.

    - no-ci: the driver declares no CI
    - no-reports: its account has no recent report on the driver's repository
      ("no result yet" really means waiting)
    - patterns-match-nothing: the account reports there, but neither pattern
      matches any of those reports (a renamed job, a moved CI, a typo)
    - matching: some reports match
    """
    if not has_ci:
        return "no-ci"
    if looked == 0:
        return "no-reports"
    return "matching" if matched else "patterns-match-nothing"


def explain(reason: str, account: Optional[str], repo: Optional[str], looked: int) -> str:
    """The reason in a sentence, for people."""
    if reason == "no-ci":
        return "No CI is declared for this driver."
    if reason == "no-reports":
        return f"{account} has no recent report on {repo} yet."
    if reason == "patterns-match-nothing":
        return (f"The patterns match none of {account}'s last {looked} report(s) on {repo}: "
                "a renamed job, a moved CI or a typo?")
    return f"The patterns match {account}'s reports on {repo}."
