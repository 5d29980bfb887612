"""The static publication on disk: whole generations, atomically current, and
only what changed rewritten (driverlogd/publish/). nginx and the browser on
it: test_publication_nginx.py."""
import json
import os
import re
import threading

import pytest

from driverlogd.metrics import Metrics
from driverlogd.publish import Publisher
from driverlogd.web import make_app
from driverlogd.web.feeds import BADGE_TEXT
from tests.webfake import FakeReadModel, sample_catalog

ACME = ("openstack/cinder", "Acme", "Acme iSCSI")
ZETA = ("openstack/neutron", "Zeta Networks", "Zeta ML2")
ACME_DOC = "api/v1/drivers/openstack/cinder/Acme/Acme iSCSI.json"
ZETA_DOC = "api/v1/drivers/openstack/neutron/Zeta Networks/Zeta ML2.json"
ACME_BADGE = "badge/openstack/cinder/Acme/Acme iSCSI.svg"


class Recorder:
    """What a Publisher needs of the recorder: somewhere to listen."""

    def add_listener(self, listener):
        self.listener = listener


@pytest.fixture
def setup(tmp_path):
    rm = FakeReadModel(sample_catalog())
    app = make_app(rm, Metrics())
    metrics = Metrics()
    pub = Publisher(str(tmp_path / "pub"), Recorder(), app, metrics)
    return rm, pub, tmp_path / "pub", metrics


def current(folder):
    return folder / os.readlink(folder / "current")


def inode(folder, name):
    return os.stat(current(folder) / name).st_ino


def test_only_changed_files_are_rewritten(setup):
    rm, pub, folder, metrics = setup
    acme_fc = "api/v1/drivers/openstack/cinder/Acme/Acme FC.json"
    for i in range(10):    # a document over 1 KB, so it has a .gz
        rm.add_vote(("openstack/cinder", "Acme", "Acme FC"), True, "Build succeeded %d" % i)
    assert pub.publish()
    first = current(folder)
    before = {name: inode(folder, name) for name in
              (ACME_DOC, ZETA_DOC, ACME_BADGE, "api/v1/drivers.json", "static/app.js",
               "api/v1/releases.json", "index.html")}
    assert json.loads((first / ACME_DOC).read_text())["state"] == "unseen"

    rm.set_verdict(ACME, "Kilo", True, "Build succeeded")
    assert pub.publish()
    second = current(folder)
    assert second != first and first.is_dir()        # the old one stays for the grace
    after = {name: inode(folder, name) for name in before}
    changed = {name for name in before if after[name] != before[name]}
    assert changed == {ACME_DOC, ACME_BADGE, "api/v1/drivers.json"}
    assert json.loads((second / ACME_DOC).read_text())["state"] == "passing"
    assert json.loads((first / ACME_DOC).read_text())["state"] == "unseen"   # never touched
    assert b"passing" in (second / ACME_BADGE).read_bytes()
    # A sibling's document (its folder is a new shard now) keeps its .gz.
    assert (second / (acme_fc + ".gz")).exists()
    assert inode(folder, acme_fc) == os.stat(first / acme_fc).st_ino

    # Nothing new: no generation at all.
    assert not pub.publish()
    assert current(folder) == second
    assert metrics.publications._value.get() == 2
    assert metrics.registry.get_sample_value(
        "driverlog_publication_duration_seconds_count") == 2


def test_the_list_and_big_files_are_gzipped_beside(setup):
    import gzip
    rm, pub, folder, _ = setup
    pub.publish()
    gen = current(folder)
    for name in ("api/v1/drivers.json", "static/app.js"):
        assert gzip.decompress((gen / (name + ".gz")).read_bytes()) == (gen / name).read_bytes()


def test_a_generation_holds_every_asset_the_dashboard_names(setup):
    _, pub, folder, _ = setup
    pub.publish()
    gen = current(folder)
    names = re.findall(r'(?:src|href)="/(static/[^"]+)"', (gen / "index.html").read_text())
    assert "static/live.js" in names
    assert [n for n in names if not (gen / n).is_file()] == []


def test_retired_generations_go_after_the_grace(setup):
    rm, pub, folder, _ = setup
    now = [1000.0]
    pub.tree.clock = lambda: now[0]
    pub.publish()
    first = current(folder)
    rm.set_verdict(ACME, "Kilo", True)
    pub.publish()
    rm.set_verdict(ACME, "Kilo", False)
    now[0] += pub.tree.grace + 1
    pub.publish()
    assert not first.exists()
    assert sorted(os.listdir(folder)) == ["current", "gen-0000000002", "gen-0000000003", "shards"]
    # The drivers' folders are shards, shared by symlinks: the ones only the
    # deleted generation named are gone too.
    named = {os.path.basename(os.readlink(os.path.join(base, d)))
             for gen in ("gen-0000000002", "gen-0000000003")
             for base, dirs, _ in os.walk(folder / gen) for d in dirs
             if os.path.islink(os.path.join(base, d))}
    assert named and set(os.listdir(folder / "shards")) == named


def test_a_restart_starts_afresh_after_the_old_generations(setup, tmp_path):
    rm, pub, folder, _ = setup
    pub.publish()
    again = Publisher(str(folder), Recorder(), pub.app)
    again.publish()
    assert os.readlink(folder / "current") == "gen-0000000002"
    # Nothing linked from the earlier run: its files may not have reached the disk.
    assert inode(folder, ZETA_DOC) != os.stat(folder / "gen-0000000001" / ZETA_DOC).st_ino


