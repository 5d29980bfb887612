"""driverlogd's config: a good one loads, every bad one stops with one clear message."""
import pytest
import yaml

from driverlogd.service import config


@pytest.fixture
def files(tmp_path):
    for name in ("id_ed25519", "known_hosts", "default_data.json"):
        (tmp_path / name).write_text("x")
    return tmp_path


def write(tmp_path, data):
    path = tmp_path / "driverlogd.yaml"
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return str(path)


def good():
    return {"gerrit": {"host": "127.0.0.1", "port": 29418, "username": "driverlog",
                       "key_file": "id_ed25519", "known_hosts": "known_hosts"},
            "catalog": "default_data.json", "state_dir": "state",
            "http": {"host": "127.0.0.1", "port": 8080}}


def test_good_config_resolves_paths_relative_to_itself(files):
    cfg = config.load(write(files, good()))
    assert cfg.key_file == str(files / "id_ed25519")
    assert cfg.state_dir == str(files / "state")
    assert cfg.subscribe == ("comment-added", "change-merged")
    assert cfg.stale_after_days == 30 and cfg.show_emails is False
    assert cfg.publish_dir is None
    cfg = config.load(write(files, dict(good(), publish={"dir": "pub"})))
    assert cfg.publish_dir == str(files / "pub")


def test_shipped_example_is_complete_yaml():
    import pathlib
    example = pathlib.Path(__file__).resolve().parents[1] / "config" / "driverlogd.yaml"
    data = yaml.safe_load(example.read_text())
    assert set(data) <= config._TOP and set(data["gerrit"]) <= config._GERRIT


@pytest.mark.parametrize("mutate, expected", [
    (lambda d: d.pop("gerrit"), "gerrit: must be a mapping"),
    (lambda d: d["gerrit"].pop("host"), "gerrit.host: is required"),
    (lambda d: d["gerrit"].update(port=70000), "gerrit.port: must be a port number"),
    (lambda d: d["gerrit"].update(port="29418"), "gerrit.port: must be a port number"),
    (lambda d: d["gerrit"].update(key_file="missing"), "gerrit.key_file: cannot read"),
    (lambda d: d["gerrit"].update(subscribe=["nonsense"]), "gerrit.subscribe: must be a list"),
    (lambda d: d["gerrit"].update(backoff_initial=0), "gerrit.backoff_initial: must be a positive"),
    (lambda d: d["gerrit"].update(backoff_initial=5, backoff_max=1),
     "gerrit.backoff_max: must be at least gerrit.backoff_initial (5)"),
    (lambda d: d.update(catalog="nope.json"), "catalog: cannot read"),
    (lambda d: d.update(stale_after_days=-1), "stale_after_days: must be a positive number"),
    (lambda d: d.update(retention_days=0), "retention_days: must be a positive number"),
    (lambda d: d.update(show_emails="yes"), "show_emails: must be true or false"),
    (lambda d: d.update(log_level="loud"), "log_level: must be one of"),
    (lambda d: d.update(colour="blue"), "colour: unknown setting"),
    (lambda d: d["http"].update(prot=1), "http.prot: unknown setting"),
    (lambda d: d.update(publish={}), "publish.dir: is required"),
    (lambda d: d.update(publish=None), "publish.dir: is required"),
    (lambda d: d.update(publish="/srv/x"), "publish: must be a mapping"),
    (lambda d: d.update(publish={"dir": "p", "every": 1}), "publish.every: unknown setting"),
])
def test_bad_config_names_the_setting(files, mutate, expected):
    data = good()
    mutate(data)
    with pytest.raises(config.ConfigError) as e:
        config.load(write(files, data))
    assert expected in str(e.value)
    assert str(files / "driverlogd.yaml") in str(e.value)


def test_paths_may_name_the_systemd_credentials_directory(files, monkeypatch):
    creds = files / "creds"
    creds.mkdir()
    (creds / "gerrit_key").write_text("x")
    data = good()
    data["gerrit"]["key_file"] = "${CREDENTIALS_DIRECTORY}/gerrit_key"
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    assert config.load(write(files, data)).key_file == str(creds / "gerrit_key")
    monkeypatch.delenv("CREDENTIALS_DIRECTORY")
    with pytest.raises(config.ConfigError, match=r"gerrit.key_file: \$CREDENTIALS_DIRECTORY "
                                                 r"is not set .*LoadCredential="):
        config.load(write(files, data))


def test_a_default_stands_in_for_an_unset_variable(files, monkeypatch):
    # The shipped example's form: systemd's private copy, else the key in /etc.
    data = good()
    data["gerrit"]["key_file"] = "${CREDENTIALS_DIRECTORY:-%s}/id_ed25519" % files
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    assert config.load(write(files, data)).key_file == str(files / "id_ed25519")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(files / "nowhere"))
    with pytest.raises(config.ConfigError, match="gerrit.key_file: cannot read .*nowhere"):
        config.load(write(files, data))


def test_broken_yaml_gives_line_and_column(files):
    with pytest.raises(config.ConfigError, match=r"driverlogd.yaml:3:1: not valid YAML: expected"):
        config.load(write(files, "gerrit:\n  host: [unclosed\n"))


def test_missing_config_file(tmp_path):
    with pytest.raises(config.ConfigError, match="cannot read config"):
        config.load(str(tmp_path / "absent.yaml"))
