"""Every Prometheus metric DriverLog exports, in one place.

Components take a `Metrics` so tests can give each service its own registry.
Labelled series are created up front so dashboards see zeros, not gaps.
"""
import prometheus_client
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily

from driverlogd.verdict.promotion import REASONS as QUESTION_REASONS
from driverlogd.verdict.state import STATES as CI_STATES

# The `_created` series of every counter and histogram doubled /metrics, and
# nothing reads them (Prometheus ignores them in the text format).
prometheus_client.disable_created_metrics()

EVENT_TYPES = ("comment-added", "change-merged", "dropped-output", "other")
BAD_EVENT_REASONS = ("oversized", "invalid_utf8", "invalid_json", "malformed", "future")
RELOAD_RESULTS = ("success", "failure")
HTTP_HANDLERS = ("dashboard", "static", "api_v1", "api_1_0", "badge", "healthz", "metrics",
                 "other")
HTTP_CODES = ("200", "304", "400", "404", "405", "408", "413", "414", "429", "431", "500",
              "503")
# Why a request was refused (4xx): the app's reasons, then the server's.
HTTP_BAD_REQUEST_REASONS = ("method", "too_large", "bad_query", "bad_pattern", "rate_limited",
                            "not_found", "malformed", "timeout")
# Why the server closed a connection itself (web/server.py).
HTTP_CLOSE_REASONS = ("idle_timeout", "idle_limit", "capacity", "busy", "lost")


class Metrics:
    def __init__(self, registry=None):
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        p = "driverlog_"
        self.stream_up = Gauge(p + "stream_up", "1 while the Gerrit event stream is connected", registry=r)
        self.stream_connects = Counter(p + "stream_connects_total", "Successful stream connections", registry=r)
        self.stream_disconnects = Counter(p + "stream_disconnects_total", "Stream connections lost", registry=r)
        self.stream_connect_failures = Counter(
            p + "stream_connect_failures_total", "Failed connection attempts by reason",
            ["reason"], registry=r)
        for reason in ("host_key", "auth", "network", "command"):
            self.stream_connect_failures.labels(reason)
        self.events = Counter(p + "events_total", "Events received by type", ["type"], registry=r)
        for t in EVENT_TYPES:
            self.events.labels(t)
        self.bad_events = Counter(p + "bad_events_total", "Stream lines skipped by reason",
                                  ["reason"], registry=r)
        for reason in BAD_EVENT_REASONS:
            self.bad_events.labels(reason)
        self.catchup_runs = Counter(p + "catchup_runs_total", "Catch-up queries run", registry=r)
        self.catchup_events = Counter(p + "catchup_events_total", "Events recovered by catch-up", registry=r)
        # One targeted `gerrit query` per change the rules were unsure of.
        self.questions = Counter(p + "gerrit_questions_total",
                                 "Changes asked about with one gerrit query, by reason and outcome",
                                 ["reason", "outcome"], registry=r)
        for reason in QUESTION_REASONS:
            for outcome in ("answered", "failed"):
                self.questions.labels(reason, outcome)
        self.questions_waiting = Gauge(p + "gerrit_questions_waiting",
                                       "Changes waiting to be asked about", registry=r)
        self.event_lag = Histogram(
            p + "event_lag_seconds", "Now minus eventCreatedOn when an event is processed",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600, 86400), registry=r)
        self.last_event_timestamp = Gauge(p + "last_event_timestamp_seconds",
                                          "eventCreatedOn of the last processed event", registry=r)
        self.votes = Counter(p + "votes_total", "CI votes recorded", ["result"], registry=r)
        for res in ("pass", "fail"):
            self.votes.labels(res)
        self.verdict_changes = Counter(p + "verdict_changes_total", "Verdicts created or replaced", registry=r)
        self.drivers = Gauge(p + "drivers", "Drivers by CI state", ["state"], registry=r)
        for s in CI_STATES:
            self.drivers.labels(s)
        # Per CI account, not per driver: enough to alert on.
        self.ci_last_vote = PerCI(p + "ci_last_vote_timestamp_seconds",
                                  "Time of the newest vote by each vendor CI account", r)
        self.ci_failing_drivers = PerCI(p + "ci_failing_drivers",
                                        "Drivers of each vendor CI account whose state is failing",
                                        r)
        self.catalog_reloads = Counter(p + "catalog_reloads_total", "Catalog reloads by result",
                                       ["result"], registry=r)
        for res in RELOAD_RESULTS:
            self.catalog_reloads.labels(res)
        self.reports_pruned = Counter(p + "reports_pruned_total",
                                      "CI reports (with their votes) pruned past retention_days",
                                      registry=r)
        self.store_write = Histogram(p + "store_write_seconds", "Time to commit one event's effects",
                                     buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1),
                                     registry=r)
        self.http_bad_requests = Counter(p + "http_bad_requests_total", "HTTP requests refused by reason",
                                         ["reason"], registry=r)
        for reason in HTTP_BAD_REQUEST_REASONS:
            self.http_bad_requests.labels(reason)
        self.http_connections_closed = Counter(
            p + "http_connections_closed_total", "HTTP connections the server closed, by reason",
            ["reason"], registry=r)
        for reason in HTTP_CLOSE_REASONS:
            self.http_connections_closed.labels(reason)
        self.http_connections = Gauge(p + "http_connections", "HTTP connections open, and idle",
                                      ["state"], registry=r)
        for state in ("open", "idle"):
            self.http_connections.labels(state)
        # Time to build an answer, not to send it: a slow client must not look like a slow API.
        self.http_request_seconds = Histogram(
            p + "http_request_duration_seconds", "Time to build an HTTP answer, by handler",
            ["handler"], buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
            registry=r)
        for h in HTTP_HANDLERS:
            self.http_request_seconds.labels(h)
        self.http_responses = Counter(p + "http_responses_total", "HTTP answers by status code",
                                      ["code"], registry=r)
        for code in HTTP_CODES:
            self.http_responses.labels(code)
        # The static publication (publish: {dir: ...}), when configured.
        self.publications = Counter(p + "publication_generations_total",
                                    "Generations of the static publication made current",
                                    registry=r)
        self.publication_seconds = Histogram(
            p + "publication_duration_seconds",
            "Time to render and write a generation of the static publication",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30), registry=r)
        self.publication_failures = Counter(p + "publication_failures_total",
                                            "Attempts to publish a generation that failed",
                                            registry=r)
        self.publication_skipped = Gauge(p + "publication_skipped_urls",
                                         "URLs left out of the publication: no file name "
                                         "can stand for them", registry=r)


