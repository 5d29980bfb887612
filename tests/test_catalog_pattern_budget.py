"""Vendor patterns compile within a fixed RE2 memory budget, in the gate and the daemon alike."""
import json
import pathlib

from driverlogd.catalog import check_bytes
from driverlogd.catalog.model import compile_pattern

SAMPLE = pathlib.Path(__file__).resolve().parents[1] / "config" / "default_data.json"


def test_a_pattern_too_big_for_the_budget_is_refused_by_the_gate():
    data = json.loads(SAMPLE.read_text())
    driver = next(d for d in data["drivers"] if "ci" in d)
    huge = "(" + "|".join(f"vendor-job{i}-tempest" for i in range(300)) + r") : SUCCESS"
    driver["ci"]["success_pattern"] = huge
    result = check_bytes(json.dumps(data, indent=1).encode(), "c.json")
    assert result.catalog is None
    [problem] = result.problems
    assert problem.code == "regex-invalid" and "too large" in problem.message
    assert problem.path.endswith(".ci.success_pattern")


def test_realistic_patterns_fit_and_match():
    p = compile_pattern(r"acme-iscsi-tempest\s+\S+\s*: (SUCCESS|POST_FAILURE)")
    assert p.search("- acme-iscsi-tempest https://ci.example/1 : SUCCESS in 3m")
    # Linear time even on a megabyte line that nearly matches everywhere.
    assert p.search("acme-iscsi-tempest " * 50000) is None
