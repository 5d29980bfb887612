"""Every check of the catalog, each on a fixture with one fault, located exactly."""
import json
import pathlib

import pytest

from driverlogd.catalog import CatalogError, check_bytes, load

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "catalog"
REPO = pathlib.Path(__file__).resolve().parents[1]


def check(name):
    path = FIXTURES / f"{name}.json"
    return check_bytes(path.read_bytes(), str(path))


# fixture, code, JSON path, line, column (of the offending value in the fixture)
CASES = [
    ("syntax_trailing_comma", "syntax", "$.projects[2]", 4, 45),   # at the comma itself
    ("syntax_nan", "syntax", "$.releases[2].active", 9, 106),
    ("truncated", "truncated", "$.drivers[1].name", 23, 15),
    ("duplicate_key", "duplicate-key", "$.drivers[0].vendor", 15, 7),
    ("schema_type", "schema", "$.drivers[1].releases", 24, 19),
    ("schema_unknown_key", "schema", "$.drivers[2].colour", 31, 17),
    ("schema_required", "schema", "$.drivers[1]", 20, 5),
    ("schema_pattern", "schema", "$.releases[0].start", 7, 75),
    ("order_projects", "order", "$.projects[1].id", 4, 12),
    ("order_drivers", "order", "$.drivers[1].vendor", 22, 17),
    ("ref_project", "reference", "$.drivers[2].project_id", 28, 21),
    ("ref_release", "reference", "$.drivers[0].releases[1]", 17, 27),
    ("dup_driver", "duplicate", "$.drivers[1].name", 23, 15),
    ("dup_project", "duplicate", "$.projects[2].id", 5, 12),
    ("dup_release", "duplicate", "$.releases[3].id", 10, 12),
    ("date_unreal", "date", "$.releases[2].start", 9, 81),
    ("date_order", "order", "$.releases[1].start", 8, 85),
    ("series_shape", "series", "$.releases[1].series", 8, 110),
    ("series_duplicate", "duplicate", "$.releases[2].series", 9, 122),
    ("regex_backref", "regex-unsupported", "$.drivers[0].ci.success_pattern", 18, 50),
    ("regex_lookaround", "regex-unsupported", "$.drivers[1].ci.failure_pattern", 25, 91),
    ("regex_invalid", "regex-invalid", "$.drivers[1].ci.success_pattern", 25, 53),
    ("regex_empty", "regex-empty", "$.drivers[1].ci.success_pattern", 25, 53),
    ("regex_same", "regex-same", "$.drivers[1].ci.failure_pattern", 25, 91),
    ("gerrit_user", "gerrit-user", "$.drivers[1].ci.id", 25, 20),
    ("email", "email", "$.drivers[0].maintainers[0].email", 16, 56),
]


def test_the_base_fixture_is_valid():
    result = check("valid")
    assert result.problems == []
    assert result.catalog is not None


@pytest.mark.parametrize("name,code,path,line,col", CASES, ids=[c[0] for c in CASES])
def test_each_check_reports_path_line_and_column(name, code, path, line, col):
    result = check(name)
    assert result.catalog is None
    assert [(p.code, p.path, p.line, p.col) for p in result.problems] == \
        [(code, path, line, col)], [p.message for p in result.problems]


@pytest.mark.parametrize("name,words", [
    ("regex_backref", ["backreferences", "linear time"]),
    ("regex_lookaround", ["lookaround", "linear time"]),
    ("regex_empty", ["empty string"]),
    ("duplicate_key", ["first at line 14, column 7"]),
    ("date_unreal", ["not a real date"]),
])
def test_messages_say_why(name, words):
    message = check(name).problems[0].message
    for word in words:
        assert word in message


def test_every_problem_is_reported_not_just_the_first():
    doc = json.loads((FIXTURES / "valid.json").read_text())
    doc["releases"][2]["start"] = "2023-Feb-30"
    doc["drivers"][0]["releases"].append("Yoga")
    doc["drivers"][0]["ci"]["success_pattern"] = "(?=x)"
    doc["drivers"][1]["ci"]["id"] = "-x"
    doc["drivers"][2]["vendor"] = 7
    doc["drivers"][2]["maintainers"] = [{"name": "A", "email": "a@b..c"}]
    result = check_bytes(json.dumps(doc, indent=1).encode())
    codes = sorted(p.code for p in result.problems)
    assert codes == ["date", "email", "gerrit-user", "reference", "regex-unsupported",
                     "schema"]
    assert all(p.line > 1 and p.col >= 1 for p in result.problems)