def observe_many(histogram, value: float, count: int) -> None:
    """`count` observations of `value`, as `count` calls of observe() would
    record them, for the cost of one (a burst's events share their stamps).
    Uses the client's per-bucket values; falls back to a loop without them."""
    try:
        bounds, buckets, total = histogram._upper_bounds, histogram._buckets, histogram._sum
    except AttributeError:
        for _ in range(count):
            histogram.observe(value)
        return
    total.inc(value * count)
    for bound, bucket in zip(bounds, buckets):
        if value <= bound:
            bucket.inc(count)
            break


class PerCI:
    """A gauge labelled by CI account, set whole (`set_all`, each tick) and read
    when scraped. A labelled Gauge keeps an object per series, with two locks
    (gevent's, in the daemon): ~680 bytes each, 4.5 MB for the 3,334 accounts
    of a 10,000-driver catalog. Accounts left out of `set_all` are not exported."""

    def __init__(self, name, documentation, registry):
        self.name = name
        self.documentation = documentation
        self.values = {}
        registry.register(self)

    def set_all(self, values):
        self.values = dict(values)     # replaced, never changed: scrapes read a whole one

    def describe(self):
        return [GaugeMetricFamily(self.name, self.documentation, labels=["ci_id"])]

    def collect(self):
        family = GaugeMetricFamily(self.name, self.documentation, labels=["ci_id"])
        for ci_id, value in self.values.items():
            family.add_metric([ci_id], value)
        yield family
