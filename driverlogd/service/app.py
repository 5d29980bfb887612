"""driverlogd's wiring: catalog → store → recorder ← stream; web reads the recorder.

Greenlets: the Gerrit stream (after a bootstrap on an empty store, retried
with backoff while a query of it fails: bootstrapping.py), the asker
(questions the rules could not answer alone), the HTTP server, a ticker
(metrics, the change feed), the export and the static publication (each
coalescing its writes), retention (old reports pruned hourly), the systemd
watchdog.
Signals: SIGHUP reloads the catalog through the gate's checks; SIGTERM and
SIGINT stop within seconds.
"""
import gc
import logging
import os
import signal
import time

import gevent
import gevent.event

from driverlogd import bootstrap as bootstrap_mod
from driverlogd import catalog as catalog_mod
from driverlogd import retention
from driverlogd.asker import Asker
from driverlogd.export import Exporter
from driverlogd.gerrit import quoting
from driverlogd.gerrit.config import GerritConfig
from driverlogd.gerrit.query import GerritQuery
from driverlogd.gerrit.ssh import connect
from driverlogd.gerrit.stream import StreamClient
from driverlogd.metrics import Metrics
from driverlogd.publish import Publisher
from driverlogd.readside import gauges
from driverlogd.readside.live import LiveReadModel
from driverlogd.recorder import Recorder
from driverlogd.service.bootstrapping import Bootstraps
from driverlogd.service.readiness import Readiness
from driverlogd.service.sdnotify import Notifier
from driverlogd.store.db import Store, StoreError
from driverlogd.verdict.votes import ci_groups
from driverlogd.web import make_app, serve

log = logging.getLogger("driverlogd")
TICK_SECONDS = 2.0


def catchup_scope(catalog) -> str:
    """Catch-up asks only about the repositories some vendor CI comments on: after
    an outage, a big Gerrit's other projects are most of what changed."""
    repos = {repo for _, repo in ci_groups(catalog)}
    if not repos:
        return ""
    try:
        return quoting.any_of("project", repos)
    except quoting.UnsafeValue as e:
        log.warning("catch-up will read every project: %s", e)
        return ""


