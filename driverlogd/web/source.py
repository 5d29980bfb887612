"""What the web layer reads, and nothing more.

The web layer never touches the store, the recorder or Gerrit: it reads one
object that satisfies `ReadModel`. The service adapts its recorder to it; the
tests use `tests/webfake.py`. All methods are called from gevent greenlets on
the hub's thread and must not block for long (no network I/O; a SQLite read
is fine).

Shapes (every timestamp is seconds since the epoch, int or float):

Verdict  (one per driver and release; the newest result on merged code)
    {"result": bool,            # True = the CI passed
     "state": "passing"|"failing"|"silent",   # optional; derived from
                                # "result" when absent. "silent" = older than
                                # the configured stale_after
     "comment": str,            # the matched line of the CI's comment
     "timestamp": number,       # when the CI commented
     "review_url": str,         # the change's URL
     "change": int|str|None,    # change number
     "patchset": int|None}

CIHealth (a driver's recent votes: the rates, not the daemon's readiness)
    {"last_vote": number|None, "last_result": bool|None,
     "votes": int, "pass_rate": float|None, "flip_rate": float|None}
    The verdict engine's own shape, {"last_vote", "last_result",
    "last_n": {"votes", "pass_rate", "flip_rate"}, "last_30d": {...}}, is
    accepted as is: "last_n" is read as the headline figures.

Vote     (newest first)
    {"result": bool, "comment": str, "timestamp": number, "review_url": str,
     "change": int|str|None, "patchset": int|None, "branch": str,
     "release": str|None}

Change   (a verdict-state change, for the Atom feed)
    {"generation": int, "key": (project_id, vendor, name),
     "release": str|None,       # None = the driver's overall state
     "old_state": str|None, "new_state": str,  # one of verdict.STATES
     "timestamp": number, "review_url": str|None}
"""
from typing import List, Optional, Set, Tuple

try:  # Python 3.8+: typing.Protocol
    from typing import Protocol
except ImportError:  # pragma: no cover
    Protocol = object

from driverlogd.catalog.model import Catalog, DriverKey


class ReadModel(Protocol):
    #: The catalog in service; replaced (not mutated) on reload.
    catalog: Catalog
    #: Bumps on every vote, verdict or state change and on catalog reload.
    #: The web layer caches by it: if data changes without a bump, the API
    #: serves the old data until the next bump (or at most `max_age` seconds,
    #: see `make_app`, which is how time-driven "silent" shows up).
    generation: int
    #: Whether maintainers' e-mail addresses may be shown.
    show_emails: bool

    def driver_status(self, key: DriverKey) -> dict:
        """{"state": one of verdict.STATES,
            "releases": {release_id: Verdict},  # only releases with a verdict
            "health": CIHealth}
        Must answer for every key of `catalog` (state "unseen"/"none" when
        nothing is known)."""

    def votes(self, key: DriverKey, limit: int = 50) -> List[dict]:
        """The driver's newest `limit` votes (Vote), newest first."""

    def health_30d(self, key: DriverKey) -> dict:
        """{"votes": int, "pass_rate": float|None, "flip_rate": float|None}
        over the driver's votes of the last 30 days."""

    def reports(self, account: str, repo: Optional[str], limit: int) -> List[dict]:
        """The CI account's newest `limit` stored reports on `repo` (all its
        repositories when None), newest first: {"message", "project", "change",
        "patchset", "branch", "review_url", "timestamp"}. For the try endpoint
        and the driver's diagnosis (trial.py)."""

    def changes(self, since_generation: int = 0, limit: int = 100) -> List[dict]:
        """Verdict-state changes (Change) with generation > since_generation,
        newest first, at most `limit`."""

    def readiness(self) -> Tuple[bool, str]:
        """Readiness, for /healthz: (ready, why): ready once the catalog is loaded and the stream is
        connected or recovering; `why` is a short human sentence."""

    # Optional. When present, the web layer refreshes only the drivers named
    # instead of rebuilding all of them on every generation bump, and
    # /api/v1/events pushes just those rows (without it: `reload` events).
    def changed_keys(self, since_generation: int) -> Optional[Set[DriverKey]]:
        """Keys whose driver_status may differ from what it was at
        `since_generation`; None when unknown (the web layer then rebuilds
        everything)."""

    def add_listener(self, fn) -> None:
        """Call `fn()` (no arguments) after every generation bump, from any
        thread; it wakes /api/v1/events' streams, which push the changed
        rows at once."""
