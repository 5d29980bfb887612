"""How to reach Gerrit: the `gerrit:` section of the daemon's YAML, typed.

Contract (the service builds this from YAML; keep names and meanings):

    GerritConfig(host, port=29418, username, key_file, known_hosts,
                 subscribe=("comment-added", "change-merged"),
                 keepalive_interval=10.0, probe_timeout=10.0,
                 connect_timeout=15.0, command_timeout=60.0,
                 catchup_overlap=300, ...)

Times are seconds. `keepalive_interval` is how long the stream may stay quiet
before the client proves the link alive with a probe that must answer within
`probe_timeout`; the sum is the worst case to notice a half-open link, and is
kept at or under 30 s by default. Backoff between connection attempts is
exponential with full jitter, from `backoff_initial` up to `backoff_max`, and
starts again from the bottom once a connection has stayed up `healthy_after`.
An event stamped more than `max_clock_skew` ahead of our clock is recorded but
counted as `future`, and never moves the stream position past now + skew.
"""
import dataclasses
from typing import Any, Mapping, Tuple

EVENT_TYPE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz-")


@dataclasses.dataclass(frozen=True)
class GerritConfig:
    host: str
    username: str
    key_file: str
    known_hosts: str
    port: int = 29418
    subscribe: Tuple[str, ...] = ("comment-added", "change-merged")
    keepalive_interval: float = 10.0
    probe_timeout: float = 10.0
    connect_timeout: float = 15.0
    command_timeout: float = 60.0
    catchup_overlap: int = 300
    catchup_page: int = 200
    backoff_initial: float = 1.0
    backoff_max: float = 300.0
    healthy_after: float = 120.0
    max_line_bytes: int = 1 << 20          # a stream event
    # One `gerrit query` line is a whole change with every comment: on the
    # busiest changes megabytes, and those are where vendor CIs report most.
    max_query_line_bytes: int = 256 << 20
    max_clock_skew: float = 300.0     # how far ahead of ours Gerrit's clock may run

    def __post_init__(self):
        if not isinstance(self.port, int) or not 0 < self.port < 65536:
            raise ValueError(f"gerrit.port must be 1..65535, not {self.port!r}")
        for name in ("host", "username", "key_file", "known_hosts"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise ValueError(f"gerrit.{name} is required")
        subscribe = tuple(self.subscribe)
        for kind in subscribe:
            # Event type names go on the remote command line: letters and dashes only.
            if not kind or not set(kind) <= EVENT_TYPE_CHARS:
                raise ValueError(f"gerrit.subscribe: {kind!r} is not an event type name")
        object.__setattr__(self, "subscribe", subscribe)
        for name in ("keepalive_interval", "probe_timeout", "connect_timeout",
                     "command_timeout", "backoff_initial", "backoff_max"):
            if not getattr(self, name) > 0:
                raise ValueError(f"gerrit.{name} must be positive")
        if not self.max_clock_skew >= 0:
            raise ValueError("gerrit.max_clock_skew must be >= 0")
        if self.catchup_overlap < 0 or self.catchup_page < 1:
            raise ValueError("gerrit.catchup_overlap must be >= 0 and catchup_page >= 1")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> "GerritConfig":
        """Build from the YAML `gerrit:` mapping; unknown keys are an error, not ignored."""
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - fields)
        if unknown:
            raise ValueError(f"gerrit: unknown setting(s) {', '.join(unknown)}")
        return cls(**dict(data))

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"
