"""Export the merged catalog (catalog + each driver's verdicts per release)
as one JSON file for static front-ends, written atomically, at most once per
`min_interval` under a burst (coalesce.py).
"""
import json
import logging
import os
import tempfile
import time

from driverlogd.catalog.model import format_start
from driverlogd.coalesce import Coalescer

log = logging.getLogger(__name__)


def document(recorder, show_emails: bool = False, now=None) -> dict:
    """The merged catalog: the catalog's own fields, and per driver
    `ci_state` and `verdicts` ({release id: {"result", "review_url",
    "comment", "timestamp", "change", "patchset"}}). E-mail addresses only
    with `show_emails`."""
    catalog = recorder.catalog
    now = time.time() if now is None else now
    states = recorder.reads.states(now)
    drivers = []
    for d in catalog.drivers:
        item = {"project_id": d.project_id, "vendor": d.vendor, "name": d.name,
                "description": d.description, "wiki": d.wiki}
        if d.repo:
            item["repo"] = d.repo
        item["maintainers"] = [
            {k: v for k, v in (("name", m.name), ("email", m.email if show_emails else None),
                               ("irc", m.irc), ("launchpad_id", m.launchpad_id)) if v}
            for m in d.maintainers]
        item["releases"] = list(d.releases)
        if d.ci:
            item["ci"] = {"id": d.ci.id, "success_pattern": d.ci.success_pattern,
                          "failure_pattern": d.ci.failure_pattern}
        item["ci_state"] = states[d.key]
        item["verdicts"] = {
            rel: {k: v[k] for k in ("result", "review_url", "comment", "timestamp",
                                    "change", "patchset")}
            for rel, v in sorted(recorder.reads.verdicts(d.key).items())}
        drivers.append(item)
    return {"generated_at": int(now),
            "projects": [{"id": p.id, "name": p.name} for p in catalog.projects],
            "releases": [dict({"id": r.id, "wiki": r.wiki, "start": format_start(r.start),
                               "active": r.active}, **({"series": r.series} if r.series else {}))
                         for r in catalog.releases],
            "drivers": drivers}


def write_atomic(path: str, data: bytes):
    """Readers see the old file or the new one, never a part: temp file in
    the same folder, fsync, rename, fsync the folder."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".export-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    dirfd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dirfd)
    finally:
        os.close(dirfd)


class Exporter(Coalescer):
    name = "export"

    def __init__(self, path: str, recorder, min_interval: float = 1.0,
                 show_emails: bool = False):
        self.path = path
        self.show_emails = show_emails
        super().__init__(recorder, min_interval)

    def write(self) -> bool:
        try:
            with self.recorder.lock:
                doc = document(self.recorder, self.show_emails)
            write_atomic(self.path, json.dumps(doc, indent=1, sort_keys=True).encode())
        except (OSError, ValueError) as e:
            log.error("export to %s failed: %s", self.path, e)
            return False
        return True
