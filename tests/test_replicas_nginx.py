"""The shipped nginx config for two replicas (config/nginx/driverlog-replicas.conf),
run by real nginx on loopback in front of two real daemons: readers go to the
primary only while its /healthz says it is caught up, else to the standby."""
import os
import pathlib
import pwd
import re
import shutil
import signal
import subprocess

import pytest

from tests.replica_support import QUERY, QUICK, answered, get, listening, seeded
from tests.service_support import REPO, Daemon, free_port, wait_for

SITE = REPO / "config" / "nginx" / "driverlog-replicas.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

pytestmark = pytest.mark.skipif(not os.access(NGINX, os.X_OK),
                                reason="nginx not installed; make test installs it")


def nginx(folder: pathlib.Path, primary: int, standby: int):
    """nginx with the shipped site, its addresses, port and cache folder ours;
    its own prefix, pid file and logs, never the system service."""
    port = free_port()
    site = SITE.read_text().replace("127.0.0.1:8080", f"127.0.0.1:{primary}") \
        .replace("127.0.0.1:8081", f"127.0.0.1:{standby}") \
        .replace("/var/cache/nginx/driverlog-healthz", str(folder / "healthz-cache"))
    site = re.sub(r"(?m)^(\s*)listen\s+[^;]+;", rf"\g<1>listen 127.0.0.1:{port};", site)
    (folder / "site.conf").write_text(site)
    temps = "".join(f"{t}_temp_path {folder}/{t};\n"
                    for t in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    # As root, workers would run as "nobody", who cannot write a private folder.
    user = f"user {pwd.getpwuid(0).pw_name};\n" if os.geteuid() == 0 else ""
    (folder / "nginx.conf").write_text(
        f"daemon off;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log;\n{user}"
        f"events {{ worker_connections 64; }}\n"
        f"http {{\naccess_log off;\n{temps}include {folder}/site.conf;\n}}\n")
    args = [NGINX, "-p", str(folder), "-e", str(folder / "error.log"),
            "-c", str(folder / "nginx.conf")]
    check = subprocess.run(args + ["-t"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                            start_new_session=True)
    Daemon.started.append(proc)        # killed with the test's daemons, whatever happens

    wait_for(lambda: listening(proc, port, folder / "error.log"), 10, what="nginx to listen")
    return f"http://127.0.0.1:{port}"


def test_readers_go_to_the_primary_only_while_it_is_caught_up(tmp_path, standin):
    s = standin.server
    catalogs = seeded(s, tmp_path, "standby", "primary", "nginx")
    standby = Daemon(tmp_path / "standby", standin, catalogs["standby"], gerrit=QUICK).start()
    s.hold_queries(True)                        # the primary's bootstrap waits
    primary = Daemon(tmp_path / "primary", standin, catalogs["primary"],
                     gerrit=QUICK).start(wait=False)
    assert primary.get("/healthz")[0] == 503
    url = nginx(tmp_path / "nginx", primary.port, standby.port)

    status, body = get(url + QUERY)
    assert status == 200 and b'"result":true' in body       # the standby's verdict
    assert answered(primary) == 0
    assert get(url + "/healthz")[0] == 200      # a caught-up replica answers it

    s.hold_queries(False)                       # the primary catches up ...
    wait_for(primary.healthy, what="the primary to be caught up")
    wait_for(lambda: get(url + "/api/v1/drivers")[0] == 200 and answered(primary) > 0,
             what="nginx to send readers to the primary")     # after the 1 s cache
    before = answered(standby), answered(primary)
    assert get(url + QUERY)[0] == 200
    assert (answered(standby), answered(primary)) == (before[0], before[1] + 1)

    primary.stop(signal.SIGKILL)                # ... and dies: the standby answers
    status, body = get(url + QUERY)
    assert status == 200 and b'"result":true' in body
    assert answered(standby) == before[0] + 1
