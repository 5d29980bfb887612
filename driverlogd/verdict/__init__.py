"""Pure verdict rules: parse CI reports, map branches to releases, rate health."""
from driverlogd.verdict.health import (
    DEFAULT_STALE_AFTER,
    STATES,
    WINDOW_SECONDS,
    ci_state,
    health,
)
from driverlogd.verdict.parse import find_result, report_lines, report_patchset
from driverlogd.verdict.release import release_for
from driverlogd.verdict.rules import (
    Vote,
    ci_groups,
    driver_signature,
    merged_patchset,
    releases_signature,
    votes_for,
)

__all__ = ["DEFAULT_STALE_AFTER", "STATES", "WINDOW_SECONDS", "Vote", "ci_groups", "ci_state",
           "driver_signature", "find_result", "health", "merged_patchset",
           "release_for", "releases_signature", "report_lines", "report_patchset",
           "votes_for"]