def _freeze_heap():
    """Keep what lives as long as the catalog (drivers, patterns, the read
    model) out of the cyclic collector's way: with 10,000 drivers a full
    collection walked ~160k objects, 60-100 ms during which neither the stream
    nor any HTTP request moved, and a stream burst brought one every ~10 MB.
    Unfrozen first: after a reload, the old catalog's cycles must be collectable."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


class Service:
    def __init__(self, cfg, metrics=None, notifier=None):
        self.cfg = cfg
        self.metrics = metrics or Metrics()
        self.notifier = notifier or Notifier()
        self.stopping = gevent.event.Event()
        self.exporter = None
        self.publisher = None
        self.stream = None
        self.readiness = Readiness()
        self._retry = None          # the greenlet retrying an incomplete bootstrap

    # -- start ----------------------------------------------------------------

    def run(self, catalog=None) -> int:
        """Serve until stopped; `catalog` is the one the preflight checks loaded.
        Returns the exit status: 0 after a clean stop, 2 when it cannot start."""
        try:
            workers = self._start(catalog or catalog_mod.load(self.cfg.catalog))
            _freeze_heap()
        except (OSError, StoreError) as e:
            # A busy port, an unwritable state_dir: say which, no traceback.
            log.error("cannot start: %s", e)
            return 2
        self.stopping.wait()
        self._shutdown(workers)
        return 0

    def _start(self, catalog):
        cfg = self.cfg
        try:
            os.makedirs(cfg.state_dir, exist_ok=True)
        except OSError as e:
            raise OSError(f"state_dir {cfg.state_dir}: {e.strerror}") from None
        self.store = Store(os.path.join(cfg.state_dir, "driverlog.sqlite3"))
        watched = self.store.watching()     # before the recorder watches this catalog's
        self.recorder = Recorder(self.store, catalog, self.metrics,
                                 stale_after=cfg.stale_after_days * 86400,
                                 max_clock_skew=cfg.max_clock_skew)
        if not bootstrap_mod.needs_bootstrap(self.store):
            self.readiness.bootstrap = None
            # CI accounts added while the daemon was stopped: as a reload's.
            bootstrap_mod.add_pending(self.store, set(ci_groups(catalog)) - set(watched))
        self.model = LiveReadModel(self.recorder, show_emails=cfg.show_emails)
        if cfg.export_path:
            self.exporter = Exporter(cfg.export_path, self.recorder, show_emails=cfg.show_emails)
            self.exporter.start()
        self.gerrit = GerritConfig(host=cfg.gerrit_host, port=cfg.gerrit_port,
                                   username=cfg.gerrit_username, key_file=cfg.key_file,
                                   known_hosts=cfg.known_hosts, subscribe=cfg.subscribe,
                                   max_clock_skew=cfg.max_clock_skew,
                                   backoff_initial=cfg.backoff_initial,
                                   backoff_max=cfg.backoff_max)
        self.bootstraps = Bootstraps(self.gerrit, self.recorder, self.store, self.metrics,
                                     self.readiness, self._publish_readiness, self.stopping,
                                     cfg.bootstrap_limit)
        app = make_app(self.model, self.metrics)
        try:
            self.server = serve(app, cfg.http_host, cfg.http_port,
                                limits=cfg.http_limits, metrics=self.metrics)
        except OSError as e:
            raise OSError(f"cannot listen on {cfg.http_host}:{cfg.http_port}: {e.strerror}") \
                from None
        if cfg.publish_dir:
            # The publication renders through the same app, and snapshot, as HTTP.
            try:
                self.publisher = Publisher(cfg.publish_dir, self.recorder, app, self.metrics)
            except OSError as e:
                raise OSError(f"publish.dir {cfg.publish_dir}: {e.strerror}") from None
            self.publisher.start()
        log.info("serving http://%s:%d/ with %d drivers", cfg.http_host,
                 self.server.server_port, len(catalog.drivers))
        self.asker = Asker(self.recorder, self._ask_gerrit, self.metrics,
                           retry_first=self.gerrit.backoff_initial,
                           retry_max=self.gerrit.backoff_max)
        self.stream = StreamClient(self.gerrit, self.recorder, self.metrics,
                                   on_state=self._stream_state,
                                   catchup_extra=catchup_scope(catalog))
        for sig in (signal.SIGTERM, signal.SIGINT):
            gevent.signal_handler(sig, self.stop)
        gevent.signal_handler(signal.SIGHUP, lambda: gevent.spawn(self.reload))
        self._publish_readiness()
        workers = [gevent.spawn(self._follow), gevent.spawn(self._tick),
                   gevent.spawn(self.asker.run, self.stopping),
                   gevent.spawn(retention.run, self.recorder, cfg.retention_days, self.stopping,
                                self.metrics)]
        if self.notifier.watchdog_interval:
            workers.append(gevent.spawn(self._watchdog))
        # READY=1 means "up and serving", not "caught up": a bootstrap may take
        # longer than systemd waits for a start. STATUS= and /healthz say which.
        self.notifier.ready(f"serving {len(catalog.drivers)} drivers on port "
                            f"{self.server.server_port}")
        return workers

    def _follow(self):
        """Bootstrap an empty store the batch job's way, then follow the stream."""
        if bootstrap_mod.needs_bootstrap(self.store):
            started = int(time.time())
            ran = self.bootstraps.run(self.recorder.catalog)
            if self.stopping.is_set():
                return
            if ran and self.recorder.position() is None:
                # Nothing found: stream from the bootstrap's start, not from now.
                self.recorder.mark_position(started)
            if ran and bootstrap_mod.needs_bootstrap(self.store):
                # Some query failed: the stream goes on meanwhile (recording is
                # idempotent), and /healthz stays 503 until a retry completes.
                self._retry = gevent.spawn(self.bootstraps.until_done)
        else:
            self.bootstraps.pending()
        self.stream.run()

    def _ask_gerrit(self, queries):
        """The asker's queries on one connection of its own: per query, the
        events of Gerrit's answer (a GerritError when it cannot be reached)."""
        conn = connect(self.gerrit)
        try:
            client = GerritQuery(self.gerrit, self.metrics, connection=conn)
            for q in queries:
                yield list(client.events(q))
        finally:
            conn.close()

    # -- state, health, periodic work ------------------------------------------

    def _stream_state(self, state, reason):
        self.readiness.stream, self.readiness.stream_reason = state, reason
        self._publish_readiness()

    def _publish_readiness(self):
        ready, why = self.readiness.answer()
        self.model.set_readiness(ready, why)
        self.notifier.status(why)

    def _tick(self):
        first = True
        while not self.stopping.wait(TICK_SECONDS):
            try:
                # The diff finds what commits and time changed; the gauges
                # follow its states, so they need setting only after a change.
                now = time.time()
                changed = self.model.diff(now)
                if changed:
                    log.info("%d CI state change(s)", changed)
                if changed or first:
                    gauges.refresh(self.metrics, self.recorder.reads, self.model.states())
                if changed and self.publisher:
                    self.publisher.notify()     # time alone turned a CI silent
                first = False
            except Exception:
                log.exception("periodic refresh failed")

    def _watchdog(self):
        while not self.stopping.wait(self.notifier.watchdog_interval):
            self.notifier.watchdog()

    # -- reload and stop ---------------------------------------------------------

    def reload(self):
        try:
            return self._reload()
        finally:
            _freeze_heap()      # the old catalog may go now; what stays is frozen again

    def _reload(self):
        self.notifier.reloading()
        try:
            catalog = catalog_mod.load(self.cfg.catalog)
        except catalog_mod.CatalogError as e:
            self.metrics.catalog_reloads.labels("failure").inc()
            log.error("catalog reload refused, the old catalog stays in service:\n%s", e)
            self.notifier.ready("catalog reload refused; see the log")
            return False
        new_groups = self.recorder.set_catalog(catalog)
        self.stream.catchup_extra = catchup_scope(catalog)
        self.model.catalog_replaced()
        if self.publisher:
            self.publisher.notify()
        self.metrics.catalog_reloads.labels("success").inc()
        log.info("catalog reloaded: %d drivers", len(catalog.drivers))
        if new_groups:
            log.info("bootstrapping %d CI account(s) new to the catalog", len(new_groups))
            bootstrap_mod.add_pending(self.store, new_groups)
            gevent.spawn(self.bootstraps.accounts, new_groups)
        self.notifier.ready(f"serving {len(catalog.drivers)} drivers")
        return True

    def stop(self):
        if not self.stopping.is_set():
            log.info("stopping")
            self.notifier.stopping()
            self.stopping.set()

    def _shutdown(self, workers):
        self.stream.stop()
        if self._retry is not None:
            workers.append(self._retry)
        self.server.stop(timeout=2)
        gevent.joinall(workers, timeout=2)
        gevent.killall([w for w in workers if not w.dead], timeout=1)
        if self.exporter:
            self.exporter.close()
        if self.publisher:
            self.publisher.close()
        self.store.close()
        log.info("stopped")
