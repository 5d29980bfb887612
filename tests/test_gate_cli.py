"""driverlog-gate as a job runs it: the console script in a real subprocess."""
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "catalog"
REPO = pathlib.Path(__file__).resolve().parents[1]
SAMPLE = REPO / "config" / "default_data.json"
LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<path>\$\S*): (?P<msg>.+)$")


def _script():
    here = pathlib.Path(sys.executable).parent / "driverlog-gate"
    return str(here) if here.exists() else shutil.which("driverlog-gate")


GATE = _script()
pytestmark = pytest.mark.skipif(GATE is None, reason="driverlog-gate is not installed")


def gate(*args, cwd=None):
    proc = subprocess.run([GATE, *map(str, args)], capture_output=True, text=True,
                          timeout=120, cwd=cwd)
    assert "Traceback" not in proc.stdout + proc.stderr
    return proc


def test_valid_catalog_exits_0_with_a_one_line_summary():
    proc = gate(SAMPLE)
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.splitlines() == [
        f"{SAMPLE}: valid: 5 projects, 12 releases, 40 drivers (29 with CI)"]


def test_invalid_catalog_exits_1_one_error_a_line_then_summary():
    bad = FIXTURES / "regex_backref.json"
    proc = gate(bad)
    assert proc.returncode == 1
    *errors, summary = proc.stdout.splitlines()
    m = LINE.match(errors[0])
    assert m and m["file"] == str(bad) and (m["line"], m["col"]) == ("18", "50")
    assert m["path"] == "$.drivers[0].ci.success_pattern"
    assert summary == f"{bad}: INVALID: 1 problem(s) (1 regex-unsupported)"


def test_json_format_carries_the_same_problems():
    proc = gate(FIXTURES / "email.json", "--format", "json")
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    assert doc["valid"] is False
    assert [(p["path"], p["line"], p["col"], p["code"]) for p in doc["problems"]] == \
        [("$.drivers[0].maintainers[0].email", 16, 56, "email")]
    ok = json.loads(gate(SAMPLE, "--format", "json").stdout)
    assert ok["valid"] is True and ok["counts"]["drivers"] == 40


@pytest.mark.parametrize("content,words", [
    (b"", "file is empty"),
    (bytes(range(256)) * 4, "binary"),
    (SAMPLE.read_bytes()[:3000], "truncated"),
    (b"[" * 10000 + b"]" * 10000, "nested deeper than"),
    (b'{"a": ' * 10000 + b'1' + b'}' * 10000, "nested deeper than"),
    (b"{" * 10000, "expected a property name"),
    (b'{"projects": [1, 2,]}', "trailing comma"),
])
def test_hostile_inputs_get_a_clear_message_and_exit_1(tmp_path, content, words):
    f = tmp_path / "c.json"
    f.write_bytes(content)
    proc = gate(f)
    assert proc.returncode == 1
    assert words in proc.stdout
    assert all(LINE.match(x) for x in proc.stdout.splitlines()[:-1])


def test_a_50_mb_file_is_refused_quickly_with_its_size(tmp_path):
    f = tmp_path / "big.json"
    with open(f, "wb") as out:
        out.write(b'{"projects": "')
        out.write(b"a" * (50 * 1024 * 1024))
        out.write(b'"}')
    proc = gate(f)
    assert proc.returncode == 1
    assert "52,428,816 bytes, more than" in proc.stdout


@pytest.mark.parametrize("args,words", [
    (["does-not-exist.json"], "cannot read does-not-exist.json"),
    (["."], "cannot read ."),
    ([], "usage:"),
    ([SAMPLE, "--format", "xml"], "invalid choice"),
    ([SAMPLE, "--schema", "nope.json"], "cannot read schema"),
    ([SAMPLE, "--schema", FIXTURES / "truncated.json"], "unusable schema"),
    ([SAMPLE, "--base", "not-a-file-or-rev"], "neither a file nor a git revision"),
])
def test_unusable_arguments_or_files_exit_2(args, words):
    proc = gate(*args)
    assert proc.returncode == 2
    assert words in proc.stderr


def test_a_schema_whose_ref_leads_nowhere_is_unusable(tmp_path):
    # A nested $id moves the base, so '#/definitions/d' points nowhere: jsonschema
    # cannot apply it (found by the fast path's differential test).
    schema = tmp_path / "s.json"
    schema.write_text(json.dumps({
        "$schema": "https://json-schema.org/draft/2020-12/schema", "type": "string",
        "anyOf": [{"$ref": "#/definitions/d", "$id": "http://example.com/nested"}],
        "definitions": {"d": {}}}))
    proc = gate(SAMPLE, "--schema", schema)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "unusable schema" in proc.stderr and "does not exist" in proc.stderr


def test_an_invalid_schema_is_unusable(tmp_path):
    schema = tmp_path / "s.json"
    schema.write_text('{"type": 5}')
    proc = gate(SAMPLE, "--schema", schema)
    assert proc.returncode == 2 and "not a valid JSON Schema" in proc.stderr


def test_schema_overrides_the_built_in_one(tmp_path):
    schema = tmp_path / "s.json"
    schema.write_text(json.dumps({"type": "object", "required": ["maintainer_of_record"]}))
    proc = gate(SAMPLE, "--schema", schema)
    assert proc.returncode == 1
    assert f"{SAMPLE}:1:1: $: 'maintainer_of_record' is required here" in proc.stdout


def _changed_sample():
    doc = json.loads(SAMPLE.read_text())
    doc["drivers"][0]["releases"].append("Hibiscus") if "Hibiscus" not in \
        doc["drivers"][0]["releases"] else None
    doc["drivers"][1]["description"] = "Now with replication."
    doc["drivers"][2]["ci"]["success_pattern"] += "!"
    removed = doc["drivers"].pop(5)
    return doc, removed


def test_base_file_summarises_the_change(tmp_path):
    doc, removed = _changed_sample()
    new = tmp_path / "new.json"
    new.write_text(json.dumps(doc, indent=4))
    proc = gate(new, "--base", SAMPLE)
    assert proc.returncode == 0, proc.stdout
    out = proc.stdout
    assert f"change against {SAMPLE}:" in out
    assert "0 driver(s) added, 1 removed, 2 changed; CI added for 0, changed for 1" in out
    assert f"  - {removed['project_id']} / {removed['vendor']} / {removed['name']}" in out
    as_json = json.loads(gate(new, "--base", SAMPLE, "--format", "json").stdout)
    assert len(as_json["base"]["changes"]["drivers_removed"]) == 1


def test_base_git_revision_reads_the_same_path_at_that_revision(tmp_path):
    git = shutil.which("git")
    if not git:
        pytest.skip("git is not installed")
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com")

    def run(*a):
        subprocess.run([git, *a], cwd=tmp_path, check=True, env=env, capture_output=True,
                       timeout=60)
    run("init", "-q")
    (tmp_path / "default_data.json").write_bytes(SAMPLE.read_bytes())
    run("add", "default_data.json")
    run("commit", "-q", "-m", "base")
    doc, _ = _changed_sample()
    doc["drivers"].insert(0, dict(doc["drivers"][0], name="A brand new driver"))
    (tmp_path / "default_data.json").write_text(json.dumps(doc, indent=4))
    proc = gate("default_data.json", "--base", "HEAD", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout
    assert "change against HEAD:default_data.json:" in proc.stdout
    assert "1 driver(s) added, 1 removed" in proc.stdout
    assert "claims" in proc.stdout
