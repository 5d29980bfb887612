"""An in-memory ReadModel for the web layer's tests (a unit edge: the real one
is the recorder, tested end to end by the service's tests)."""
import json
import pathlib
import time

from driverlogd.catalog.model import Catalog
from driverlogd.verdict.health import health

CORPUS = pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
HOSTILE = "<img src=x onerror=alert(1)>"


def sample_data():
    """A small catalog with the awkward cases: a '/' in a vendor name, a shared
    CI account, hostile text, no-CI drivers, an unclaimed release."""
    def drv(project, vendor, name, releases, ci=None, **kw):
        d = {"project_id": project, "vendor": vendor, "name": name, "releases": releases,
             "description": kw.pop("description", "%s driver for %s." % (name, project)),
             "maintainers": kw.pop("maintainers", [{"name": "Ann Maintainer",
                                                    "email": "ann@example.com", "irc": "ann",
                                                    "launchpad_id": "ann-m"}])}
        if ci:
            d["ci"] = {"id": ci, "success_pattern": "Build succeeded",
                       "failure_pattern": "Build failed"}
        d.update(kw)
        return d
    return {
        "projects": [{"id": "openstack/cinder", "name": "Cinder (Block Storage)"},
                     {"id": "openstack/neutron", "name": "Neutron (Networking)"},
                     {"id": "openstack/nova", "name": "Nova (Compute)"}],
        "releases": [{"id": "Icehouse", "start": "2013-Oct-17", "wiki": "https://wiki.example/I"},
                     {"id": "Juno", "start": "2014-Apr-17", "wiki": "https://wiki.example/J"},
                     {"id": "Kilo", "start": "2014-Oct-16", "active": True},
                     {"id": "Liberty", "start": "2015-May-01", "active": True}],
        "drivers": [
            drv("openstack/cinder", "Acme", "Acme iSCSI", ["Juno", "Kilo"], ci="acme-ci",
                wiki="https://wiki.example/acme"),
            drv("openstack/cinder", "Acme", "Acme FC", ["Kilo", "Liberty"], ci="acme-ci"),
            drv("openstack/cinder", "Block/Bridge", "BB iSCSI", ["Liberty"], ci="bb-ci"),
            drv("openstack/neutron", "Zeta Networks", "Zeta ML2", ["Icehouse", "Kilo"],
                ci="zeta-ci", description="Mechanism driver " + HOSTILE),
            drv("openstack/neutron", "Beta", "Beta Plugin", ["Icehouse"]),
            drv("openstack/nova", "Gamma", "Gamma Hypervisor", ["Liberty"], ci="gamma-ci",
                maintainers=[{"name": "Gus " + HOSTILE, "irc": "gus"}]),
            drv("openstack/nova", "Delta", "Delta Virt", [], ci="delta-ci", repo="delta/nova-virt"),
        ],
    }


def sample_catalog():
    return Catalog.from_data(sample_data())


def corpus_catalog():
    path = CORPUS / "default_data.json"
    return Catalog.from_data(json.loads(path.read_text())) if path.exists() else None


def generate_data(n, releases=12, seed=7):
    """A synthetic catalog of n drivers (for 10,000-driver tests and benches)."""
    import random
    rnd = random.Random(seed)
    rels = [{"id": "R%02d" % i, "start": "%d-Jan-01" % (2010 + i), "active": i >= releases - 2}
            for i in range(releases)]
    projects = [{"id": "openstack/p%02d" % i, "name": "Project %d" % i} for i in range(20)]
    drivers = []
    for i in range(n):
        vendor = "Vendor %03d" % (i % 400)
        d = {"project_id": projects[i % 20]["id"], "vendor": vendor, "name": "Driver %05d" % i,
             "description": "Synthetic driver %d with a longish description of features." % i,
             "maintainers": [{"name": "M%d" % i, "email": "m%d@example.com" % i, "irc": "m%d" % i}],
             "releases": sorted(rnd.sample([r["id"] for r in rels], rnd.randint(1, 4)))}
        if i % 5:
            d["ci"] = {"id": "ci-%d" % (i % 900), "success_pattern": "OK",
                       "failure_pattern": "FAIL"}
        drivers.append(d)
    return {"projects": projects, "releases": rels, "drivers": drivers}


