"""`--against URL`: each new or changed CI section of the proposed catalog is
tried on a running driverlogd's stored reports (GET /api/v1/ci/{account}/try),
so a pattern that matches nothing the CI really writes fails the change."""
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import List, Tuple

from driverlogd.catalog import jsonpos
from driverlogd.catalog.diff import ci_changed
from driverlogd.catalog.problems import Problem

MIN_REPORTS = 5        # fewer: too little to judge by, a note only
TIMEOUT = 10.0
RETRIES = 5            # on 429, after the Retry-After the daemon gives


class Unreachable(Exception):
    pass


def ask(url: str, account: str, success: str, failure: str, repo: str,
        sleep=time.sleep) -> dict:
    """The daemon's answer, waiting out its rate limit. Unreachable when it
    cannot be asked; a 400 (a pattern RE2 refuses) comes back as {"error"}."""
    query = urllib.parse.urlencode({"success_pattern": success, "failure_pattern": failure,
                                    "repo": repo})
    target = (url.rstrip("/") + "/api/v1/ci/" + urllib.parse.quote(account, safe="")
              + "/try?" + query)
    for _ in range(RETRIES):
        try:
            with urllib.request.urlopen(target, timeout=TIMEOUT) as resp:
                return json.loads(resp.read().decode("utf-8"))
        except urllib.error.HTTPError as e:
            if e.code == 429:
                sleep(min(10.0, float(e.headers.get("Retry-After") or 1)))
                continue
            if e.code == 400:
                return {"error": _message(e)}
            raise Unreachable(f"{url} answered {e.code} {e.reason}") from None
        except (OSError, ValueError) as e:    # refused, timed out, not JSON
            raise Unreachable(f"{url}: {getattr(e, 'reason', None) or e}") from None
    raise Unreachable(f"{url} kept refusing: too many requests")


def _message(err) -> str:
    try:
        return json.loads(err.read().decode("utf-8"))["error"]["message"]
    except (ValueError, KeyError, TypeError, OSError):
        return f"{err.code} {err.reason}"


def check(url: str, result, old, text: str, asker=ask) -> Tuple[List[Problem], List[str]]:
    """Problems (appended to the gate's) and notes for every new or changed CI
    section of a valid catalog. One unreachable daemon ends the asking: it is
    a note, and the rest of the catalog is judged as usual."""
    problems, notes = [], []
    for i, d in ci_changed(old, result.data):
        ci = d["ci"]
        driver = result.catalog.by_key[(d["project_id"], d["vendor"], d["name"])]
        repo = driver.ci_repo
        try:
            got = asker(url, ci["id"], ci["success_pattern"], ci["failure_pattern"], repo)
        except Unreachable as e:
            notes.append(f"cannot ask driverlogd, patterns not tried against reports: {e}")
            break
        where = ("drivers", i, "ci", "success_pattern")
        if "error" in got:
            notes.append(f"driverlogd refused to try {ci['id']}'s patterns: {got['error']}")
            continue
        looked, matched = got["looked"], got["success"] + got["failure"]
        if matched or not looked:
            if not looked:
                notes.append(f"{ci['id']} has no recent report on {repo}: patterns of "
                             f"{d['name']} not tried")
            continue
        example = got["examples"]["none"][0]["excerpt"] if got["examples"]["none"] else ""
        said = (f"matches none of {ci['id']}'s last {looked} report(s) on {repo}, nor does "
                f"failure_pattern (e.g. {json.dumps(example[:120], ensure_ascii=False)})")
        if looked >= MIN_REPORTS:
            problems.append(Problem.at(where, "pattern-matches-nothing", said))
        else:
            notes.append(f"{d['name']}: success_pattern {said}; fewer than {MIN_REPORTS} "
                         "reports, so not counted as a problem")
    jsonpos.locate(problems, text)
    return problems, notes
