"""Shared fixtures. `standin`: a running local Gerrit over real SSH on loopback.

    def test_x(standin):
        n = standin.server.create_change("openstack/nova")
        config = standin.config(keepalive_interval=1)   # a GerritConfig that logs in to it

Host key and client key are generated in tmp_path; known_hosts names the host key.
"""
import dataclasses
from pathlib import Path

import pytest

from driverlogd.gerrit.config import GerritConfig
from driverlogd.standin import StandIn, generate_key, write_known_hosts
from tests import processes


def pytest_configure(config):
    processes.mark_session()


def pytest_sessionfinish(session, exitstatus):
    """No process of ours outlives the suite: the ones left are listed, killed,
    and fail the run."""
    left = processes.leftovers()
    if left:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        lines = "\n".join(f"  {pid}: {cmd}" for pid, cmd in sorted(left.items()))
        if reporter:
            reporter.write_line(f"\nprocesses left running by the tests (killed):\n{lines}",
                                red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def _reap_daemons():
    """Whatever a test did, the daemons it started stop with it."""
    from tests.service_support import Daemon
    yield
    while Daemon.started:
        processes.kill_group(Daemon.started.pop())


@dataclasses.dataclass
class RunningStandIn:
    server: StandIn
    host_key: Path
    client_key: Path
    known_hosts: Path

    def config(self, **overrides) -> GerritConfig:
        """A config for this stand-in with quick test timings; override any field."""
        values = dict(host="127.0.0.1", port=self.server.port, username="driverlog",
                      key_file=str(self.client_key), known_hosts=str(self.known_hosts),
                      keepalive_interval=2.0, probe_timeout=2.0, connect_timeout=5.0,
                      command_timeout=10.0, backoff_initial=0.05, backoff_max=0.5)
        values.update(overrides)
        return GerritConfig(**values)


@pytest.fixture
def standin(tmp_path):
    host_key, client_key = tmp_path / "standin_host_key", tmp_path / "driverlog_key"
    generate_key(host_key)
    public = generate_key(client_key)
    server = StandIn(str(host_key), [public], port=0).start()
    known_hosts = tmp_path / "known_hosts"
    write_known_hosts(known_hosts, "127.0.0.1", server.port, host_key)
    try:
        yield RunningStandIn(server, host_key, client_key, known_hosts)
    finally:
        server.stop()
