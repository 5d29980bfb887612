"""The publication on disk: a folder per generation, and `current`, a
symlink to the newest whole one.

Why this is atomic for readers: a generation's files are all written before
`current` points at it, and the link moves by rename(2) of a new symlink over
the old one, which is atomic. A static server resolves `current/...` afresh
for each request, so a request sees one whole generation: never a half-written
file, never two generations mixed. Files a generation shares with the one
before are hard links (the same inode: nothing copied, nothing rewritten). A
retired generation is deleted after `grace` seconds, long after any request
that resolved its path has opened its file (and an open file outlives its
unlinking anyway). Do not enable nginx's open_file_cache on it.

No fsync: the publication is derived data. After a crash the next start
writes a whole generation afresh (nothing is linked from an earlier run).
The file operations of a generation (20,000 links at 10,000 drivers) run as
one batch in a thread, off gevent's hub.
"""
import hashlib
import logging
import os
import shutil
import time

log = logging.getLogger(__name__)
GRACE = 30.0
SAME_MAX = 1 << 20    # bytes: larger files are taken as changed, unhashed
PREFIX = "gen-"
CURRENT = "current"


def digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


class Tree:
    def __init__(self, root, grace=GRACE, clock=time.monotonic):
        self.root = os.path.abspath(root)
        self.grace = grace
        self.clock = clock
        os.makedirs(self.root, exist_ok=True)
        found = [n for n in os.listdir(self.root) if n.startswith(PREFIX)]
        numbers = [int(n[len(PREFIX):]) for n in found if n[len(PREFIX):].isdigit()]
        self.seq = max(numbers, default=0)
        # An earlier run's generations: one may still be served, so each goes
        # after the grace, like any other retired generation.
        self.retired = [(n, clock()) for n in found]
        self.name = None          # the generation last published by this run
        self.manifest = {}        # its files: name -> digest of the contents (or None)

    def same(self, name, data):
        """Whether the current generation holds `name` with exactly `data`."""
        old = self.manifest.get(name)
        return old is not None and len(data) <= SAME_MAX and old == digest(data)

    def has(self, name):
        return name in self.manifest

    def publish(self, entries, run=None):
        """Write a generation and make it current. `entries`: (file name, bytes or
        None); None means unchanged: linked from the current generation. The
        file operations run as one batch through `run(fn, *args)` (the
        publisher passes a thread pool's: syscalls let go of the GIL, and the
        hub goes on serving); by default here. Returns the new folder's name."""
        self.seq += 1
        name = "%s%010d" % (PREFIX, self.seq)
        prev = self.name
        links, writes = [], []
        for rel, data in entries:
            if data is None:
                links.append(rel)
            else:
                writes.append((rel, data))
        manifest = {rel: self.manifest[rel] for rel in links}
        manifest.update((rel, _digest_if_small(data)) for rel, data in writes)
        try:
            (run or _call)(self._write, name, prev, links, writes)
        except BaseException:
            self.retired.append((name, self.clock() - self.grace))   # half-made: next prune
            raise
        tmp = os.path.join(self.root, ".current.tmp")
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        os.symlink(name, tmp)
        os.replace(tmp, os.path.join(self.root, CURRENT))
        if prev:
            self.retired.append((prev, self.clock()))
        self.name, self.manifest = name, manifest
        self.prune(run=run)
        return name

    def _write(self, name, prev, links, writes):
        """The generation's folder, whole (runs in a thread: no gevent here)."""
        folder = os.path.join(self.root, name)
        old = os.path.join(self.root, prev) if prev else None
        made = {""}
        os.mkdir(folder)
        os.chmod(folder, 0o755)     # readable by the web server, whatever our umask
        for rel in links:
            _mkdirs(folder, os.path.dirname(rel), made)
            os.link(os.path.join(old, rel), os.path.join(folder, rel))
        for rel, data in writes:
            _mkdirs(folder, os.path.dirname(rel), made)
            fd = os.open(os.path.join(folder, rel), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            try:
                os.fchmod(fd, 0o644)
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
            finally:
                os.close(fd)

    def prune(self, now=None, run=None):
        """Delete retired generations older than the grace (never the current)."""
        now = self.clock() if now is None else now
        keep, gone = [], []
        for name, since in self.retired:
            if name == self.name or now - since < self.grace:
                keep.append((name, since))
            else:
                gone.append(name)
        self.retired = keep
        if gone:
            (run or _call)(self._remove, gone)

    def _remove(self, names):
        for name in names:
            try:
                shutil.rmtree(os.path.join(self.root, name))
            except OSError as e:
                log.warning("publication: cannot delete %s: %s", name, e)


def _call(fn, *args):
    return fn(*args)


def _mkdirs(folder, rel, made):
    if rel in made:
        return
    _mkdirs(folder, os.path.dirname(rel), made)
    path = os.path.join(folder, rel)
    os.mkdir(path)
    os.chmod(path, 0o755)
    made.add(rel)


def _digest_if_small(data):
    """Files past SAME_MAX carry the generation (the list, the export): they
    differ every time, so hashing them is wasted."""
    return digest(data) if len(data) <= SAME_MAX else None
