"""Patterns tried against a CI's own stored reports: /api/v1/ci/{account}/try
(proposed patterns, for vendors and the gate) and a driver's diagnosis (its
catalog patterns, for the drill-down). Both judge by verdict/diagnosis.py,
which judges by the same functions the votes come from."""
import time

from driverlogd.catalog.patterns import compile_checked
from driverlogd.verdict.diagnosis import diagnose, explain, tally
from driverlogd.web.filters import BadRequest, parse_query
from driverlogd.web.http import error_response, json_response

# Reports judged per request: two RE2 searches a line each, so this bounds
# the work whatever the patterns (RE2 is linear, and compiled with the
# gate's memory budget).
MAX_REPORTS = 200
DIAGNOSIS_REPORTS = 50
EXAMPLES = 3
TRY_PARAMS = frozenset(("success_pattern", "failure_pattern", "repo"))
NO_STORE = [("Cache-Control", "no-store")]


class TokenBucket:
    """`rate` requests a second, bursts of `burst`: the try endpoint compiles
    patterns and reads the store, so anyone may ask, but not without end."""

    def __init__(self, rate=5.0, burst=20, clock=time.monotonic):
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens, self.at = float(burst), clock()

    def take(self) -> float:
        """0 when a request may go now; else the seconds until one may."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


def _compiled(params, name):
    text = params.get(name)
    if not text:
        raise BadRequest(f"{name} is required", "bad_query")
    compiled, problem = compile_checked(text)
    if problem is not None:
        raise BadRequest(f"{name}: {problem[1]}", "bad_pattern")
    return compiled


def try_patterns(rm, req, tail, bucket):
    """GET /api/v1/ci/{account}/try?success_pattern=&failure_pattern=[&repo=]"""
    if len(tail) != 2 or not tail[0] or tail[1] != "try":
        return None
    params = parse_query(req.query, TRY_PARAMS)
    wait = bucket.take()
    if wait:
        raise RateLimited(wait)
    success_re = _compiled(params, "success_pattern")
    failure_re = _compiled(params, "failure_pattern")
    account, repo = tail[0], params.get("repo") or None
    result = tally(rm.reports(account, repo, MAX_REPORTS), success_re, failure_re, EXAMPLES)
    result.update(account=account, repo=repo, limit=MAX_REPORTS)
    return json_response(result, headers=list(NO_STORE))


class RateLimited(Exception):
    def __init__(self, wait):
        super().__init__("rate limited")
        self.wait = wait

    def response(self):
        return error_response(429, "too many pattern trials; try again in a moment",
                              [("Retry-After", str(max(1, round(self.wait))))])


def diagnosis(rm, driver) -> dict:
    """Why the driver shows what it shows, from its account's newest stored
    reports on its repository: {"reason", "message", "reports", "matched",
    "unmatched": the newest reports neither pattern matches}."""
    if driver.ci is None:
        return {"reason": "no-ci", "message": explain("no-ci", None, None, 0),
                "reports": 0, "matched": 0, "unmatched": []}
    ci, repo = driver.ci, driver.ci_repo
    found = tally(rm.reports(ci.id, repo, DIAGNOSIS_REPORTS), ci.success_re, ci.failure_re,
                  EXAMPLES)
    matched = found["success"] + found["failure"]
    reason = diagnose(True, found["looked"], matched)
    return {"reason": reason, "message": explain(reason, ci.id, repo, found["looked"]),
            "reports": found["looked"], "matched": matched,
            "unmatched": found["examples"]["none"]}
