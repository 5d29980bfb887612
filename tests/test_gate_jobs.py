"""The Zuul and Jenkins job definitions are well-formed and run what exists."""
import configparser
import pathlib
import re
import shlex
import subprocess
import sys

import yaml

REPO = pathlib.Path(__file__).resolve().parents[1]


def _zuul():
    return yaml.safe_load((REPO / ".zuul.yaml").read_text())


def _job(name):
    return next(x["job"] for x in _zuul() if "job" in x and x["job"]["name"] == name)


def test_zuul_job_votes_on_catalog_changes_with_the_tox_gate_env():
    job = _job("driverlog-gate")
    assert job["parent"] == "tox"
    assert job["vars"]["tox_envlist"] == "gate"
    assert any(re.match(f, "config/default_data.json") for f in job["files"])
    assert not any(re.match(f, "README.md") for f in job["files"])
    assert (REPO / job["post-run"]).is_file()
    project = next(x["project"] for x in _zuul() if "project" in x)
    for pipeline in ("check", "gate"):
        assert "driverlog-gate" in project[pipeline]["jobs"]
    tox = configparser.ConfigParser()
    tox.read(REPO / "tox.ini")
    assert "driverlog-gate" in tox["testenv:gate"]["commands"]


def test_every_job_the_project_runs_is_defined_here_or_named_plainly():
    defined = {x["job"]["name"] for x in _zuul() if "job" in x}
    project = next(x["project"] for x in _zuul() if "project" in x)
    used = {j if isinstance(j, str) else next(iter(j)) for p in ("check", "gate")
            for j in project[p]["jobs"]}
    assert used <= defined


def _zuul_posargs(url):
    """The tox posargs as Zuul renders them with the job's driverlog_url set to `url`."""
    job_vars = _job("driverlog-gate")["vars"]
    assert job_vars["driverlog_url"] == ""            # not asked unless configured
    args = shlex.split(job_vars["tox_extra_args"].replace("{{ driverlog_url }}", url))
    return args[args.index("--") + 1:]


def test_zuul_and_jenkins_pass_against_only_a_configured_url():
    assert _zuul_posargs("https://driverlog.example.org")[-2:] == \
        ["--against", "https://driverlog.example.org"]
    assert _zuul_posargs("")[-2:] == ["--against", ""]
    docs = yaml.safe_load((REPO / "gate" / "jenkins" / "driverlog-gate.yaml").read_text())
    project = next(x["project"] for x in docs if "project" in x)
    assert project["driverlog-url"] == ""
    shell = next(x["job-template"] for x in docs if "job-template" in x)["builders"][0]["shell"]
    assert shell.count("--against '{driverlog-url}'") == 2


def test_zuul_posargs_run_the_gate_for_real():
    """The arguments Zuul passes through tox are ones the gate accepts; an empty
    driverlog_url asks no daemon."""
    posargs = _zuul_posargs("")
    posargs[posargs.index("--base") + 1] = str(REPO / "config" / "default_data.json")
    gate = pathlib.Path(sys.executable).parent / "driverlog-gate"
    proc = subprocess.run([str(gate), *posargs], cwd=REPO, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 driver(s) added, 0 removed, 0 changed" in proc.stdout


def test_jenkins_job_builder_definition():
    docs = yaml.safe_load((REPO / "gate" / "jenkins" / "driverlog-gate.yaml").read_text())
    template = next(x["job-template"] for x in docs if "job-template" in x)
    project = next(x["project"] for x in docs if "project" in x)
    assert template["name"] in project["jobs"]
    trigger = template["triggers"][0]["gerrit"]
    paths = [p["pattern"] for p in trigger["projects"][0]["file-paths"]]
    assert "config/default_data.json" in paths
    shell = template["builders"][0]["shell"]
    assert "pipefail" in shell
    assert re.search(r"driverlog-gate config/default_data\.json --base HEAD~1 \\\n\s*"
                     r"--against '\{driverlog-url\}'\s*$", shell)
    # every {placeholder} of the template is given by the project
    placeholders = set(re.findall(r"'?\{([a-z-]+)\}'?", yaml.safe_dump(template)))
    assert placeholders <= set(project) | {"name"}
