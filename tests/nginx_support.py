"""Real nginx (Debian's) serving a publication with the shipped site config,
on loopback, as whoever runs the tests: its own prefix, pid file, logs and
temp folders; never the system service."""
import os
import pathlib
import pwd
import re
import shutil
import socket
import subprocess
import time

from tests import processes
from tests.service_support import free_port

REPO = pathlib.Path(__file__).resolve().parents[1]
SITE = REPO / "config" / "nginx" / "driverlog-publication.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def available():
    return os.access(NGINX, os.X_OK)


class Nginx:
    def __init__(self, folder, publication, workers=1):
        self.dir = pathlib.Path(folder)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        site = SITE.read_text()
        site = re.sub(r"(?m)^(\s*)listen\s+[^;]+;", r"\g<1>listen 127.0.0.1:%d;" % self.port, site)
        site = re.sub(r"(?m)^(\s*)root\s+[^;]+;",
                      lambda m: "%sroot %s/current;" % (m.group(1), publication), site)
        (self.dir / "site.conf").write_text(site)
        temps = "".join("%s_temp_path %s/%s;\n" % (t, self.dir, t)
                        for t in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        # As root, workers would run as "nobody", who cannot read a private temp folder.
        user = "user %s;\n" % pwd.getpwuid(0).pw_name if os.geteuid() == 0 else ""
        (self.dir / "nginx.conf").write_text(
            "daemon off;\nmaster_process on;\nworker_processes %d;\npid %s/nginx.pid;\n"
            "error_log %s/error.log;\n%sevents { worker_connections 1024; }\n"
            "http {\naccess_log off;\n%sinclude %s/site.conf;\n}\n"
            % (workers, self.dir, self.dir, user, temps, self.dir))
        self.proc = subprocess.Popen(
            [NGINX, "-p", str(self.dir), "-e", str(self.dir / "error.log"),
             "-c", str(self.dir / "nginx.conf")],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait()
        self.url = "http://127.0.0.1:%d" % self.port

    def _wait(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.5).close()
                return
            except OSError:
                time.sleep(0.02)
        self.stop()
        log = self.dir / "error.log"
        raise RuntimeError("nginx did not start:\n" + (log.read_text() if log.exists() else ""))

    def stop(self):
        processes.kill_group(self.proc)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
