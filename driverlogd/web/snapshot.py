"""An immutable, pre-serialised view of every driver, rebuilt by generation.

Each driver is turned once into its API document and that document's JSON
bytes; a request then only filters, sorts and joins bytes. A generation bump
refreshes only the drivers the read model names (`changed_keys`), so a new
verdict is visible at once without re-serialising 10,000 drivers.
"""
import gc
import json
import os
import re
import time
import weakref

import gevent
import gevent.lock

from driverlogd.verdict import STATES
from driverlogd.yielding import pause

STATE_ORDER = {s: i for i, s in enumerate(STATES)}
# Vendor logs are linked only from http(s) addresses found in the matched line.
URL_RE = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_PROCESS_NONCE = os.urandom(3).hex()   # ETags must not survive a restart
YIELD_EVERY = 256                      # full rebuilds let other greenlets run


def log_url(comment):
    m = URL_RE.search(comment or "")
    return m.group(0).rstrip(".,;:)]}") if m else None


def dumps(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def ci_doc(ci):
    """A driver's CI section with its patterns (the list shows only its id)."""
    return {"id": ci.id, "success_pattern": ci.success_pattern,
            "failure_pattern": ci.failure_pattern}


def ci_health_doc(h) -> dict:
    """A driver's vote rates (CIHealth; not the daemon's readiness)."""
    h = h or {}
    window = h.get("last_n") if isinstance(h.get("last_n"), dict) else h
    return {"last_vote": h.get("last_vote"), "last_result": h.get("last_result"),
            "votes": int(window.get("votes") or 0), "pass_rate": window.get("pass_rate"),
            "flip_rate": window.get("flip_rate")}


def maintainer_doc(m, show_emails):
    doc = {"name": m.name, "irc": m.irc, "launchpad_id": m.launchpad_id}
    if show_emails and m.email:
        doc["email"] = m.email
    return doc


def verdict_doc(v):
    state = v.get("state") or ("passing" if v.get("result") else "failing")
    return {"result": bool(v.get("result")), "state": state,
            "comment": v.get("comment") or "", "timestamp": v.get("timestamp"),
            "review_url": v.get("review_url"), "change": v.get("change"),
            "patchset": v.get("patchset"), "log_url": log_url(v.get("comment"))}


class Record:
    """One driver: its API document as JSON, and what filters and sorts read.

    The document itself is not kept: at 10,000 drivers its dicts were most of
    a snapshot's memory, for the few endpoints that read a field of one
    driver. `doc` decodes the JSON (a fresh dict each call) for those.

    The JSON is kept in `parts`, whose concatenation is `frag`: the catalog's
    fields (the same bytes from one snapshot to the next), the state and
    health, then one part per release. A release without a verdict is the same
    bytes for every driver, so one object serves them all; a new verdict makes
    one small part anew instead of a whole fragment."""
    __slots__ = ("driver", "parts", "project_l", "vendor_l", "desc_l", "text", "state",
                 "release_ids", "rank", "state_order", "last_vote", "pass_rate", "votes")

    def __init__(self, catalog, driver, status, show_emails, project_names, shared=None,
                 like=None):
        """`shared`: a dict through which records of one build share equal
        values (lower-cased ids, release sets) instead of holding copies;
        `like`: the driver's record in a previous snapshot of the same catalog
        and e-mail setting, whose catalog part and search text are taken."""
        share = (shared if shared is not None else {}).setdefault
        status = status or {}
        has_ci = driver.ci is not None
        verdicts = {}
        for rid, v in (status.get("releases") or {}).items():
            rel = catalog.release(str(rid))
            verdicts[rel.id if rel else str(rid)] = v
        claimed = []
        for rid in driver.releases:
            rel = catalog.release(rid)
            claimed.append(rel.id if rel else rid)
        state = status.get("state") or ("unseen" if has_ci else "none")
        health = ci_health_doc(status.get("health"))
        maintainers = [maintainer_doc(m, show_emails) for m in driver.maintainers]
        same = like is not None and like.driver is driver
        # What dumps() of the whole document gives, in pieces: its members in
        # order, each object's braces around them.
        parts = [like.parts[0] if same else dumps({
            "project_id": driver.project_id,
            "project_name": project_names.get(driver.project_id, driver.project_id),
            "vendor": driver.vendor, "name": driver.name,
            "description": driver.description, "wiki": driver.wiki, "repo": driver.repo,
            "maintainers": maintainers,
            "ci": {"id": driver.ci.id} if has_ci else None})[:-1],
            _middle(state, health)]
        ids = []
        for rid in _ordered(catalog, set(claimed) | set(verdicts)):
            v = verdicts.get(rid)
            sep = b"," if ids else b""
            if v:
                cell = verdict_doc(v)
                parts.append(sep + dumps({"id": rid, "claimed": rid in claimed,
                                          "state": cell["state"], "ci": cell}))
            else:
                parts.append(_empty_cell(sep, rid, rid in claimed, has_ci))
            ids.append(rid.lower())
        parts.append(b"]}")
        if same:    # equal parts are the old objects: only what changed is new memory
            parts = [p if p != q else q for p, q in zip(parts, like.parts)] + \
                parts[len(like.parts):]
        self.driver = driver
        self.parts = tuple(parts)
        self.state = state
        ids = frozenset(ids)
        self.release_ids = share(ids, ids)
        # Search text: `text` is the driver's other fields lower-cased, "\n"
        # between them; project, vendor and description (the longest field,
        # and repeated where drivers share a description) are kept apart, each
        # lower-cased once and shared. A word matches if one field holds it.
        if same:
            self.project_l, self.vendor_l = like.project_l, like.vendor_l
            self.desc_l, self.text = like.desc_l, like.text
        else:
            self.project_l = share(("p", driver.project_id), driver.project_id.lower())
            self.vendor_l = share(("v", driver.vendor), driver.vendor.lower())
            self.desc_l = share(("d", driver.description), driver.description.lower())
            words = [driver.name]
            for m in maintainers:
                words.extend(x for x in (m["name"], m["irc"], m["launchpad_id"], m.get("email"))
                             if x)
            self.text = "\n".join(words).lower()
        lv = health["last_vote"]
        pr = health["pass_rate"]
        # What filters.sort_records reads: the catalog's default order (a rank
        # shared by every snapshot of the catalog), then what changes with
        # votes. Names and maintainers are lower-cased when sorted by (rarely).
        # Slots, not a tuple: 48 bytes less a record, and one object fewer
        # made (and left behind) each time a driver's record is rebuilt.
        self.rank = _ranks(catalog).get(driver.key, 0)
        self.state_order = STATE_ORDER.get(state, 9)
        self.last_vote = lv if lv is not None else _NEVER
        self.pass_rate = pr if pr is not None else -1.0
        self.votes = health["votes"]

    @property
    def frag(self) -> bytes:
        return b"".join(self.parts)

    @property
    def key(self):
        return self.driver.key

    @property
    def doc(self):
        return json.loads(self.frag)


_NEVER = float("-inf")      # the last vote of a driver without votes, as sorted
_EMPTY_CELLS: dict = {}    # a release without a verdict: few distinct ones, kept for good


_RANKS: list = [None, None]    # a weak reference to the catalog, and its ranks


def _ranks(catalog):
    """Each driver's place in the default order (filters.DEFAULT_SORT: project,
    vendor, name, case-insensitive; ties as in the catalog), made once per
    catalog: a small int in each record instead of its lower-cased names."""
    ref, ranks = _RANKS
    if ref is None or ref() is not catalog:
        drivers = catalog.drivers
        order = sorted(range(len(drivers)), key=lambda i: (
            drivers[i].project_id.lower(), drivers[i].vendor.lower(), drivers[i].name.lower()))
        ranks = {drivers[i].key: rank for rank, i in enumerate(order)}
        _RANKS[:] = [weakref.ref(catalog), ranks]
    return ranks


_NO_VOTES: dict = {}       # state and health of a driver without votes: a handful


def _middle(state, health):
    """The document's members between its catalog fields and its releases."""
    key = None
    if not health["votes"] and health["last_vote"] is None:
        key = (state,) + tuple(health.values())
        got = _NO_VOTES.get(key)
        if got is not None:
            return got
    part = b',"state":' + dumps(state) + b',"health":' + dumps(health) + b',"releases":['
    if key is not None:
        _NO_VOTES[key] = part
    return part


def _empty_cell(sep, rid, claimed, has_ci):
    key = (sep, rid, claimed, has_ci)
    cell = _EMPTY_CELLS.get(key)
    if cell is None:
        cell = _EMPTY_CELLS[key] = sep + dumps({"id": rid, "claimed": claimed,
                                                "state": "unseen" if has_ci else "none",
                                                "ci": None})
    return cell


def joined(recs) -> bytes:
    """b",".join(r.frag for r in recs): each record's parts joined, then all
    (of the ways tried, the quickest: ~5 ms at 10,000 drivers, 2 ms for
    whole fragments)."""
    return b",".join([b"".join(r.parts) for r in recs])


def _ordered(catalog, ids):
    """Catalog releases by start date, then ids the catalog does not know."""
    known = [r.id for r in catalog.releases if r.id in ids]
    return known + sorted(ids.difference(known))


class Snapshot:
    def __init__(self, catalog, generation, show_emails, records, by_key, epoch, built_at,
                 folded=None):
        self.catalog = catalog
        self.generation = generation
        self.show_emails = show_emails
        self.records = records
        self.by_key = by_key
        self.built_at = built_at
        self.token = "%s-%d-%d" % (_PROCESS_NONCE, epoch, generation)
        self.project_names = {p.id: p.name for p in catalog.projects}
        # The case-insensitive index, built on the first lookup that needs it;
        # a list so that the snapshots of one catalog share it.
        self.folded = [] if folded is None else folded

    def find(self, project_id, vendor, name):
        i = self.by_key.get((project_id, vendor, name))
        if i is None:   # the original matched keys case-insensitively
            if not self.folded:
                index = {}
                for key, j in self.by_key.items():
                    index.setdefault(_fold(key), j)
                self.folded.append(index)
            i = self.folded[0].get(_fold((project_id, vendor, name)))
        return self.records[i] if i is not None else None


def _fold(key):
    return tuple(x.lower() for x in key)


class Snapshots:
    """Hands out the current Snapshot, rebuilding it when the model moved on.

    `max_age` bounds how long a snapshot is trusted without a generation bump
    (time alone turns a CI silent)."""

    def __init__(self, readmodel, max_age=60.0, clock=time.monotonic):
        self.rm = readmodel
        self.max_age = max_age
        self.clock = clock
        self._snap = None
        self._epoch = 0
        self._lock = gevent.lock.Semaphore()
        self.full_builds = 0
        self.partial_builds = 0

    def current(self) -> Snapshot:
        snap = self._snap
        if snap is not None and self._fresh(snap):
            return snap
        if snap is not None and self._lock.locked():
            return snap   # someone is rebuilding; the previous view is fine meanwhile
        with self._lock:
            snap = self._snap
            if snap is None or not self._fresh(snap):
                snap = self._snap = self._rebuild(snap)
            return snap

    def _fresh(self, snap):
        rm = self.rm
        return (snap.generation == rm.generation and snap.catalog is rm.catalog
                and snap.show_emails == bool(rm.show_emails)
                and self.clock() - snap.built_at < self.max_age)

    def _rebuild(self, old):
        rm = self.rm
        generation, catalog, emails = rm.generation, rm.catalog, bool(rm.show_emails)
        if old is None or old.catalog is not catalog or old.show_emails != emails:
            return self._full(catalog, generation, emails, None)
        if self.clock() - old.built_at < self.max_age:
            keys = getattr(rm, "changed_keys", None)
            keys = keys(old.generation) if keys else None
            if keys is not None and len(keys) <= max(64, len(old.records) // 4):
                return self._partial(old, generation, keys)
        return self._full(catalog, generation, emails, old)

    def _partial(self, old, generation, keys):
        records = list(old.records)
        names = old.project_names
        shared = {}
        for key in keys:
            i = old.by_key.get(tuple(key))
            if i is not None:
                was = records[i]
                rec = Record(old.catalog, was.driver, self.rm.driver_status(was.driver.key),
                             old.show_emails, names, shared, was)
                if rec.parts != was.parts:   # else the old one stays: less to free and refill
                    records[i] = rec
        self.partial_builds += 1
        self._epoch += 1
        return Snapshot(old.catalog, generation, old.show_emails, records, old.by_key,
                        self._epoch, old.built_at, old.folded)

    def _full(self, catalog, generation, emails, old):
        """Every driver anew; `old` (same catalog and emails) lends its records
        where nothing changed, so a rebuild does not hold a second copy of
        every record, nor scatter new ones among the old ones' free memory."""
        names = {p.id: p.name for p in catalog.projects}
        records, shared = [], {}
        # The same catalog: the same index. Not made anew: a full rebuild under
        # a burst made 10,000 new ints while the old ones lived, and freeing
        # those left their blocks scattered among longer-lived ones.
        by_key = old.by_key if old is not None else {}
        for i, d in enumerate(catalog.drivers):
            if i and i % YIELD_EVERY == 0:
                pause()
            was = old.records[i] if old is not None else None
            rec = Record(catalog, d, self.rm.driver_status(d.key), emails, names, shared, was)
            if was is not None and was.parts == rec.parts:
                rec = was
            records.append(rec)
            if old is None:
                by_key[d.key] = i
        self.full_builds += 1
        self._epoch += 1
        # Long-lived, acyclic objects: keep the cyclic GC from rescanning them
        # on every full collection. They are still freed by reference counting.
        gc.freeze()
        return Snapshot(catalog, generation, emails, records, by_key, self._epoch, self.clock(),
                        old.folded if old is not None else None)
