"""The README's install steps, run as written into a temporary root (DESTDIR):
the installed unit passes systemd-analyze, the installed config passes
--check-config, and the installed daemon, started the way the unit starts it
(its command, its environment, a credentials directory, the notify socket),
follows the Gerrit stand-in and stops on SIGTERM."""
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import urllib.request

import pytest

from driverlogd.standin import StandIn, generate_key
from tests import processes
from tests.service_support import REPO, free_port, wait_for

README = REPO / "README.md"
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
pytestmark = pytest.mark.skipif(
    not all(map(shutil.which, ("make", "ssh-keygen", "ssh-keyscan", "systemd-analyze"))),
    reason="needs make, openssh-client and systemd (make system-deps)")


def readme_steps():
    section = README.read_text().split("### Installing under systemd", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [re.sub(r"\s+#.*$", "", line).strip() for line in block.splitlines() if line.strip()]


class Root:
    """A temporary root: /etc/… of the README is root/etc/…, and so on."""

    def __init__(self, path):
        self.path = path

    def __call__(self, absolute):
        return self.path / str(absolute).lstrip("/")

    def args(self, argv):
        return [str(self(a)) if a.startswith(("/etc/", "/var/", "/opt/")) else a for a in argv]

    def executable(self, absolute):
        """argv that runs an installed script as the kernel would with this root as
        /: links followed inside the root, then the script's #! interpreter."""
        path = self(absolute)
        while path.is_symlink():
            path = self(os.readlink(path))
        interpreter = path.read_text().splitlines()[0][2:].split()
        return [str(self(interpreter[0])), *interpreter[1:], str(path)]


def run(argv, **kw):
    out = subprocess.run(argv, capture_output=True, text=True, timeout=600, **kw)
    assert out.returncode == 0, f"{argv}\n{out.stdout}\n{out.stderr}"
    return out


def unit_settings(unit):
    settings = {}
    for line in unit.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.startswith("#"):
            settings.setdefault(key, []).append(value)
    return settings


def test_the_readme_install_works(tmp_path):
    root = Root(tmp_path / "root")
    standin = None
    steps = readme_steps()
    assert [s.split()[0] for s in steps] == [
        "apt-get", "make", "ssh-keygen", "ssh-keyscan", "editor", "driverlogd", "systemctl"]
    try:
        for step in steps:
            argv = shlex.split(step)
            if argv[0] == "make":
                run([*argv, f"DESTDIR={root.path}"], cwd=REPO)
            elif argv[0] == "ssh-keygen":
                run(root.args(argv))
                key = root("/etc/driverlog/gerrit_key")
                assert key.stat().st_mode & 0o077 == 0, "the key must be root-only"
                generate_key(tmp_path / "gerrit_host_key")
                standin = StandIn(str(tmp_path / "gerrit_host_key"),
                                  [key.with_suffix(".pub").read_text()]).start()
            elif argv[0] == "ssh-keyscan":
                scan, target = step.split(" > ")
                scan = scan.replace("29418", str(standin.port)).replace(
                    "review.example.org", "127.0.0.1")
                root(target).write_text(run(shlex.split(scan)).stdout)
            elif argv[0] == "editor":
                http_port = edit_config(root, root(argv[1]), standin.port)
            elif argv[0] == "driverlogd":
                out = run([*root.executable("/usr/local/bin/driverlogd"), *root.args(argv[1:])])
                assert "is valid" in out.stdout
            elif argv[0] == "systemctl":
                unit = root("/etc/systemd/system/driverlogd.service")
                check_unit(root, unit, tmp_path)
                start_as_the_unit_would(root, unit, tmp_path, http_port)
        run(["make", "uninstall", f"DESTDIR={root.path}"], cwd=REPO)
        assert not root("/opt/driverlog").exists()
        assert not root("/etc/systemd/system/driverlogd.service").exists()
        assert root("/etc/driverlog/driverlogd.yaml").exists(), "uninstall keeps the config"
    finally:
        if standin:
            standin.stop()


def edit_config(root, config, gerrit_port):
    """What the operator does in the editor, and what this root needs besides."""
    http_port = free_port()
    text = config.read_text()
    for old, new in (("review.example.org", "127.0.0.1"), ("29418", str(gerrit_port)),
                     ("port: 8080", f"port: {http_port}"),
                     ("/etc/driverlog", str(root("/etc/driverlog"))),
                     ("/var/lib/driverlog", str(root("/var/lib/driverlog")))):
        assert old in text, old
        text = text.replace(old, new)
    config.write_text(text)
    return http_port


def check_unit(root, unit, tmp_path):
    exec_start = unit_settings(unit)["ExecStart"][0]
    assert exec_start == "/opt/driverlog/bin/driverlogd --config /etc/driverlog/driverlogd.yaml"
    assert os.access(root("/opt/driverlog/bin/driverlogd"), os.X_OK)
    # verify checks that ExecStart exists, on this machine: point it into the root.
    copy = tmp_path / "driverlogd.service"
    copy.write_text(unit.read_text().replace(
        "ExecStart=/opt/", f"ExecStart={root('/opt')}/"))
    out = run(["systemd-analyze", "verify", str(copy)])
    assert out.stderr.strip() == "", out.stderr
    out = run(["systemd-analyze", "security", "--offline=yes", str(unit)])
    level = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", out.stdout)
    assert level and float(level.group(1)) <= 2.0, out.stdout


def start_as_the_unit_would(root, unit, tmp_path, http_port):
    settings = unit_settings(unit)
    argv = shlex.split(settings["ExecStart"][0])
    credentials = tmp_path / "credentials"     # LoadCredential=: a private copy of the key
    credentials.mkdir(mode=0o700)
    for spec in settings["LoadCredential"]:
        name, source = spec.split(":", 1)
        shutil.copy(root(source), credentials / name)
        os.chmod(credentials / name, 0o400)
        root(source).rename(f"{root(source)}.away")   # so only the copy can be read
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify"))
    notify.settimeout(120)
    watchdog = int(settings["WatchdogSec"][0].rstrip("s")) * 1_000_000
    env = {"PATH": SYSTEM_PATH, "LANG": "C.UTF-8", "CREDENTIALS_DIRECTORY": str(credentials),
           "STATE_DIRECTORY": str(root("/var/lib/driverlog")),
           "NOTIFY_SOCKET": str(tmp_path / "notify"), "WATCHDOG_USEC": str(watchdog),
           processes.MARKER: os.environ[processes.MARKER]}
    for assignment in settings.get("Environment", []):
        env.update(a.split("=", 1) for a in shlex.split(assignment))
    log = open(tmp_path / "driverlogd.log", "w")
    proc = subprocess.Popen([*root.executable(argv[0]), *root.args(argv[1:])], env=env, cwd="/",
                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        messages = []
        while "READY=1" not in messages:
            messages += notify.recv(4096).decode().split("\n")

        def healthy():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/healthz") as r:
                    return r.status == 200
            except OSError:
                return False
        wait_for(healthy, 60, what="the installed daemon to be healthy")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        notify.setblocking(False)
        while "STOPPING=1" not in messages:
            messages += notify.recv(4096).decode().split("\n")   # raises when none is left
    finally:
        processes.kill_group(proc)
        notify.close()
        log.close()
    assert "stopped" in (tmp_path / "driverlogd.log").read_text()
