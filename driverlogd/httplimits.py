"""What one HTTP client may hold of the server, as plain settings.

No gevent here: the config reads these before the server exists.
`http:` in the daemon's YAML sets any of them; docs/operations.md lists
each with the metric that counts its refusals.
"""
import dataclasses
import resource
from typing import Tuple

# Descriptors kept back from HTTP for the rest of the daemon: SQLite and its
# WAL, the SSH link, logs, the export, imports.
FD_RESERVE = 64


@dataclasses.dataclass(frozen=True)
class Limits:
    # From a request's first byte to the end of its headers, and its body if any.
    header_timeout: float = 10.0
    # How long a keep-alive connection may wait for its next request.
    idle_timeout: float = 60.0
    # Each read or write while a request is answered (a client that stops reading).
    socket_timeout: float = 30.0
    # Connections open at once; past it the oldest idle one is closed for the new.
    max_connections: int = 1024
    # Idle keep-alive connections kept; past it the oldest is closed.
    max_idle: int = 256
    # Request body bytes (GET and HEAD need none; a few clients send one).
    max_body_bytes: int = 64 * 1024

    NAMES = ("header_timeout", "idle_timeout", "socket_timeout", "max_connections",
             "max_idle", "max_body_bytes")

    def __post_init__(self):
        for name in self.NAMES:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"http.{name} must be a positive number, not {value!r}")
        for name in ("max_connections", "max_idle", "max_body_bytes"):
            if int(getattr(self, name)) != getattr(self, name):
                raise ValueError(f"http.{name} must be a whole number")
        if self.max_idle > self.max_connections:
            raise ValueError("http.max_idle must not exceed http.max_connections")


def raise_fd_limit() -> int:
    """Lift this process's soft limit on open files to its hard limit (no
    privilege needed; systemd starts services at 1024 soft, 512K hard) and
    return it: every connection is a descriptor."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):     # a container may refuse; keep what we have
            pass
    return soft


def fitted(limits: Limits, open_files: int) -> Tuple[Limits, bool]:
    """`limits` with max_connections (and max_idle) within the descriptors we
    have; True when they had to shrink."""
    room = max(16, open_files - FD_RESERVE)
    if limits.max_connections <= room:
        return limits, False
    return dataclasses.replace(limits, max_connections=room,
                               max_idle=min(limits.max_idle, max(1, room // 2))), True
