"""--check-config refuses a setup that could never connect, naming the config,
the setting, the file and the fix."""
import subprocess
import sys

import pytest

from driverlogd.service import knownhosts
from driverlogd.standin import generate_key
from tests.service_support import Daemon

CLI = [sys.executable, "-m", "driverlogd"]


@pytest.fixture
def setup(tmp_path, standin):
    d = Daemon(tmp_path, standin)
    d.write_config(0)
    return d


def check_config(d):
    return subprocess.run([*CLI, "--config", str(d.config), "--check-config"],
                          capture_output=True, text=True, timeout=60)


def refused(d, *expected):
    out = check_config(d)
    assert out.returncode == 2, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    assert f"{d.config}: gerrit.known_hosts: {d.standin.known_hosts}" in out.stderr, out.stderr
    port = d.standin.server.port
    assert f"ssh-keyscan -p {port} 127.0.0.1" in out.stderr, out.stderr
    for text in expected:
        assert text in out.stderr, out.stderr
    return out.stderr


def test_an_empty_known_hosts_is_refused(setup):
    setup.standin.known_hosts.write_text("# 127.0.0.1:29418 SSH-2.0-x\n\n")
    refused(setup, "lists no host key")


def test_an_unparseable_known_hosts_is_refused(setup):
    setup.standin.known_hosts.write_text("[127.0.0.1]:1 ecdsa-sha2-nistp256 !!notbase64!!\n")
    refused(setup, ":1: not a known_hosts line")
    setup.standin.known_hosts.write_text("just-a-host-name\n")
    refused(setup, ":1: not a known_hosts line")


def test_a_known_hosts_without_the_configured_host_and_port_is_refused(setup, tmp_path):
    key = generate_key(tmp_path / "other")
    # The right host on port 22 is another entry: OpenSSH names other ports [host]:port.
    setup.standin.known_hosts.write_text(f"127.0.0.1 {key}\n")
    refused(setup, f"has no key for [127.0.0.1]:{setup.standin.server.port}")


def test_the_usual_known_hosts_is_accepted(setup):
    out = check_config(setup)
    assert out.returncode == 0 and "is valid" in out.stdout, out.stderr


def test_port_22_is_named_bare():
    assert knownhosts.host_name("review.example.org", 22) == "review.example.org"
    assert knownhosts.host_name("review.example.org", 29418) == "[review.example.org]:29418"


def test_key_errors_name_the_config_and_the_setting(setup):
    (setup.dir / "bad_key").write_text("not a key")
    setup.config.write_text(setup.config.read_text().replace(
        str(setup.standin.client_key), str(setup.dir / "bad_key")))
    out = check_config(setup)
    assert out.returncode == 2
    assert f"{setup.config}: gerrit.key_file: {setup.dir / 'bad_key'}" in out.stderr


def test_hashed_names_are_found(tmp_path):
    import paramiko
    key = paramiko.ECDSAKey.generate()
    path = tmp_path / "known_hosts"          # what `ssh-keyscan -H` writes
    path.write_text(f"{paramiko.HostKeys.hash_host('[gerrit.example]:29418')} "
                    f"{key.get_name()} {key.get_base64()}\n")
    assert knownhosts.check(str(path), "gerrit.example", 29418)