def test_readers_never_see_a_part_or_two_generations(setup):
    """A reader resolves `current` once, as a request does, and reads the list,
    a document and a badge: they always agree, and every file is whole."""
    rm, pub, folder, _ = setup
    pub.publish()
    stop, seen, problems = threading.Event(), set(), []

    def reader():
        while not stop.is_set():
            gen = current(folder)
            try:
                listed = json.loads((gen / "api/v1/drivers.json").read_bytes())
                doc = json.loads((gen / ACME_DOC).read_bytes())
                badge = (gen / ACME_BADGE).read_bytes()
            except (ValueError, OSError) as e:
                problems.append("a missing file or a part of one: %s" % e)
                continue
            state = next(d["state"] for d in listed["drivers"] if d["name"] == ACME[2])
            if not (state == doc["state"] and BADGE_TEXT[state][0].encode() in badge):
                problems.append((gen.name, state, doc["state"]))
            seen.add(state)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for i in range(40):
            rm.set_verdict(ACME, "Kilo", i % 2 == 0, "run %d" % i)
            pub.publish()
    finally:
        stop.set()
        thread.join()
    assert problems == []
    assert seen >= {"passing", "failing"}


def test_burst_is_coalesced(setup):
    rm, pub, folder, _ = setup
    pub.min_interval = 60          # the writer waits this long between two generations
    pub.start()
    try:
        for i in range(20):
            rm.set_verdict(ACME, "Kilo", i % 2 == 0)
            pub.notify({ACME})
    finally:
        pub.close()                # publishes what is pending
    assert pub.writes <= 2         # the start state, then the burst's end
    gen = current(folder)
    assert json.loads((gen / ACME_DOC).read_text())["state"] == "failing"


def test_the_export_and_facets_follow_each_change(setup):
    """A generation renders only what changed, reusing the export's per-driver
    parts and the facets when they cannot differ: the files still equal
    what the daemon answers after each change."""
    from driverlogd.publish import files
    rm, pub, folder, _ = setup
    pub.publish()

    def releases():
        doc = json.loads((current(folder) / "api/v1/releases.json").read_bytes())
        return {r["id"]: r["count"] for r in doc["releases"]}
    liberty = releases()["Liberty"]
    rm.set_verdict(ACME, "Kilo", True)        # the facets cannot change
    pub.publish()
    rm.set_verdict(ACME, "Liberty", False)    # a release Acme iSCSI never claimed
    pub.publish()
    assert releases()["Liberty"] == liberty + 1
    snap = pub.app.snapshots.current()
    for path in ("/api/v1/export", "/api/v1/releases", "/api/v1/projects", "/api/v1/drivers"):
        body, ctype = files.render(pub.app, snap, path)
        assert (current(folder) / files.file_name(path, ctype)).read_bytes() == body, path
    # The list's gzip, remade a chunk at a time, still holds the same bytes.
    import gzip
    gen = current(folder)
    assert gzip.decompress((gen / "api/v1/drivers.json.gz").read_bytes()) == (
        gen / "api/v1/drivers.json").read_bytes()


def test_a_document_that_shrinks_loses_its_gz(setup):
    """nginx's gzip_static would serve a stale .gz beside a new small file."""
    rm, pub, folder, _ = setup
    key = ("openstack/cinder", "Acme", "Acme FC")
    name = "api/v1/drivers/openstack/cinder/Acme/Acme FC.json"
    for i in range(10):
        rm.add_vote(key, True, "Build succeeded %d" % i)
    pub.publish()
    assert (current(folder) / (name + ".gz")).exists()
    rm._votes[key].clear()                    # the fake's store forgets them
    rm._bump(key)
    pub.publish()
    assert len((current(folder) / name).read_bytes()) < 1024
    assert not (current(folder) / (name + ".gz")).exists()


def test_a_carried_generation_keeps_every_file_it_does_not_name(tmp_path):
    from driverlogd.publish.tree import REMOVED, Tree
    tree = Tree(str(tmp_path), shared=("d/",))
    tree.publish([("a.json", b"a"), ("d/x/1", b"x1"), ("d/x/2", b"x2"), ("d/y/1", b"y1")])
    tree.publish([("d/x/1", b"x1 again"), ("d/x/2", REMOVED)], carry=True)
    gen = tmp_path / "current"
    assert (gen / "a.json").read_bytes() == b"a" and (gen / "d/y/1").read_bytes() == b"y1"
    assert (gen / "d/x/1").read_bytes() == b"x1 again" and not (gen / "d/x/2").exists()
    tree.publish([("d/z/1", b"z1")], carry=True)    # a folder the last one lacked
    assert [(gen / n).read_bytes() for n in ("a.json", "d/x/1", "d/y/1", "d/z/1")] == [
        b"a", b"x1 again", b"y1", b"z1"]


def test_a_slow_generation_does_not_delay_the_next(setup):
    """Work slower than min_interval rests as long again in the export's
    coalescer; the publisher's must not: that rest was all lag."""
    rm, pub, folder, _ = setup
    waits = []

    class Stop(threading.Event):
        def wait(self, timeout=None):
            waits.append(timeout)
            self.set()       # one round of the writer's loop
    pub.min_interval = 0.0   # every generation is "slower" than that
    pub._stop = Stop()
    pub._wake.set()
    pub._run()
    assert pub.writes == 1 and waits == [0.0]