class FakeReadModel:
    def __init__(self, catalog, show_emails=False, now=None):
        self.catalog = catalog
        self.show_emails = show_emails
        self.generation = 1
        self.ready = (True, "catalog loaded, stream connected")
        self._verdicts = {}     # key -> {release: verdict}
        self._votes = {}        # key -> [vote, newest first]
        self._states = {}       # key -> explicit state
        self._changes = []      # newest first
        self._changed = {}      # key -> generation of last change
        self._reports = []      # stored CI reports, newest first
        self._all_changed_at = 0
        self._listeners = []
        self.now = now or time.time()

    # -- what tests call -------------------------------------------------
    def set_verdict(self, key, release, result, comment="Build succeeded", timestamp=None,
                    review_url=None, change=1001, patchset=1, state=None):
        ts = self.now - 3600 if timestamp is None else timestamp
        url = review_url or "https://review.example.org/%s" % change
        old = self.driver_status(key)["releases"].get(release, {}).get("state")
        v = {"result": result, "comment": comment, "timestamp": ts, "review_url": url,
             "change": change, "patchset": patchset}
        if state:
            v["state"] = state
        self._verdicts.setdefault(key, {})[release] = v
        self.add_vote(key, result, comment, ts, url, change, patchset, release, bump=False)
        self._bump(key)
        new = state or ("passing" if result else "failing")
        if old != new:
            self._changes.insert(0, {"generation": self.generation, "key": key,
                                     "release": release, "old_state": old, "new_state": new,
                                     "timestamp": ts, "review_url": url})

    def add_vote(self, key, result, comment="", timestamp=None, review_url=None, change=1,
                 patchset=1, release=None, bump=True):
        self._votes.setdefault(key, []).insert(0, {
            "result": result, "comment": comment,
            "timestamp": self.now if timestamp is None else timestamp,
            "review_url": review_url or "https://review.example.org/%s" % change,
            "change": change, "patchset": patchset,
            "branch": "stable/%s" % release.lower() if release else "master", "release": release})
        if bump:
            self._bump(key)

    def add_report(self, account, project, message, change=1, timestamp=None, branch="master"):
        """A CI report as the store keeps it (Store.recent_reports' shape)."""
        self._reports.insert(0, {"author": account, "message": message, "project": project,
                                 "change": change, "patchset": 1, "branch": branch,
                                 "review_url": "https://review.example.org/%s" % change,
                                 "timestamp": self.now if timestamp is None else timestamp})

    def set_state(self, key, state):
        self._states[key] = state
        self._bump(key)

    def replace_catalog(self, catalog):
        self.catalog = catalog
        self.generation += 1
        self._all_changed_at = self.generation
        self._changed.clear()
        self._moved()

    def _bump(self, key):
        self.generation += 1
        self._changed[key] = self.generation
        self._moved()

    def _moved(self):
        for fn in self._listeners:
            fn()

    # -- ReadModel ---------------------------------------------------------
    def driver_status(self, key):
        d = self.catalog.by_key.get(key)
        verdicts = self._verdicts.get(key, {})
        votes = self._votes.get(key, [])
        if key in self._states:
            state = self._states[key]
        elif d is None or d.ci is None:
            state = "none"
        elif votes:
            state = "passing" if votes[0]["result"] else "failing"
        else:
            state = "unseen"
        results = [v["result"] for v in reversed(votes)]
        flips = sum(1 for a, b in zip(results, results[1:]) if a != b)
        return {"state": state, "releases": dict(verdicts), "health": {
            "last_vote": votes[0]["timestamp"] if votes else None,
            "last_result": votes[0]["result"] if votes else None,
            "last_n": {"votes": len(results),
                       "pass_rate": sum(results) / len(results) if results else None,
                       "flip_rate": flips / (len(results) - 1) if len(results) > 1 else None}}}

    def votes(self, key, limit=50):
        return self._votes.get(key, [])[:limit]

    def reports(self, account, repo, limit):
        return [{k: v for k, v in r.items() if k != "author"} for r in self._reports
                if r["author"] == account and repo in (None, r["project"])][:limit]

    def health_30d(self, key):
        votes = [(v["timestamp"], v["result"]) for v in self._votes.get(key, [])]
        return health(votes, time.time())["last_30d"]

    def changes(self, since_generation=0, limit=100):
        return [c for c in self._changes if c["generation"] > since_generation][:limit]

    def readiness(self):
        return self.ready

    def add_listener(self, fn):
        self._listeners.append(fn)

    def changed_keys(self, since_generation):
        if self._all_changed_at > since_generation:
            return None
        return {k for k, g in self._changed.items() if g > since_generation}


class ServerThread:
    """Runs make_app + serve in a thread of its own (with its own gevent hub),
    so tests can use blocking clients and mutate the fake meanwhile."""

    def __init__(self, readmodel, metrics=None, limits=None, **options):
        import threading

        from driverlogd.metrics import Metrics
        self.rm = readmodel
        self.metrics = metrics or Metrics()
        self.options = options
        self.limits = limits      # the server's (driverlogd.httplimits.Limits)
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.error = None
        self.port = None

    def _run(self):
        import gevent

        from driverlogd.web import make_app, serve
        try:
            self.app = make_app(self.rm, self.metrics, **self.options)
            server = serve(self.app, "127.0.0.1", 0, limits=self.limits)
            self.port = server.server_port
        except Exception as e:  # surfaced by __enter__
            self.error = e
            self._ready.set()
            return
        self._ready.set()
        while not self._stop.is_set():
            gevent.sleep(0.05)
        server.stop(timeout=1)
        gevent.get_hub().destroy(destroy_loop=True)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def __enter__(self):
        self._thread.start()
        if not self._ready.wait(10) or self.error:
            raise RuntimeError("web server did not start: %r" % self.error)
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(10)


def request(base, path, method="GET", headers=None, body=None, timeout=10):
    """(status, headers dict with lower-case names, body bytes); path is sent raw."""
    import http.client
    import urllib.parse
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def get_json(base, path, **kw):
    status, headers, body = request(base, path, **kw)
    return status, json.loads(body) if body else None