@pytest.mark.parametrize("data,code", [
    (b"", "empty"),
    (b"  \n", "empty"),
    (b"\x00\x01\x02{}", "binary"),
    (b'{"a": "\xff"}', "encoding"),
    (b"\xef\xbb\xbf{}", "encoding"),
    ('{"projects": []}'.encode("utf-16"), "encoding"),
    (b"[" * 10000 + b"]" * 10000, "too-deep"),
    (b'{"projects": [', "truncated"),
    (b"{} {}", "syntax"),
    (b"1" * 5000, "syntax"),
])
def test_unusable_bytes_get_one_clear_problem(data, code):
    result = check_bytes(data, "x.json")
    assert [p.code for p in result.problems] == [code]
    assert result.problems[0].line >= 1


def test_deep_nesting_below_the_json_recursion_limit_is_reported_not_raised():
    inner = "[" * 900 + "]" * 900
    result = check_bytes(('{"projects": ' + inner + "}").encode())
    assert result.problems and result.catalog is None


def test_too_large_is_refused_before_parsing():
    result = check_bytes(b" " * 100 + b"{}", max_bytes=50)
    assert [p.code for p in result.problems] == ["too-large"]


def test_sample_catalog_passes_and_loads():
    catalog = load(REPO / "config" / "default_data.json")
    assert 35 <= len(catalog.drivers) <= 45
    assert sum(1 for d in catalog.drivers if d.ci) >= 20
    shared = [k for k, v in catalog.by_ci_id.items() if len(v) > 1]
    assert shared, "some CI accounts test several drivers"
    assert any(d.repo and d.repo != d.project_id for d in catalog.drivers)
    assert catalog.active_releases


def test_load_raises_catalog_error_with_readable_summary(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_bytes((FIXTURES / "regex_same.json").read_bytes())
    with pytest.raises(CatalogError) as info:
        load(bad)
    assert len(info.value.problems) == 1
    assert "bad.json:25:91: $.drivers[1].ci.failure_pattern" in str(info.value)
    with pytest.raises(CatalogError) as info:
        load(tmp_path / "missing.json")
    assert info.value.problems[0].code == "unreadable"


def test_paths_and_messages_stay_on_one_line_whatever_the_keys():
    from driverlogd.gate.report import text
    doc = json.loads((FIXTURES / "valid.json").read_text())
    doc["x\u2028y\x85"] = 1
    doc["drivers"][0]["vendor"] = "Zed\u2028Corp"
    result = check_bytes(json.dumps(doc).encode(), "c.json")
    lines = text(result)
    assert len(lines) == 3
    assert '$["x\\u2028y\\u0085"]' in lines[0] or '$["x\\u2028y\\u0085"]' in lines[1]
    assert all(len(line.splitlines()) == 1 for line in lines)


def test_catalog_dates_read_and_write_with_the_same_month_names():
    import datetime

    from driverlogd.catalog.model import format_start, parse_start
    for text in ("2014-Jan-01", "2024-Oct-07", "2026-Dec-31"):
        assert format_start(parse_start(text)) == text
    assert parse_start("2025-Sep-05") == datetime.date(2025, 9, 5)


def test_the_model_holds_its_own_copies_of_the_decoded_text():
    """Catalog.from_data copies every string it keeps (equal ones shared), so
    none of them sits among the decoded document's dicts, which are dropped:
    at 10,000 drivers that left 11 MB of pymalloc pools mostly empty."""
    from driverlogd.catalog.model import Catalog
    from tests.webfake import generate_data
    data = generate_data(3)
    cat = Catalog.from_data(data)
    for raw, d in zip(data["drivers"], cat.drivers):
        assert (d.name, d.description, d.maintainers[0].email) == (
            raw["name"], raw["description"], raw["maintainers"][0]["email"])
        assert d.name is not raw["name"] and d.description is not raw["description"]
        assert d.maintainers[0].email is not raw["maintainers"][0]["email"]
    assert cat.drivers[0].project_id is not data["drivers"][0]["project_id"]
