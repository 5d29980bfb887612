"""driverlog-gate's small promises: --version, `-` for stdin, a trailing comma
pointed at, "did you mean", and one problem reported once."""
import json
import subprocess

from tests.test_gate_cli import GATE, LINE, SAMPLE, gate


def sample():
    return json.loads(SAMPLE.read_text())


def test_version():
    proc = gate("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("driverlog-gate 0.")


def test_dash_reads_the_catalog_from_stdin():
    proc = subprocess.run([GATE, "-"], input=SAMPLE.read_bytes(), capture_output=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode().startswith("<stdin>: valid:")
    bad = subprocess.run([GATE, "-", "--base", "HEAD"], input=b"{}", capture_output=True,
                         timeout=120)
    assert bad.returncode == 2 and b"--base" in bad.stderr


def test_a_trailing_comma_is_reported_on_its_own_line(tmp_path):
    path = tmp_path / "c.json"
    path.write_text('{\n  "projects": [\n    {"id": "a", "name": "A"},\n  ],\n'
                    '  "releases": [], "drivers": []\n}\n')
    m = LINE.match(gate(path).stdout.splitlines()[0])
    assert (m["line"], m["col"]) == ("3", "29") and "trailing comma" in m["msg"]


def test_a_misspelt_release_or_project_gets_a_suggestion(tmp_path):
    data = sample()
    data["drivers"][0]["releases"][0] = data["releases"][-1]["id"].lower()
    data["drivers"][0]["project_id"] = data["drivers"][0]["project_id"].replace("o", "0", 1)
    path = tmp_path / "c.json"
    path.write_text(json.dumps(data, indent=2))
    out = gate(path).stdout
    assert f"did you mean {data['releases'][-1]['id']!r}?" in out
    assert f"did you mean {sample()['drivers'][0]['project_id']!r}?" in out


def test_each_problem_is_reported_once_without_a_raw_regex(tmp_path):
    data = sample()
    data["drivers"][0]["maintainers"][0]["email"] = "a@@b"
    data["drivers"][0]["ci"]["id"] = "bad id!"
    path = tmp_path / "c.json"
    path.write_text(json.dumps(data, indent=2))
    *problems, _ = gate(path).stdout.splitlines()
    paths = [LINE.match(p)["path"] for p in problems]
    assert sorted(paths) == ["$.drivers[0].ci.id", "$.drivers[0].maintainers[0].email"], problems
    assert "\\\\" not in "".join(problems)
