"""The Prometheus gauges that age with time: drivers by CI state, and per CI
account its newest vote and its failing drivers (what the alert rules read).
The service's periodic tick sets them."""
from typing import Dict

from driverlogd.verdict.state import STATES


def refresh(metrics, reads, states) -> None:
    """Set the gauges from `states` (key -> state, as Reads.states() gives)."""
    counts = dict.fromkeys(STATES, 0)
    for state in states.values():
        counts[state] += 1
    for state, n in counts.items():
        metrics.drivers.labels(state).set(n)
    failing: Dict[str, int] = {}
    last: Dict[str, int] = {}
    with reads.lock:
        for d in reads.catalog.drivers:
            if d.ci is None:
                continue
            failing[d.ci.id] = failing.get(d.ci.id, 0) + (states.get(d.key) == "failing")
            voted = reads.view.last_vote(d.key)
            if voted is not None and voted > last.get(d.ci.id, -1):
                last[d.ci.id] = voted
    # Set whole: accounts gone from the catalog stop being exported.
    metrics.ci_failing_drivers.set_all(failing)
    metrics.ci_last_vote.set_all(last)
