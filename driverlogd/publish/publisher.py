"""Keeps the static publication (`publish: {dir: ...}`) in step with the read side.

A Coalescer (coalesce.py): published at once after a quiet spell, at most
once per `min_interval` under a burst. A generation is rendered from one
snapshot of the web layer, so its files agree with each other and with what
the daemon answers. Only the drivers the read model names as changed since
the last generation (`changed_keys`) are rendered again, and only their
files are named to the tree: the others are carried over unwalked (tree.py),
as are the last generation's shared folders; any other file whose bytes came
out the same is a hard link to the last generation's. The export reuses each
unchanged driver's part (ExportFrags), and the facets are not rendered when
no changed driver gained or lost a release: at 10,000 drivers a generation
costs ~0.1-0.2 s instead of ~0.8 s, most of a comment's publication lag. Everything is rendered afresh after a catalog reload
and every FULL_EVERY seconds, the safety net for what ages with time alone
(a driver's 30-day figures); unchanged files are linked all the same.
Big files are also written gzipped, for nginx's gzip_static. Compressing,
and rendering the list, the export and the facets, run in gevent's thread
pool, so the hub goes on serving HTTP and reading the stream meanwhile.
"""
import gzip
import logging
import struct
import time
import zlib

import gevent

from driverlogd.coalesce import Coalescer
from driverlogd.publish import files
from driverlogd.publish.tree import GRACE, REMOVED, Tree
from driverlogd.web import api_v1, snapshot
from driverlogd.yielding import pause

log = logging.getLogger(__name__)
GZIP_MIN = 1024        # bytes, as the daemon's own gzip
OFFLOAD_MIN = 1 << 16  # bytes: smaller ones are compressed at once, here
COMPRESSIBLE = ("application/json", "text/", "image/svg+xml", "application/atom+xml")
# A download no page fetches, 6 MB at 10,000 drivers: compressing it every
# generation cost more than nginx compressing it on the fly when asked.
NOT_PRECOMPRESSED = ("/api/v1/export",)
FULL_EVERY = 600.0
# The drivers' own files: shared between generations a folder at a time (tree.py).
SHARED = ("api/v1/drivers/", "badge/")
YIELD_DRIVERS = 32      # drivers rendered between two yields to the hub
LIST = "/api/v1/drivers"
# Drivers per gzip member of the list, ~0.5 MB of JSON. At 10,000 drivers,
# level 9: one stream 176 KB; members of 1,024: 181 KB; of 256: 195 KB (as
# one stream at level 6); each member costs ~0.02 s to make again.
LIST_CHUNK = 1024
# Unfiltered counts of drivers per project, release and vendor.
FACETS = ("/api/v1/projects", "/api/v1/releases", "/api/v1/vendors")


def _gzip(body):
    # zlib's default level, for the dashboard's assets and the documents
    # over 1 KB; the list, the biggest by far, has its own (Publisher._list).
    return gzip.compress(body, compresslevel=6, mtime=0)


def _deflate(raw):
    """`raw` as a part of a deflate stream that others may follow: its blocks
    are not final, and a sync flush ends them on a byte boundary."""
    c = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return c.compress(raw) + c.flush(zlib.Z_SYNC_FLUSH)


# RFC 1952: deflate, no name, no mtime, OS unknown; then, after the stream,
# its CRC-32 and length. RFC 1951: an empty final block (fixed codes) ends it.
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
DEFLATE_END = b"\x03\x00"


def offload(fn, *args):
    """fn(*args) in gevent's thread pool: the hub goes on serving meanwhile
    (taking the GIL back at least every few ms)."""
    return gevent.get_hub().threadpool.apply(fn, args)


