"""The unit file is valid for systemd and hardened to an exposure score of 2.0 or less."""
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

UNIT = pathlib.Path(__file__).resolve().parents[1] / "systemd" / "driverlogd.service"
analyze = shutil.which("systemd-analyze")
pytestmark = pytest.mark.skipif(not analyze, reason="systemd-analyze not installed")


def test_unit_verifies(tmp_path):
    # verify checks that ExecStart exists: point it at this checkout's installed script.
    exe = pathlib.Path(sys.executable).with_name("driverlogd")
    text = UNIT.read_text().replace("/opt/driverlog/bin/driverlogd", str(exe))
    unit = tmp_path / "driverlogd.service"
    unit.write_text(text)
    out = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stderr.strip() == "", out.stderr


def test_unit_is_hardened():
    out = subprocess.run([analyze, "security", "--offline=yes", str(UNIT)],
                         capture_output=True, text=True, timeout=60)
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", out.stdout)
    assert m, out.stdout + out.stderr
    assert float(m.group(1)) <= 2.0, out.stdout


def test_unit_speaks_the_notify_protocol_we_implement():
    text = UNIT.read_text()
    for line in ("Type=notify", "WatchdogSec=", "Restart=on-failure", "ExecReload=",
                 "StateDirectory=driverlog", "DynamicUser=yes"):
        assert line in text
