"""driverlogd's YAML config: validated once at start, with one clear message.

The shape is documented in config/driverlogd.yaml. Paths are relative to the
config file's folder, so a config and its keys can travel together, and may
name environment variables, shell-style: `${CREDENTIALS_DIRECTORY:-/etc/driverlog}`
is where systemd's LoadCredential= puts the SSH key for the service alone, or,
outside systemd (--check-config, --daemonize), /etc/driverlog.
"""
import dataclasses
import os
import re
from typing import Optional, Tuple

import yaml

from driverlogd.gerrit.position import DEFAULT_MAX_CLOCK_SKEW
from driverlogd.httplimits import Limits

SUBSCRIBABLE = ("comment-added", "change-merged", "patchset-created", "change-abandoned",
                "change-restored", "ref-updated")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
ENV_REF = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}|\$(\w+)")   # $X, ${X}, ${X:-default}


class ConfigError(Exception):
    """Bad config: the message names the file and the setting."""


@dataclasses.dataclass(frozen=True)
class Config:
    path: str
    gerrit_host: str
    gerrit_port: int
    gerrit_username: str
    key_file: str
    known_hosts: str
    subscribe: Tuple[str, ...]
    catalog: str
    state_dir: str
    http_host: str
    http_port: int
    stale_after_days: float = 30.0
    export_path: Optional[str] = None
    publish_dir: Optional[str] = None
    log_level: str = "INFO"
    show_emails: bool = False
    bootstrap_limit: int = 50
    max_clock_skew: float = DEFAULT_MAX_CLOCK_SKEW
    backoff_initial: float = 1.0
    backoff_max: float = 300.0
    http_limits: Limits = Limits()
    retention_days: float = 90.0


_TOP = {"gerrit", "catalog", "state_dir", "http", "stale_after_days", "export",
        "log_level", "show_emails", "bootstrap_limit", "retention_days", "publish"}
_GERRIT = {"host", "port", "username", "key_file", "known_hosts", "subscribe", "max_clock_skew",
           "backoff_initial", "backoff_max"}
_HTTP = {"host", "port", *Limits.NAMES}
_PUBLISH = {"dir"}


def load(path: str) -> Config:
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise ConfigError(f"{path}: cannot read config: {e.strerror}") from None
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as e:
        where = getattr(e, "problem_mark", None)
        at = f":{where.line + 1}:{where.column + 1}" if where else ""
        raise ConfigError(f"{path}{at}: not valid YAML: {getattr(e, 'problem', e)}") from None
    return parse(data, path)


def parse(data, path: str) -> Config:
    base = os.path.dirname(os.path.abspath(path))
    p = _Parser(path, base)
    top = p.mapping(data, "", _TOP)
    gerrit = p.mapping(top.get("gerrit"), "gerrit", _GERRIT, required=True)
    http = p.mapping(top.get("http", {}), "http", _HTTP)
    publish = p.mapping(top.get("publish"), "publish", _PUBLISH)
    subscribe = gerrit.get("subscribe", ["comment-added", "change-merged"])
    if not isinstance(subscribe, list) or not subscribe or \
            any(s not in SUBSCRIBABLE for s in subscribe):
        p.fail("gerrit.subscribe", f"must be a list of event types from {', '.join(SUBSCRIBABLE)}")
    backoff_initial = p.number(gerrit.get("backoff_initial", 1.0), "gerrit.backoff_initial")
    backoff_max = p.number(gerrit.get("backoff_max", 300.0), "gerrit.backoff_max")
    if backoff_max < backoff_initial:
        p.fail("gerrit.backoff_max", f"must be at least gerrit.backoff_initial ({backoff_initial})")
    level = str(top.get("log_level", "INFO")).upper()
    if level not in LOG_LEVELS:
        p.fail("log_level", f"must be one of {', '.join(LOG_LEVELS)}")
    return Config(
        path=os.path.abspath(path),
        gerrit_host=p.string(gerrit, "gerrit.host", "host"),
        gerrit_port=p.port(gerrit.get("port", 29418), "gerrit.port"),
        gerrit_username=p.string(gerrit, "gerrit.username", "username"),
        key_file=p.readable(p.string(gerrit, "gerrit.key_file", "key_file"), "gerrit.key_file"),
        known_hosts=p.readable(p.string(gerrit, "gerrit.known_hosts", "known_hosts"),
                               "gerrit.known_hosts"),
        subscribe=tuple(subscribe),
        catalog=p.readable(p.string(top, "catalog", "catalog"), "catalog"),
        state_dir=p.path(p.string(top, "state_dir", "state_dir"), "state_dir"),
        http_host=str(http.get("host", "127.0.0.1")),
        http_port=p.port(http.get("port", 8080), "http.port", allow_zero=True),
        stale_after_days=p.number(top.get("stale_after_days", 30), "stale_after_days"),
        export_path=p.path(top["export"], "export") if top.get("export") else None,
        publish_dir=(p.path(p.string(publish, "publish.dir", "dir"), "publish.dir")
                     if "publish" in top else None),
        log_level=level,
        show_emails=p.boolean(top.get("show_emails", False), "show_emails"),
        bootstrap_limit=int(p.number(top.get("bootstrap_limit", 50), "bootstrap_limit")),
        max_clock_skew=p.number(gerrit.get("max_clock_skew", DEFAULT_MAX_CLOCK_SKEW),
                                "gerrit.max_clock_skew"),
        backoff_initial=backoff_initial,
        backoff_max=backoff_max,
        http_limits=p.limits(http),
        retention_days=p.number(top.get("retention_days", 90), "retention_days"),
    )


class _Parser:
    def __init__(self, path, base):
        self.file, self.base = path, base

    def fail(self, setting, message):
        raise ConfigError(f"{self.file}: {setting}: {message}")

    def mapping(self, value, name, allowed, required=False):
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            self.fail(name or "(top level)", "must be a mapping")
        unknown = sorted(set(map(str, value)) - allowed)
        if unknown:
            where = f"{name}." if name else ""
            self.fail(where + unknown[0], f"unknown setting (known: {', '.join(sorted(allowed))})")
        return value

    def string(self, section, setting, key):
        value = section.get(key)
        if not isinstance(value, str) or not value.strip():
            self.fail(setting, "is required and must be a non-empty string")
        return value

    def path(self, value, setting):
        def env(m):
            name = m.group(1) or m.group(3)
            if os.environ.get(name) is None and m.group(2) is not None:
                return m.group(2)
            if name not in os.environ:
                hint = (" (systemd sets it for LoadCredential=)"
                        if name == "CREDENTIALS_DIRECTORY" else "")
                self.fail(setting, f"${name} is not set in the environment{hint}")
            return os.environ[name]
        value = ENV_REF.sub(env, os.path.expanduser(str(value)))
        return os.path.normpath(os.path.join(self.base, value))

    def readable(self, value, setting):
        full = self.path(value, setting)
        try:
            with open(full, "rb"):
                pass
        except OSError as e:
            self.fail(setting, f"cannot read {full}: {e.strerror}")
        return full

    def port(self, value, setting, allow_zero=False):
        low = 0 if allow_zero else 1
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= 65535:
            self.fail(setting, f"must be a port number ({low}-65535)")
        return value

    def number(self, value, setting):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            self.fail(setting, "must be a positive number")
        return value

    def limits(self, http):
        try:
            return Limits(**{k: http[k] for k in Limits.NAMES if k in http})
        except ValueError as e:
            self.fail(str(e).split(" ", 1)[0], str(e).split(" ", 1)[1])

    def boolean(self, value, setting):
        if not isinstance(value, bool):
            self.fail(setting, "must be true or false")
        return value
