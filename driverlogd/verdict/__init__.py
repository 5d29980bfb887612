"""The verdict rules, pure: no I/O, plain data in and out.

ci_report.py  is a comment a CI report, on which patch set, what it says
release.py    which release a report on a branch speaks for
votes.py      which drivers a report speaks for, and their votes
promotion.py  when a vote becomes the verdict; when to ask Gerrit
state.py      a driver's CI mark, and when proof turns silent
health.py     pass and flip rates over recent votes
"""
from driverlogd.verdict.ci_report import report_lines, report_patchset
from driverlogd.verdict.health import health
from driverlogd.verdict.promotion import question_on_merge, question_on_report, verdict
from driverlogd.verdict.release import release_for
from driverlogd.verdict.state import STATES, ci_state
from driverlogd.verdict.votes import Vote, ci_groups, votes_for

__all__ = ["STATES", "Vote", "ci_groups", "ci_state", "health", "question_on_merge",
           "question_on_report", "release_for", "report_lines", "report_patchset", "verdict",
           "votes_for"]
