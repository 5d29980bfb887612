"""What the daemon loads: paramiko's optional invoke (5 MB of RSS, for
ssh_config `Match exec`, which driverlogd never reads) stays out of it."""
import subprocess
import sys


def test_the_daemon_runs_without_invoke():
    code = ("import sys, driverlogd.__main__, driverlogd.service.app, paramiko.config; "
            "print(sys.modules.get('invoke') is None)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    assert out.strip() == "True"
