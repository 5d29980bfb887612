"""What the replica tests share (tests/test_replicas_*.py): a load balancer
shipped in config/, run for real on loopback in front of two real daemons."""
import socket
import urllib.error
import urllib.request

from tests.service_support import small_catalog

NOVA, CI = "openstack/nova", "acme-compute-ci"
PASS = "Build succeeded.\n\n- acme-nova-vgpu https://ci.acme.example/logs/%d/ : SUCCESS in 41m"
QUICK = ", backoff_initial: 0.05, backoff_max: 0.5"
QUERY = "/api/v1/drivers?vendor=Acme%20Compute"


def seeded(server, tmp_path, *names):
    """A merged change with a passing report of CI's, for a bootstrap to read,
    and a folder holding the small catalog for each of `names`: each catalog's path."""
    number = server.create_change(NOVA)
    server.merge(number)
    server.add_comment(number, None, CI, PASS % 1)
    catalogs = {}
    for name in names:
        (tmp_path / name).mkdir()
        catalogs[name] = tmp_path / name / "default_data.json"
        small_catalog(catalogs[name])
    return catalogs


def listening(proc, port, log):
    """For wait_for: the balancer's port takes connections; its log when it died."""
    assert proc.poll() is None, log.read_text() if log.exists() else ""
    try:
        socket.create_connection(("127.0.0.1", port), 0.5).close()
        return True
    except OSError:
        return False


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def answered(daemon):
    """How many /api/v1 requests the daemon has answered (a balancer's checks
    ask /healthz, which is counted apart)."""
    for line in daemon.get("/metrics")[1].decode().splitlines():
        if line.startswith('driverlog_http_request_duration_seconds_count{handler="api_v1"}'):
            return float(line.split()[-1])
    return 0.0
