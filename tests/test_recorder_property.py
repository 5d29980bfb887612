"""Property: the same events in any order, with duplicates, give the same
verdicts and history as applying them once in order; and the
verdicts the store's SQL keeps are the pure rule's (verdict/promotion.py)."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from driverlogd.recorder import Recorder
from driverlogd.store import Store
from driverlogd.verdict.promotion import verdict
from tests.verdict_support import (
    ACME,
    ISCSI,
    SMB3,
    catalog,
    cloudbase_report,
    comment,
    merged,
    ts,
)

CAT = catalog()
BRANCH = {1: "master", 2: "stable/rocky", 3: "master", 4: "stable/queens"}
T0 = ts("2018-08-25")        # master straddles Stein's start (2018-08-27)
MESSAGES = [
    lambda ps: cloudbase_report(ps),
    lambda ps: cloudbase_report(ps, iscsi="FAILURE", vote="-1"),
    lambda ps: cloudbase_report(ps, smb3="FAILURE", vote="-1"),
    lambda ps: f"Patch Set {ps}:\n\nStarting check jobs.",
    lambda ps: f"Patch Set {ps}: Build Successful",
    lambda ps: f"Patch Set {ps}: Build Failed",
]

comments = st.builds(
    lambda n, ps, author, msg, hours, status: comment(
        n, ps, author, MESSAGES[msg](ps), T0 + hours * 3600, branch=BRANCH[n], status=status),
    st.sampled_from(sorted(BRANCH)), st.integers(1, 3),
    st.sampled_from(["cinder_smb3_ci", "acme-ci", "human"]),
    st.integers(0, len(MESSAGES) - 1), st.integers(0, 96),
    st.sampled_from(["NEW", "MERGED"]))
merges = st.builds(lambda n, ps, hours, complete: merged(
    n, ps, T0 + hours * 3600, branch=BRANCH[n])._replace(complete=complete),
    st.sampled_from(sorted(BRANCH)), st.integers(1, 3), st.integers(0, 96), st.booleans())


def outcome(events):
    # position_every=0: irrelevant events persist the position too, so it is exact
    rec = Recorder(Store(":memory:"), CAT, clock=lambda: T0, position_every=0)
    for e in events:
        rec.handle(e)
    # Verdicts kept up incrementally by the store's SQL are the pure rule
    # applied to every vote afresh, and the read side's (rebuilt from the
    # store by a fresh recorder) the same.
    store = rec.store
    for did, release in store.db.execute("SELECT DISTINCT driver_id, release FROM votes "
                                         "WHERE release IS NOT NULL").fetchall():
        best = verdict(store.evidence(did, release))
        assert (best and best.comment_id) == store.verdict_id(did, release)
    fresh = Recorder(rec.store, CAT, clock=lambda: T0, position_every=0)
    reads = rec.reads
    assert all(fresh.reads.verdicts(k) == reads.verdicts(k) for k in (ISCSI, SMB3, ACME))
    # Nothing is left to a guess: a merge whose patch set Gerrit did not say
    # waits for an answer. (Which questions are asked may depend on order.)
    assert not store.db.execute("SELECT 1 FROM merges m LEFT JOIN questions q USING "
                                "(project, change) WHERE m.patchset IS NULL AND "
                                "q.change IS NULL").fetchall()
    return ({k: reads.verdicts(k) for k in (ISCSI, SMB3, ACME)},
            {k: reads.votes(k, 1000) for k in (ISCSI, SMB3, ACME)},
            rec.position())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(comments, merges), min_size=1, max_size=14), st.data())
def test_any_order_with_duplicates_gives_the_same_result(events, data):
    # The same comment seen by the stream and by a catch-up query, stamped
    # a second or two apart, is one vote.
    events = events + [e._replace(created_on=e.created_on + shift) for e, shift in
                       data.draw(st.lists(st.tuples(st.sampled_from(events), st.integers(1, 2)),
                                          max_size=4))]
    once = outcome(events)
    replay = events + data.draw(st.lists(st.sampled_from(events), max_size=10))
    shuffled = data.draw(st.permutations(replay))
    assert outcome(shuffled) == once
