"""A CI's patterns are compiled only for lines holding the text every match
needs (ci_report.required_text): the answer must be first_result's, always."""
from hypothesis import given, settings
from hypothesis import strategies as st

from driverlogd.catalog.model import CI, build_pattern
from driverlogd.verdict.ci_report import (
    encoded_lines,
    first_result,
    first_result_of,
    report_lines,
    required_text,
)

PIECES = ["a", "b", "ab", "-job", " ", ":", "\\s+", "\\S+", "\\s*", ".", "*", "+", "?",
          "{0}", "{1,2}", "|", "(", ")", "(?i)", "[ab]", "^", "$", "\\", "é", "SUCCESS"]
patterns = st.lists(st.sampled_from(PIECES), max_size=6).map("".join)
lines = st.text(alphabet="abAB -:éSUCCESFL\t", max_size=20)


def _compiled(pattern):
    try:
        return build_pattern(pattern)
    except Exception:      # not a pattern: the gate refuses it
        return None


@settings(max_examples=400, deadline=None, database=None)
@given(patterns, lines)
def test_every_match_holds_the_required_text(pattern, line):
    compiled = _compiled(pattern)
    if compiled is not None and compiled.search(line) is not None:
        assert required_text(pattern) in line


@settings(max_examples=300, deadline=None, database=None)
@given(patterns, patterns, st.lists(lines, max_size=4))
def test_the_lazy_answer_is_first_results(ok, fail, text):
    if _compiled(ok) is None or _compiled(fail) is None:
        return
    report = encoded_lines("Patch Set 1:\n" + "\n".join(text))
    ci = CI("ci", ok, fail)
    assert first_result_of([line for line, _ in report], ci) == \
        first_result(report, ci.success_re, ci.failure_re)


def test_the_usual_patterns_have_their_job_as_required_text():
    assert required_text(r"acme-job0-tempest\s+\S+\s*: SUCCESS") == "acme-job0-tempes"
    assert required_text("a(?i)*") == ""          # the flags group quantifies nothing: a*
    assert required_text("ab*c") == "a"
    assert required_text("ab|cd") == ""
    assert required_text("(?i)acme") == ""


# Patterns shaped as catalogs write them: a job name, then a tail shared by
# many (first_result_of matches the tail right after each place of the name).
jobs = st.text(alphabet="ab-é", min_size=1, max_size=3)
tails = st.lists(st.sampled_from(PIECES), max_size=4).map("".join)
job_lines = st.lists(st.sampled_from(["a", "b", "-", "é", " ", ":", "ab", "SUCCESS"]),
                     max_size=14).map("".join)


@settings(max_examples=400, deadline=None, database=None)
@given(jobs, tails, st.lists(job_lines, min_size=1, max_size=3))
def test_a_job_and_its_tail_match_as_the_whole_pattern(job, tail, text):
    if _compiled(job + tail) is None:
        return
    report = encoded_lines("Patch Set 1:\n" + "\n".join(text))
    ci = CI("ci", job + tail, "zz" + tail)
    assert first_result_of([line for line, _ in report], ci) == \
        first_result(report, ci.success_re, ci.failure_re)


def test_the_tail_is_tried_at_every_place_of_the_job():
    ci = CI("ci", r"ab\s+\S+\s*: SUCCESS", r"ab\s+\S+\s*: FAILURE")
    for line, want in (("ab x : SUCCESS", True), ("abab ab x : FAILURE", False),
                       ("ab " * 20 + "ab x : SUCCESS", True), ("ab:ab : SUCCESS", None),
                       ("xab x   : SUCCESS", True), ("a b x : SUCCESS", None)):
        found = first_result_of(report_lines("Patch Set 1:\n" + line), ci)
        assert (found and found[0]) == want, line
    # Worked out once, kept on the CI for its next reports.
    assert (ci.success_cut, ci.failure_cut) == (len(required_text(ci.success_pattern)),) * 2


def test_a_pattern_without_required_text_is_searched_whole():
    ci = CI("ci", r"(?i)ok: success", "x|fail")
    assert first_result_of(report_lines("Patch Set 1:\nOK: Success"), ci) == (True, "OK: Success")
    assert first_result_of(report_lines("Patch Set 1:\nit did fail"), ci) == (False, "it did fail")
    assert (ci.success_cut, ci.failure_cut) == (0, 0)