class Publisher(Coalescer):
    name = "publish"
    # No rest after a slow generation (the first, or one on a loaded machine):
    # it yields to the hub as it goes and does its heavy parts in threads, so
    # the stream was never held up; resting only added its length to the lag.
    rest = 0.0

    def __init__(self, folder, recorder, app, metrics=None, min_interval=1.0, grace=GRACE,
                 clock=time.monotonic):
        self.tree = Tree(folder, grace, clock, shared=SHARED)
        self.app = app
        self.metrics = metrics
        self.clock = clock
        self.generation = None        # the snapshot generation last published
        self.catalog = None
        self._full_at = 0.0
        self._names = {}              # driver key -> [(url, file name)], per catalog
        self._skipped = set()
        self.snap = None              # the snapshot last published
        self._frags = {}              # ExportFrags' memory
        self._chunks = {}             # _list's: the list's compressed chunks
        super().__init__(recorder, min_interval)

    @property
    def folder(self):
        return self.tree.root

    def write(self) -> bool:
        try:
            self.publish()
        except OSError as e:       # a full disk, a folder made unwritable
            log.error("publication in %s failed: %s", self.tree.root, e)
        except Exception:          # a bug of ours: say where, and try again later
            log.exception("publication in %s failed", self.tree.root)
        else:
            return True
        if self.metrics:
            self.metrics.publication_failures.inc()
        return False

    def publish(self) -> bool:
        """Publish the current snapshot unless it is the one published last;
        True when a generation was made current."""
        snap = self.app.snapshots.current()
        now = self.clock()
        full = (snap.catalog is not self.catalog or self.generation is None
                or now >= self._full_at)
        if not full and snap.generation == self.generation:
            return False
        keys = None if full else self.app.rm.changed_keys(self.generation)
        if snap.catalog is not self.catalog:
            self._names, self._skipped = {}, set()
        started = time.perf_counter()
        # A generation names only what changed (carry): the rest of the last
        # one is kept without walking 10,000 drivers' files.
        self.tree.publish(self._entries(snap, keys), offload, carry=keys is not None)
        took = time.perf_counter() - started
        log.debug("published generation %d (%s drivers rendered) in %.3f s", snap.generation,
                  "all" if keys is None else len(keys), took)
        self.generation, self.catalog, self.snap = snap.generation, snap.catalog, snap
        if keys is None:
            self._full_at = now + FULL_EVERY
        if self.metrics:
            self.metrics.publications.inc()
            self.metrics.publication_seconds.observe(took)
            self.metrics.publication_skipped.set(len(self._skipped))
        return True

    # -- what a generation holds ----------------------------------------------

    def _entries(self, snap, keys):
        """(file name, bytes, None for "as before" or REMOVED) of every file
        (`keys` None), or of the global files and `keys`' drivers' files."""
        facets_same = keys is not None and self._facets_same(snap, keys)
        frags = ExportFrags(self._frags)
        for path in files.global_paths(self.app):
            if facets_same and path in FACETS:
                continue      # carried over as they are
            if path == LIST:
                name = files.file_name(path, files.JSON)
                yield from zip((name, name + ".gz"), offload(self._list, snap))
                continue
            yield from self._file(snap, path, frags)
        self._frags = frags.kept
        if keys is None:
            records = snap.records
        else:
            records = [snap.records[i] for i in sorted(
                i for i in map(snap.by_key.get, map(tuple, keys)) if i is not None)]
        for i, rec in enumerate(records):
            if i % YIELD_DRIVERS == YIELD_DRIVERS - 1:
                pause()
            for path, _ in self._driver_names(rec.key):
                yield from self._file(snap, path)

    def _list(self, snap):
        """The whole list and its gzip (runs in a thread). The gzip is one
        deflate stream made of a piece per LIST_CHUNK drivers, each ended on
        a byte by a sync flush (as pigz does), and a chunk whose drivers are
        the same records as last time keeps its piece: a generation
        compresses a chunk, not 6 MB, and can afford level 9 for the file
        every reader fetches. (Concatenated gzip members are valid too, but
        Chromium reads only the first.)"""
        recs = api_v1.selected(snap, {})
        head, tail = api_v1.drivers_ends(snap, recs)
        plain, packed, kept = [head], [_deflate(head)], {}
        for start in range(0, len(recs), LIST_CHUNK):
            chunk = recs[start:start + LIST_CHUNK]
            key = (start,) + tuple(map(id, chunk))
            got = self._chunks.get(key)
            if got is None:
                raw = (b"," if start else b"") + snapshot.joined(chunk)
                got = (chunk, raw, _deflate(raw))
            kept[key] = got   # holds the records: their ids are not reused meanwhile
            plain.append(got[1])
            packed.append(got[2])
        plain.append(tail)
        packed.append(_deflate(tail))
        self._chunks = kept
        body = b"".join(plain)
        return body, b"".join([GZIP_HEADER] + packed + [
            DEFLATE_END, struct.pack("<II", zlib.crc32(body), len(body) & 0xFFFFFFFF)])

    def _facets_same(self, snap, keys):
        """Whether the facets (counts of drivers per project, vendor and
        release, unfiltered) cannot have changed: the catalog is the same and
        no changed driver gained or lost a release."""
        old = self.snap
        if old is None or old.catalog is not snap.catalog:
            return False
        for key in keys:
            i = snap.by_key.get(tuple(key))
            if i is not None and old.records[i].release_ids != snap.records[i].release_ids:
                return False
        return True

    def _driver_names(self, key):
        names = self._names.get(key)
        if names is None:
            names = []
            for path, ctype in zip(files.driver_paths(key), ("application/json", "image/svg+xml")):
                try:
                    names.append((path, files.file_name(path, ctype)))
                except files.Unpublishable:
                    if path not in self._skipped:
                        log.warning("publication: no file name can stand for %s; left out", path)
                        self._skipped.add(path)
            self._names[key] = names
        return names

    def _file(self, snap, path, export_frag=None):
        got = files.render(self.app, snap, path, offload, export_frag)
        if got is None:
            return
        body, ctype = got
        name = files.file_name(path, ctype)
        gz = (len(body) >= GZIP_MIN and ctype.startswith(COMPRESSIBLE)
              and path not in NOT_PRECOMPRESSED)
        if self.tree.same(name, body) and (not gz or self.tree.has(name + ".gz")):
            yield name, None
            if gz:
                yield name + ".gz", None
            return
        yield name, body
        if gz:
            yield name + ".gz", offload(_gzip, body) if len(body) >= OFFLOAD_MIN else _gzip(body)
        elif self.tree.has(name + ".gz"):
            yield name + ".gz", REMOVED     # it shrank: nginx must not serve the old .gz


class ExportFrags:
    """api_v1.export_frag, remembered per record across generations: a
    record is immutable, and a new snapshot reuses every unchanged one, so
    only the changed drivers' fragments are made again. Called from a thread."""

    def __init__(self, before):
        self.before = before          # id(record) -> (record, fragment)
        self.kept = {}

    def __call__(self, rec):
        got = self.before.get(id(rec))
        if got is None or got[0] is not rec:
            got = (rec, api_v1.export_frag(rec))
        self.kept[id(rec)] = got     # the record is held: its id is not reused meanwhile
        return got[1]
