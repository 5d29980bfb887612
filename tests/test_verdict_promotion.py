"""The promotion rules as pure functions on plain data: which vote is the
verdict, and when the daemon must ask Gerrit instead of guessing."""
import pytest

from driverlogd.verdict.promotion import (
    BEFORE_WATCHING,
    WHICH_PATCHSET,
    Evidence,
    counts,
    question_on_merge,
    question_on_report,
    verdict,
)


def ev(cid, when, change=1, ps=1, merged=1, digest="a"):
    return Evidence(cid, when, change, ps, digest, merged)


def test_only_the_merged_patch_set_counts():
    assert counts(2, 2) and not counts(1, 2) and not counts(1, None)


def test_the_newest_counting_vote_is_the_verdict():
    votes = [ev(1, 100), ev(2, 300, ps=1, merged=2),       # newest, but not the merged ps
             ev(3, 200, change=2), ev(4, 250, change=3, merged=None)]   # not merged (yet)
    assert verdict(votes).comment_id == 3
    assert verdict([ev(4, 250, merged=None)]) is None and verdict([]) is None


def test_ties_are_broken_the_same_way_whatever_the_order():
    votes = [ev(1, 100, change=5, digest="b"), ev(2, 100, change=5, digest="c"),
             ev(3, 100, change=4, digest="z")]
    assert verdict(votes).comment_id == verdict(votes[::-1]).comment_id == 2


@pytest.mark.parametrize("status, merged, expected", [
    ("MERGED", None, WHICH_PATCHSET),    # a late report: never assume it is the merged ps
    ("MERGED", 3, None),                 # change-merged said which: no question
    ("NEW", None, None),                 # not merged: nothing to promote yet
    ("ABANDONED", None, None),
])
def test_question_on_report(status, merged, expected):
    assert question_on_report(status, merged) == expected


@pytest.mark.parametrize("complete, opened_on, watchers, expected", [
    (True, 50, [(100, False)], None),                    # a whole answer: nothing to ask
    (False, 50, [(100, False)], BEFORE_WATCHING),        # older than the watch, no report
    (False, 100, [(100, False)], BEFORE_WATCHING),       # the same second: maybe
    (False, 150, [(100, False)], None),                  # opened while watched: all seen
    (False, 50, [(100, True)], None),                    # its report is held
    (False, 0, [(100, False)], BEFORE_WATCHING),         # opened when? unknown: ask
    (False, 50, [(10, False), (100, True)], None),       # both CIs covered
    (False, 50, [(10, True), (100, False)], BEFORE_WATCHING),   # the newer CI is not
    (False, 50, [], None),                               # no CI comments on the repo
])
def test_question_on_merge(complete, opened_on, watchers, expected):
    assert question_on_merge(complete, opened_on, watchers) == expected
