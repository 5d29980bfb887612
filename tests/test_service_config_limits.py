"""The abuse limits in the config: http.* and gerrit.max_clock_skew."""
import pytest

from driverlogd.httplimits import FD_RESERVE, Limits, fitted
from driverlogd.service import config
from tests.test_service_config import files, good, write  # noqa: F401 (fixture)


def test_defaults_and_overrides(files):  # noqa: F811
    cfg = config.load(write(files, good()))
    assert cfg.http_limits == Limits() and cfg.max_clock_skew == 300
    data = good()
    data["http"].update(header_timeout=2.5, max_connections=100, max_idle=10)
    data["gerrit"]["max_clock_skew"] = 60
    cfg = config.load(write(files, data))
    assert (cfg.http_limits.header_timeout, cfg.http_limits.max_connections,
            cfg.http_limits.max_idle, cfg.max_clock_skew) == (2.5, 100, 10, 60)


@pytest.mark.parametrize("section,key,value,says", [
    ("http", "header_timeout", 0, "http.header_timeout: must be a positive number"),
    ("http", "max_idle", "many", "http.max_idle: must be a positive number"),
    ("http", "max_connections", 1.5, "http.max_connections: must be a whole number"),
    ("http", "max_idle", 5000, "http.max_idle: must not exceed"),
    ("http", "max_requests", 5, "http.max_requests: unknown setting"),
    ("gerrit", "max_clock_skew", -1, "gerrit.max_clock_skew: must be a positive number"),
])
def test_bad_limits_name_the_setting(files, section, key, value, says):  # noqa: F811
    data = good()
    data[section][key] = value
    with pytest.raises(config.ConfigError, match=says.replace(".", r"\.")):
        config.load(write(files, data))


def test_connections_shrink_to_the_open_files_limit():
    limits, shrunk = fitted(Limits(), 1024)
    assert shrunk and limits.max_connections == 1024 - FD_RESERVE
    assert limits.max_idle <= limits.max_connections
    assert fitted(Limits(), 1 << 20) == (Limits(), False)
