"""The service's read model over a real recorder and store: the change feed
finds what commits changed by looking at those drivers only, and what time
alone changed (a CI going silent) when that moment comes."""
import pytest

from driverlogd.catalog.model import Catalog
from driverlogd.readside.live import LiveReadModel
from driverlogd.readside.reads import Reads
from driverlogd.recorder import Recorder
from driverlogd.store import Store
from tests.verdict_support import (
    ACME,
    ISCSI,
    SMB3,
    catalog,
    catalog_data,
    cloudbase_report,
    merged_report,
    ts,
)

CB = "cinder_smb3_ci"
DAY = 86400


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


class CountingReads(Reads):
    """Records which drivers each look() call looked at."""
    looked = None

    def look(self, now, keys=None):
        out = super().look(now, keys)
        if self.looked is not None:
            self.looked.append({row[0] for row in out})
        return out


@pytest.fixture
def world(tmp_path):
    clock = Clock(ts("2018-10-01"))
    store = Store(str(tmp_path / "state.db"))
    rec = Recorder(store, catalog(), clock=clock)
    rec.reads.__class__ = CountingReads
    rec.looked = rec.reads.looked = []
    model = LiveReadModel(rec, clock=clock)
    rec.looked = rec.reads.looked = []
    yield clock, rec, model
    store.close()


def feed(model):
    return [(c["key"], c["release"], c["old_state"], c["new_state"]) for c in model.changes()]


def test_a_commit_is_diffed_by_looking_at_its_drivers_only(world):
    clock, rec, model = world
    assert model.diff() == 0 and rec.looked == [set()]
    rec.handle_batch(merged_report(1, 1, CB, cloudbase_report(1, iscsi="FAILURE"), clock.now - 60))
    assert model.diff() == 4
    assert rec.looked[-1] == {ISCSI, SMB3}
    assert sorted(feed(model), key=str) == sorted([
        (ISCSI, None, "unseen", "failing"), (ISCSI, "Stein", None, "failing"),
        (SMB3, None, "unseen", "passing"), (SMB3, "Stein", None, "passing")], key=str)
    assert model.states()[ISCSI] == "failing" and model.states()[ACME] == "unseen"
    assert model.diff() == 0          # the feed's own bump changes nothing more


def test_silence_is_found_when_it_is_due_without_any_event(world):
    clock, rec, model = world
    rec.handle_batch(merged_report(2, 1, CB, cloudbase_report(2), clock.now))
    model.diff()
    clock.now += 60
    assert model.diff() == 0 and rec.looked[-1] == set()     # nothing due: nothing looked at
    clock.now += 29 * DAY
    assert model.diff() == 0                                  # a look now and then, in case
    clock.now += 1 * DAY
    assert model.diff() == 2                                  # both drivers of that account
    assert len(rec.looked[-1]) == len(rec.catalog.drivers)
    assert {c[0]: c[3] for c in feed(model) if c[1] is None and c[3] == "silent"} == {
        ISCSI: "silent", SMB3: "silent"}
    assert model.states()[ISCSI] == "silent"


def test_a_catalog_reload_is_diffed_whole(world):
    clock, rec, model = world
    data = catalog_data()
    data["drivers"] = [d for d in data["drivers"] if d["vendor"] != "Acme"]
    smaller = Catalog.from_data(data)
    rec.set_catalog(smaller)
    model.catalog_replaced()
    model.diff()
    assert rec.looked[-1] == {d.key for d in smaller.drivers}
    assert ACME not in model.states() and len(model.states()) == len(smaller.drivers)


def test_listeners_hear_every_generation_bump(world):
    """The event streams wake on this hook, so every bump must reach it: a
    commit, a diff that found a change (time alone: silence), a catalog reload."""
    clock, rec, model = world
    heard = []
    model.add_listener(lambda: heard.append(model.generation))
    rec.handle_batch(merged_report(3, 1, CB, cloudbase_report(3), clock.now))
    assert heard == [model.generation]
    model.diff()
    clock.now += 31 * DAY
    assert model.diff() == 2 and heard[-1] == model.generation and len(heard) == 3
    model.catalog_replaced()
    assert heard[-1] == model.generation and len(heard) == 4
