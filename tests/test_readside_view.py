"""The read model's vote window (readside/view.py): what it keeps, and where."""
import random

from driverlogd.readside.view import View

A, B, C = ("p", "v", "a"), ("p", "v", "b"), ("p", "v", "c")


class Window:
    """The rule, written plainly: the newest `last_n` votes as they came, a
    replayed comment replaces its vote, one over drops the oldest (the first
    of equals), and the newest ever added is remembered."""

    def __init__(self, last_n):
        self.last_n, self.votes, self.newest = last_n, {}, {}

    def add(self, key, cid, ts, passed):
        code = (ts, passed)
        self.newest[key] = max(self.newest.get(key, code), code)
        votes = self.votes.setdefault(key, [])
        for i, (c, _) in enumerate(votes):
            if c == cid:
                votes[i] = (cid, code)
                return
        votes.append((cid, code))
        if len(votes) > self.last_n:
            del votes[min(range(len(votes)), key=lambda i: votes[i][1])]


def test_the_window_follows_the_rule_whatever_the_order():
    rnd = random.Random(14)
    for last_n in (1, 3, 20):
        view, window = View(last_n=last_n), Window(last_n)
        for _ in range(3000):    # few distinct times and comments: ties, replays, late votes
            key, cid = rnd.choice((A, B, C)), rnd.randrange(60)
            ts, passed = 1_700_000_000 + rnd.randrange(40), rnd.random() < 0.6
            view.add_vote(key, cid, ts, passed)
            window.add(key, cid, ts, passed)
            assert view.recent(key) == [code for _, code in window.votes[key]]
            assert view._newest(key) == window.newest[key]
            assert view.last_vote(key) == window.newest[key][0]
    assert View().recent(A) == [] and View().last_vote(A) is None


def test_every_drivers_votes_are_one_array_of_a_slot_each():
    # Not an array per driver: those grew through a dozen block sizes and
    # left the old blocks free among others.
    view = View(last_n=20)
    for i in range(100):
        for key in (A, B, C):
            view.add_vote(key, i, 1_700_000_000 + i, True)
    assert len(view._votes) == 3 * (2 + 2 * 20)
    assert [len(view.recent(k)) for k in (A, B, C)] == [20, 20, 20]


def test_a_verdict_change_replaces_the_drivers_mapping_never_changes_it():
    """The live model's diff keeps the mapping it saw and skips a driver whose
    mapping is the same object: a change must come as a new one."""
    view, key = View(), ("nova", "Acme", "A")
    v1 = {"result": True, "timestamp": 10, "change": 1, "patchset": 1}
    view.set_verdict(key, "Epoxy", v1)
    seen = view.verdicts[key]
    view.add_vote(key, 7, 20, False)
    assert view.verdicts[key] is seen           # votes alone leave it
    view.set_verdict(key, "Flamingo", dict(v1, result=False))
    assert view.verdicts[key] is not seen and seen == {"Epoxy": v1}
    seen = view.verdicts[key]
    view.set_verdict(key, "Epoxy", None)
    assert view.verdicts[key] is not seen and set(seen) == {"Epoxy", "Flamingo"}
    assert set(view.verdicts[key]) == {"Flamingo"}
    seen = view.verdicts[key]
    view.set_verdict(key, "Epoxy", None)        # nothing to remove: nothing changes
    assert view.verdicts[key] is seen
