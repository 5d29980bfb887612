"""When a replica may take readers (/healthz): once it is caught up.

Caught up means both:
- its bootstrap is done: an empty state was filled the batch job's way, and
  each CI's reports on changes not merged read (unmerged.py), and the store
  says so (bootstrap.needs_bootstrap is False). Until then it holds only part
  of the verdicts or votes, so a load balancer must send readers elsewhere.
- its stream is up and no catch-up is running: "streaming". While connecting,
  backing off or catching up (after a start, a reconnect or a dropped-output)
  it knows it is behind Gerrit by the catch-up's span.

A reload that bootstraps CI accounts new to the catalog does not take a ready
replica out: every verdict it served before is still there and current, the
new accounts' verdicts were on no replica before the reload, and replicas
reload together, so taking each out would take them all out. The reason says so.
A start that bootstraps them (a reload's bootstrap cut short, or a catalog
changed while stopped) counts the same.

Pure: the service feeds it what it knows and publishes the answer.
"""
import dataclasses
from typing import Optional, Tuple


@dataclasses.dataclass
class Readiness:
    # Why the initial bootstrap is not done, None once it is.
    bootstrap: Optional[str] = "starting"
    stream: str = "stopped"
    stream_reason: str = "not started"
    # Reloads bootstrapping new CI accounts, now.
    account_bootstraps: int = 0

    def answer(self) -> Tuple[bool, str]:
        """(ready, why) for /healthz and sd_notify's STATUS."""
        if self.bootstrap is not None:
            return False, f"bootstrapping: {self.bootstrap}"
        if self.stream != "streaming":
            return False, self.stream_reason
        if self.account_bootstraps:
            return True, (f"{self.stream_reason}; bootstrapping CI accounts new to the "
                          "catalog (their verdicts follow)")
        return True, self.stream_reason
