"""The daemon's bootstraps from Gerrit: the whole one an empty store needs, and
a reload's for CI accounts new to the catalog. Each connects (waiting out
failures with backoff), reads each CI's merged changes, then those not merged,
and is tried again with backoff until done; readiness.py says what each means
to /healthz. The stream goes on meanwhile: recording is idempotent.
"""
import logging

import gevent

from driverlogd import bootstrap as bootstrap_mod
from driverlogd import unmerged
from driverlogd.gerrit.backoff import Backoff
from driverlogd.gerrit.query import GerritQuery
from driverlogd.gerrit.ssh import GerritError, connect
from driverlogd.verdict.votes import ci_groups

log = logging.getLogger("driverlogd")


class Bootstraps:
    """The service's bootstraps, on its Gerrit, recorder and store; each ends
    when `stopping` is set. `publish_readiness` is called after each change to
    `readiness`."""

    def __init__(self, gerrit, recorder, store, metrics, readiness, publish_readiness,
                 stopping, limit):
        self.gerrit = gerrit
        self.recorder = recorder
        self.store = store
        self.metrics = metrics
        self.readiness = readiness
        self.publish_readiness = publish_readiness
        self.stopping = stopping
        self.limit = limit

    def pending(self):
        """Bootstrap the CI accounts new to the catalog that no bootstrap
        has read yet (a reload's, cut short), as the reload would have."""
        pairs, groups = bootstrap_mod.pending(self.store), ci_groups(self.recorder.catalog)
        bootstrap_mod.drop_pending(self.store, [p for p in pairs if p not in groups])
        todo = [p for p in pairs if p in groups]
        if todo:
            log.info("bootstrapping %d CI account(s) new to the catalog", len(todo))
            gevent.spawn(self.accounts, todo)

    def accounts(self, groups):
        """Bootstrap CI accounts new to the catalog until it completes (they
        leave the pending list), they leave the catalog, or the daemon stops:
        with a failed query, their history would wait for the next start."""
        backoff = Backoff(self.gerrit.backoff_initial, self.gerrit.backoff_max)
        while self.run(self.recorder.catalog, groups):
            left = set(bootstrap_mod.pending(self.store)) & set(ci_groups(self.recorder.catalog))
            groups = [p for p in groups if p in left]
            if not groups:
                return
            delay = backoff.next()
            log.warning("bootstrap of %d CI account(s) new to the catalog incomplete; "
                        "trying again in %.1f s", len(groups), delay)
            if self.stopping.wait(delay):
                return

    def until_done(self):
        """The whole bootstrap again, with backoff, until a run completes."""
        backoff = Backoff(self.gerrit.backoff_initial, self.gerrit.backoff_max)
        while bootstrap_mod.needs_bootstrap(self.store):
            if self.stopping.wait(backoff.next()) or not self.run(self.recorder.catalog):
                return

    def _connect(self, initial):
        """Connect, waiting out failures (a wrong host key, auth, network) with
        backoff and saying why (in /healthz too for the `initial` bootstrap),
        as the stream client does."""
        backoff = Backoff(self.gerrit.backoff_initial, self.gerrit.backoff_max)
        while not self.stopping.is_set():
            try:
                return connect(self.gerrit)
            except GerritError as e:
                self.metrics.stream_connect_failures.labels(e.reason).inc()
                delay = backoff.next()
                log.error("bootstrap: %s; retrying in %.1f s", e, delay)
                if initial:
                    self._state(f"{e}; retrying in {delay:.1f} s")
                self.stopping.wait(delay)
        return None

    def run(self, catalog, groups=None):
        """The whole bootstrap, or (`groups`) a reload's for CI accounts new to
        the catalog; see readiness.py for what each means to /healthz.
        Returns False when stopped before it could run."""
        initial = groups is None
        if not initial:
            self.readiness.account_bootstraps += 1
            self.publish_readiness()
        try:
            ran = self._read(catalog, groups)
        finally:
            if not initial:
                self.readiness.account_bootstraps -= 1
                self.publish_readiness()
        if initial and ran:
            self._state(
                "incomplete: a query failed (see the log); trying again"
                if bootstrap_mod.needs_bootstrap(self.store) else None)
        return ran

    def _read(self, catalog, groups):
        initial = groups is None
        conn = self._connect(initial)
        if conn is None:
            return False
        if initial:
            self._state("reading recent merged changes per CI")

        skipped = 0

        def ask(q):
            nonlocal conn, skipped
            if conn.closed_because or not conn.transport.is_active():
                # Gone (Gerrit restarted, the link dropped): every later query
                # would fail on it too, so the next one connects afresh.
                conn.close()
                conn = connect(self.gerrit)
            client = GerritQuery(self.gerrit, self.metrics, connection=conn)
            try:
                return client.page(q)     # a bad row is counted, not the query's end
            finally:
                skipped += client.skipped

        def one_page(q):
            # Its own limit: is all it reads (changes() would page to the end).
            return [e for change in ask(q)[0] for e in change.events]
        try:
            result = bootstrap_mod.bootstrap(catalog, ask, self.recorder, log,
                                             limit=self.limit, groups=groups,
                                             stopping=self.stopping)
            if result["stopped"]:
                return True
            result["skipped"] = skipped
            log.log(logging.WARNING if skipped else logging.INFO,
                    "bootstrap done: %(queries)d queries for %(pairs)d CI accounts and "
                    "repositories, %(failed)d failed, %(events)d events, "
                    "%(skipped)d answer lines skipped", result)
            # The reports a replica watching all along holds, on changes not merged.
            if initial:
                self._state("reading changes not merged per CI")
            other = unmerged.read(catalog, one_page, self.recorder, log,
                                  self.limit, groups, stopping=self.stopping)
            log.info("changes not merged: %(queries)d queries, %(failed)d failed, "
                     "%(events)d events", other)
            # Done (new accounts: no longer pending) only after both reads: a
            # daemon killed between them would never read the second (votes, health).
            if not (result["failed"] or other["failed"] or other["stopped"]):
                if initial:
                    bootstrap_mod.mark_done(self.store)
                else:
                    bootstrap_mod.drop_pending(self.store, groups)
        except Exception:
            log.exception("bootstrap failed; the stream's catch-up goes on from here")
        finally:
            conn.close()
        return True

    def _state(self, why):
        """Why the initial bootstrap is not done yet; None once it is."""
        self.readiness.bootstrap = why
        self.publish_readiness()
