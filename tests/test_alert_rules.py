"""The shipped alert rules load in Prometheus and fire when, and only when, they should."""
import pathlib
import shutil
import subprocess

import pytest

RULES = pathlib.Path(__file__).resolve().parents[1] / "config" / "prometheus"
promtool = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(not promtool, reason="promtool (Debian: prometheus) not installed; make test installs it")


@needs_promtool
def test_rules_are_valid():
    out = subprocess.run([promtool, "check", "rules", str(RULES / "driverlog-alerts.yml")],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr


@needs_promtool
def test_rules_fire_as_their_unit_tests_say():
    out = subprocess.run([promtool, "test", "rules", "driverlog-alerts.test.yml"],
                         cwd=RULES, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "SUCCESS" in out.stdout


def test_every_metric_an_alert_uses_is_exported():
    from prometheus_client import generate_latest

    from driverlogd.metrics import Metrics

    exported = generate_latest(Metrics().registry).decode()
    rules = (RULES / "driverlog-alerts.yml").read_text()
    import re
    used = set(re.findall(r"\b(driverlog_[a-z_]+)", rules))
    assert used
    for name in used:
        assert f"# TYPE {name} " in exported, f"{name} used by an alert but not exported"


def test_per_ci_gauges_export_exactly_the_accounts_last_set():
    from prometheus_client import generate_latest

    from driverlogd.metrics import Metrics

    m = Metrics()
    m.ci_failing_drivers.set_all({"acme-ci": 2, "zeta-ci": 0})
    m.ci_last_vote.set_all({"acme-ci": 1700000000})
    text = generate_latest(m.registry).decode()
    assert 'driverlog_ci_failing_drivers{ci_id="acme-ci"} 2.0' in text
    assert 'driverlog_ci_failing_drivers{ci_id="zeta-ci"} 0.0' in text
    assert 'driverlog_ci_last_vote_timestamp_seconds{ci_id="acme-ci"} 1.7e+09' in text
    m.ci_failing_drivers.set_all({"zeta-ci": 1})      # acme-ci left the catalog
    text = generate_latest(m.registry).decode()
    assert 'driverlog_ci_failing_drivers{ci_id="acme-ci"}' not in text
    assert 'driverlog_ci_failing_drivers{ci_id="zeta-ci"} 1.0' in text
