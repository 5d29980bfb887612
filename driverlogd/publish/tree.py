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
The work pauses for other greenlets every STEP file operations.
"""
import hashlib
import logging
import os
import stat
import time

import gevent

log = logging.getLogger(__name__)
GRACE = 30.0
STEP = 200            # file operations between two pauses (a few ms of work)
PREFIX = "gen-"
CURRENT = "current"


def pause():
    """Let other greenlets run. Not sleep(0): it switches through the hub's
    callback queue without letting it poll, so a loop of them starved timers
    and sockets for hundreds of ms; a timer, however short, lets it poll."""
    gevent.sleep(0.0001)


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
        self.manifest = {}        # its files: name -> digest of the contents
        self._ops = 0

    def same(self, name, data):
        """Whether the current generation holds `name` with exactly `data`."""
        return self.manifest.get(name) == digest(data)

    def has(self, name):
        return name in self.manifest

    def publish(self, entries):
        """Write a generation and make it current. `entries`: (file name, bytes or
        None); None means unchanged: linked from the current generation. Returns
        the new generation's folder name."""
        self.seq += 1
        name = "%s%010d" % (PREFIX, self.seq)
        folder = os.path.join(self.root, name)
        os.mkdir(folder)
        os.chmod(folder, 0o755)     # readable by the web server, whatever our umask
        prev = os.path.join(self.root, self.name) if self.name else None
        manifest, made = {}, {""}
        try:
            for rel, data in entries:
                parent = os.path.dirname(rel)
                if parent not in made:
                    self._mkdirs(folder, parent, made)
                path = os.path.join(folder, rel)
                if data is None:
                    os.link(os.path.join(prev, rel), path)
                    manifest[rel] = self.manifest[rel]
                else:
                    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                    try:
                        os.fchmod(fd, 0o644)
                        view = memoryview(data)
                        while view:
                            view = view[os.write(fd, view):]
                    finally:
                        os.close(fd)
                    manifest[rel] = digest(data)
                self._step()
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
        if self.name:
            self.retired.append((self.name, self.clock()))
        self.name, self.manifest = name, manifest
        self.prune()
        return name

    def _mkdirs(self, folder, rel, made):
        parts = rel.split("/")
        for i in range(1, len(parts) + 1):
            sub = "/".join(parts[:i])
            if sub not in made:
                path = os.path.join(folder, sub)
                os.mkdir(path)
                os.chmod(path, 0o755)
                made.add(sub)
                self._step()

    def _step(self):
        self._ops += 1
        if self._ops % STEP == 0:
            pause()

    def prune(self, now=None):
        """Delete retired generations older than the grace (never the current)."""
        now = self.clock() if now is None else now
        keep = []
        for name, since in self.retired:
            if name == self.name or now - since < self.grace:
                keep.append((name, since))
                continue
            try:
                self._remove(os.path.join(self.root, name))
            except OSError as e:
                log.warning("publication: cannot delete %s: %s", name, e)
        self.retired = keep

    def _remove(self, top):
        """rmtree, yielding to other greenlets as it goes."""
        for base, dirs, files in os.walk(top, topdown=False):
            for f in files:
                os.unlink(os.path.join(base, f))
                self._step()
            for d in dirs:
                path = os.path.join(base, d)
                if stat.S_ISLNK(os.lstat(path).st_mode):
                    os.unlink(path)
                else:
                    os.rmdir(path)
        os.rmdir(top)
