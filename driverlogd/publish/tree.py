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
The file operations of a generation (6,700 symlinks at 10,000 drivers, one
per shard) run as one batch in a thread, off gevent's hub. A "carried"
generation is given only what changed; the shards it does not touch are
named again without their files being listed.
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
SHARDS = "shards"
CURRENT = "current"
REMOVED = object()    # an entry's data: the file is left out of the new generation


def digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


class Tree:
    def __init__(self, root, grace=GRACE, clock=time.monotonic, shared=()):
        """`shared`: folders (as "badge/") whose file-holding subfolders are
        shards: immutable folders under shards/, which a generation names by
        a symlink. A generation then costs a link per shard, not per file."""
        self.root = os.path.abspath(root)
        self.grace = grace
        self.clock = clock
        self.shared = tuple(shared)
        if not os.path.isdir(self.root):
            os.makedirs(self.root)
            os.chmod(self.root, 0o755)   # the web server reads it, whatever our umask
        if not os.path.isdir(os.path.join(self.root, SHARDS)):
            _mkdir(os.path.join(self.root, SHARDS))
        found = [n for n in os.listdir(self.root) if n.startswith(PREFIX)]
        numbers = [int(n[len(PREFIX):]) for n in found if n[len(PREFIX):].isdigit()]
        self.seq = max(numbers, default=0)
        old_shards = set(os.listdir(os.path.join(self.root, SHARDS)))
        self.shard_seq = max((int(n[1:]) for n in old_shards if n[1:].isdigit()), default=0)
        # An earlier run's generations: one may still be served, so each goes
        # after the grace, like any other retired generation; its shards with it.
        self.retired = [(n, clock()) for n in found]
        self.uses = {n: old_shards for n in found}   # generation -> the shards it names
        self.made_shards = set(old_shards)
        self.name = None          # the generation last published by this run
        self.manifest = {}        # its files: name -> digest of the contents (or None)
        self.shards = {}          # its shared folders: folder -> shard
        self.members = {}         # ... and the files each holds
        self.plain = []           # its other files

    def same(self, name, data):
        """Whether the current generation holds `name` with exactly `data`."""
        old = self.manifest.get(name)
        return old is not None and len(data) <= SAME_MAX and old == digest(data)

    def has(self, name):
        return name in self.manifest

    def publish(self, entries, run=None, carry=False):
        """Write a generation and make it current. `entries`: (file name, bytes or
        None); None means unchanged: linked from the current generation.
        `carry`: the entries name only what changed (REMOVED drops a file);
        every other file of the current generation is kept as it is, and a
        shard no entry names is named again, not walked. The file operations
        run as one batch through `run(fn, *args)` (the publisher passes a
        thread pool's: syscalls let go of the GIL, and the hub goes on
        serving); by default here. Returns the new folder's name."""
        carry = carry and self.name is not None
        given = dict(entries) if carry else entries
        split = self._carried(given) if carry else None
        if split is None:
            if carry:   # a folder the last generation lacks: walk it all
                given = list(given.items()) + [(rel, None) for rel in self.manifest
                                               if rel not in given]
            split = self._split(given)
        plain, groups, manifest = split
        self.seq += 1
        name = "%s%010d" % (PREFIX, self.seq)
        prev = self.name
        shards, new = {}, []
        for parent, files in groups.items():
            if files is None:
                shards[parent] = self.shards[parent]
            elif parent in self.shards and all(data is None for _, data in files):
                shards[parent] = self.shards[parent]
            else:
                self.shard_seq += 1
                shards[parent] = "s%010d" % self.shard_seq
                new.append((shards[parent], files))
        members = {parent: self.members[parent] if files is None else [rel for rel, _ in files]
                   for parent, files in groups.items()}
        self.made_shards.update(shard for shard, _ in new)
        self.uses[name] = set(shards.values())
        try:
            (run or _call)(self._write, name, prev, plain, new, shards)
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
        self.name, self.manifest, self.shards = name, manifest, shards
        self.members, self.plain = members, [rel for rel, _ in plain]
        self.prune(run=run)
        return name

    def _split(self, entries):
        """(plain files, shared folder -> its files, manifest) of a whole generation."""
        plain, groups = [], {}
        for rel, data in entries:
            if data is REMOVED:
                continue
            parent = rel.rpartition("/")[0]
            if parent.startswith(self.shared) and parent + "/" not in self.shared:
                groups.setdefault(parent, []).append((rel, data))
            else:
                plain.append((rel, data))
        # A folder that holds another shared one must be a real folder.
        for parent in list(groups):
            up = parent.rpartition("/")[0]
            while up + "/" not in self.shared and up:
                if up in groups:
                    plain.extend(groups.pop(up))
                up = up.rpartition("/")[0]
        manifest = {}
        for rel, data in plain:
            manifest[rel] = self.manifest[rel] if data is None else _digest_if_small(data)
        for files in groups.values():
            for rel, data in files:
                manifest[rel] = self.manifest[rel] if data is None else _digest_if_small(data)
        return plain, groups, manifest

    def _carried(self, given):
        """_split for `carry`: only the shared folders an entry names are
        walked (a None in `groups` keeps the folder's shard). None when an
        entry lies in a folder the current generation does not have."""
        plain_dirs = {rel.rpartition("/")[0] for rel in self.plain}
        touched = {}
        for rel, data in given.items():
            parent = rel.rpartition("/")[0]
            if parent in self.members:
                touched.setdefault(parent, {})[rel] = data
            elif parent in plain_dirs or not (parent.startswith(self.shared)
                                              and parent + "/" not in self.shared):
                touched.setdefault(None, {})[rel] = data
            else:
                return None
        manifest = dict(self.manifest)
        for rel, data in given.items():
            if data is REMOVED:
                manifest.pop(rel, None)
            elif data is not None:
                manifest[rel] = _digest_if_small(data)

        def merged(names, changes):
            files = [(rel, changes.get(rel)) for rel in names]
            known = set(names)
            files.extend((rel, data) for rel, data in changes.items() if rel not in known)
            return [(rel, data) for rel, data in files if data is not REMOVED]
        plain = merged(self.plain, touched.pop(None, {}))
        groups = dict.fromkeys(self.members)
        for parent, changes in touched.items():
            groups[parent] = merged(self.members[parent], changes)
        return plain, groups, manifest

    def _write(self, name, prev, plain, new, shards):
        """The generation's folder, whole (runs in a thread: no gevent here)."""
        folder = os.path.join(self.root, name)
        old = os.path.join(self.root, prev) if prev else None
        made = {""}
        _mkdir(folder)
        for shard, files in new:
            into = os.path.join(self.root, SHARDS, shard)
            _mkdir(into)
            for rel, data in files:
                _put(os.path.join(old, rel) if data is None else data,
                     os.path.join(into, os.path.basename(rel)))
        for rel, data in plain:
            _mkdirs(folder, rel.rpartition("/")[0], made)
            _put(os.path.join(old, rel) if data is None else data, os.path.join(folder, rel))
        for parent, shard in shards.items():
            up = parent.rpartition("/")[0]
            _mkdirs(folder, up, made)
            # Relative, so the publication may move: from folder/up to the root.
            os.symlink("../" * (up.count("/") + 2) + SHARDS + "/" + shard,
                       folder + "/" + parent)

    def prune(self, now=None, run=None):
        """Delete retired generations older than the grace (never the current),
        then the shards no generation left names."""
        now = self.clock() if now is None else now
        keep, gone = [], []
        for name, since in self.retired:
            if name == self.name or now - since < self.grace:
                keep.append((name, since))
            else:
                gone.append(name)
        self.retired = keep
        if not gone:
            return
        for name in gone:
            self.uses.pop(name, None)
        live = set().union(*self.uses.values())
        dead = [os.path.join(SHARDS, s) for s in self.made_shards - live]
        self.made_shards &= live
        (run or _call)(self._remove, gone + dead)

    def _remove(self, names):
        for name in names:
            try:
                shutil.rmtree(os.path.join(self.root, name))
            except FileNotFoundError:
                pass
            except OSError as e:
                log.warning("publication: cannot delete %s: %s", name, e)


def _call(fn, *args):
    return fn(*args)


def _mkdir(path):
    os.mkdir(path)
    os.chmod(path, 0o755)     # readable by the web server, whatever our umask


def _mkdirs(folder, rel, made):
    if rel in made:
        return
    _mkdirs(folder, rel.rpartition("/")[0], made)
    _mkdir(os.path.join(folder, rel))
    made.add(rel)


def _put(source, path):
    """Link `source` (a path: an unchanged file) or write it (bytes) at `path`."""
    if isinstance(source, str):
        os.link(source, path)
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        os.fchmod(fd, 0o644)
        view = memoryview(source)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _digest_if_small(data):
    """Files past SAME_MAX carry the generation (the list, the export): they
    differ every time, so hashing them is wasted."""
    return digest(data) if len(data) <= SAME_MAX else None
