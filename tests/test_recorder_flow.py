"""Events through the recorder into a real SQLite store: the promotion rules
from vote to verdict, position, restart, and what unknown events cost."""

import pytest

from driverlogd.gerrit.events import DroppedOutput
from driverlogd.metrics import Metrics
from driverlogd.readside import gauges
from driverlogd.recorder import Recorder
from driverlogd.store import Store
from tests.verdict_support import (
    ACME,
    FOO,
    ISCSI,
    NOCI,
    SMB3,
    catalog,
    cloudbase_report,
    comment,
    merged,
    merged_report,
    ts,
)

CB = "cinder_smb3_ci"


@pytest.fixture
def rec(tmp_path):
    store = Store(str(tmp_path / "state.db"))
    r = Recorder(store, catalog(), metrics=Metrics(), clock=lambda: ts("2018-10-01"))
    yield r
    store.close()


def questions(rec):
    return [(c, r) for _, c, r, _ in rec.store.questions_due(2 ** 40, 100)]


def writes(store):
    return store.db.total_changes


def test_vote_before_merge_is_promoted_by_change_merged(rec):
    t = ts("2018-09-01")
    rec.handle(comment(100, 2, CB, cloudbase_report(2, iscsi="FAILURE", vote="-1"), t))
    assert rec.reads.verdicts(ISCSI) == {}                       # pending: not merged yet
    assert rec.reads.votes(ISCSI)[0]["result"] is False
    rec.handle(merged(100, 2, t + 60))
    v = rec.reads.verdicts(ISCSI)["Stein"]
    assert (v["result"], v["change"], v["patchset"], v["timestamp"]) == (False, 100, 2, t)
    assert "iscsi : FAILURE" in v["comment"]
    assert v["review_url"] == "https://review.example.org/100"
    assert rec.reads.verdicts(SMB3)["Stein"]["result"] is True  # same comment, other driver


def test_comment_after_merge_is_a_verdict_once_gerrit_says_that_patch_set_merged(rec):
    rec.handle(comment(101, 4, CB, cloudbase_report(4), ts("2018-09-02"), status="MERGED"))
    assert rec.reads.verdicts(ISCSI) == {}                  # merged, but as which patch set?
    assert questions(rec) == [(101, "merged-patchset")]
    rec.handle(merged(101, 4, ts("2018-09-02") - 5, complete=True))    # Gerrit's answer
    assert rec.reads.verdicts(ISCSI)["Stein"]["patchset"] == 4
    assert questions(rec) == []


def test_an_answer_is_recorded_and_its_question_closed_in_one_transaction(rec, monkeypatch):
    t = ts("2018-09-02")
    rec.handle(comment(108, 3, CB, cloudbase_report(3), t, status="MERGED"))
    rec.handle(comment(109, 1, CB, cloudbase_report(1), t, status="MERGED"))
    assert questions(rec) == [(108, "merged-patchset"), (109, "merged-patchset")]
    position = rec.position()
    begun = []
    transaction = rec.store.transaction
    monkeypatch.setattr(rec.store, "transaction", lambda **kw: begun.append(1) or transaction(**kw))
    rec.handle_answer("openstack/cinder", 108, [merged(108, 3, t - 5, complete=True)])
    assert rec.reads.verdicts(ISCSI)["Stein"]["change"] == 108
    assert questions(rec) == [(109, "merged-patchset")] and len(begun) == 1
    rec.handle_answer("openstack/cinder", 109, [])        # not found: nothing more to ask
    assert questions(rec) == [] and len(begun) == 2
    assert rec.position() == position                     # answers are no part of the stream


def test_a_report_after_change_merged_is_a_verdict_at_once(rec):
    rec.handle(merged(107, 2, ts("2018-09-02") - 5))
    rec.handle(comment(107, 2, CB, cloudbase_report(2), ts("2018-09-02"), status="MERGED"))
    assert rec.reads.verdicts(ISCSI)["Stein"]["patchset"] == 2
    # Asked only whether reports from before the daemon watched exist (this
    # world's clock is past the change), never which patch set merged.
    assert questions(rec) == [(107, "before-watching")]


def test_vote_on_an_older_patch_set_never_becomes_the_verdict(rec):
    t = ts("2018-09-01")
    rec.handle(comment(102, 1, CB, cloudbase_report(1, smb3="FAILURE"), t))
    rec.handle(comment(102, 2, CB, cloudbase_report(2), t + 100))
    rec.handle(merged(102, 3, t + 200))                    # merged as patch set 3
    assert rec.reads.verdicts(SMB3) == {}
    # a late report on patch set 1 after the merge is history, not the verdict
    rec.handle_batch(merged_report(102, 1, CB, cloudbase_report(1, smb3="FAILURE", vote="-1") + "late",
                       t + 300))
    assert rec.reads.verdicts(SMB3) == {}
    rec.handle_batch(merged_report(102, 3, CB, cloudbase_report(3), t + 400))
    assert rec.reads.verdicts(SMB3)["Stein"]["patchset"] == 3
    assert len(rec.reads.votes(SMB3)) == 4


def test_a_late_report_on_an_old_patch_set_is_never_guessed_to_be_the_merged_one(rec):
    """A slow CI reports on patch set 1 after the change merged as patch set 2,
    and change-merged was never seen: the daemon asks which patch set merged
    instead of assuming 1, and the report stays history."""
    t = ts("2018-09-01")
    rec.handle(comment(103, 1, CB, cloudbase_report(1), t, status="MERGED"))
    assert rec.reads.verdicts(ISCSI) == {}
    assert questions(rec) == [(103, "merged-patchset")]
    rec.handle(merged(103, 2, t - 10, complete=True))
    assert rec.reads.verdicts(ISCSI) == {} and questions(rec) == []
    assert [v["patchset"] for v in rec.reads.votes(ISCSI)] == [1]


def test_only_a_newer_vote_replaces_the_verdict(rec):
    rec.handle_batch(merged_report(104, 1, CB, cloudbase_report(1), ts("2018-09-10")))
    rec.handle_batch(merged_report(105, 1, CB, cloudbase_report(1, iscsi="FAILURE"), ts("2018-09-05")))
    assert rec.reads.verdicts(ISCSI)["Stein"]["change"] == 104
    rec.handle_batch(merged_report(106, 1, CB, cloudbase_report(1, iscsi="FAILURE"), ts("2018-09-20")))
    assert rec.reads.verdicts(ISCSI)["Stein"]["change"] == 106
    assert rec.reads.status(ISCSI)["state"] == "failing"


def test_a_merge_promotes_its_newest_counting_report_against_the_stored_verdict(rec):
    """change-merged weighs, per driver and release, the change's reports on the
    merged patch set (the newest wins, older patch sets never) against the
    verdict already held (a newer one from another change stays)."""
    t = ts("2018-09-01")
    rec.handle(comment(120, 2, CB, cloudbase_report(2, iscsi="FAILURE", vote="-1"), t))
    rec.handle(comment(120, 2, CB, cloudbase_report(2), t + 60))           # recheck passes
    rec.handle(comment(120, 2, CB, cloudbase_report(2, smb3="FAILURE", vote="-1"), t + 30))
    rec.handle(comment(120, 1, CB, cloudbase_report(1, iscsi="FAILURE", vote="-1"), t + 90))
    rec.handle(merged(121, 3, t + 100))
    smb3_only = ("Patch Set 3: Verified-1\n\n- cinder-smb3-windows-full-tempest "
                 "http://ci.cloudbase.example/3/smb3 :FAILURE in 1h\n")
    rec.handle(comment(121, 3, CB, smb3_only, t + 200, status="MERGED"))
    assert rec.reads.verdicts(SMB3)["Stein"]["change"] == 121       # newer, held
    assert rec.reads.verdicts(ISCSI) == {}
    told = []
    rec.add_listener(told.append)
    rec.handle(merged(120, 2, t + 300))
    assert told == [{ISCSI}]        # SMB3's verdict stays: the read side hears nothing of it
    iscsi = rec.reads.verdicts(ISCSI)["Stein"]
    assert (iscsi["change"], iscsi["patchset"], iscsi["timestamp"], iscsi["result"]) == \
        (120, 2, t + 60, True)
    smb3 = rec.reads.verdicts(SMB3)["Stein"]
    assert (smb3["change"], smb3["timestamp"], smb3["result"]) == (121, t + 200, False)
    rec.handle(merged(122, 1, t + 10))
    rec.handle(comment(122, 1, "acme-ci", "Patch Set 1: Build Failed", t + 5))
    rec.handle(comment(123, 1, "acme-ci", "Patch Set 1: Build Successful", t + 400))
    rec.handle(comment(123, 1, "acme-ci", "Patch Set 1: Build Failed", t + 450))
    rec.handle(merged(123, 1, t + 500))
    acme = rec.reads.verdicts(ACME)["Stein"]
    assert (acme["change"], acme["timestamp"], acme["result"]) == (123, t + 450, False)


def test_branches_map_to_releases(rec):
    rec.handle_batch(merged_report(110, 1, CB, cloudbase_report(1), ts("2018-06-01")))
    rec.handle_batch(merged_report(111, 1, CB, cloudbase_report(1), ts("2018-06-02"),
                       branch="stable/queens"))
    rec.handle_batch(merged_report(112, 1, CB, cloudbase_report(1), ts("2018-06-03"),
                       branch="feature/x"))
    assert sorted(rec.reads.verdicts(ISCSI)) == ["Rocky"]   # master in June 2018 = Rocky
    # feature/x is no release; Queens is inactive: history only
    assert [v["release"] for v in rec.reads.votes(ISCSI)] == [None, None, "Rocky"]


def test_ci_account_matters_and_repo_matters(rec):
    t = ts("2018-09-01")
    msg = "Patch Set 1: Verified+1\n\nBuild Successful"
    rec.handle_batch(merged_report(120, 1, "someone-else", msg, t))
    rec.handle_batch(merged_report(121, 1, "acme-ci", msg, t, project="openstack/nova"))
    rec.handle_batch(merged_report(122, 1, "foo-ci", "Patch Set 1:\n- job : SUCCESS", t,
                       project="openstack/neutron"))   # foo's repo is networking-foo
    assert rec.reads.verdicts(ACME) == {} and rec.reads.verdicts(FOO) == {}
    rec.handle_batch(merged_report(123, 1, "foo-ci", "Patch Set 1:\n- job : SUCCESS", t,
                       project="openstack/networking-foo"))
    assert rec.reads.verdicts(FOO)["Stein"]["result"] is True


def test_unknown_events_write_nothing_but_a_lagging_position(rec):
    t = ts("2018-09-01")
    rec.handle(comment(130, 1, CB, cloudbase_report(1), t))
    before = writes(rec.store)
    rec.handle(comment(131, 1, "human", "Patch Set 1: Code-Review+2", t + 5))
    rec.handle(merged(132, 1, t + 6, project="openstack/nova"))
    rec.handle(DroppedOutput(t + 7))
    assert writes(rec.store) == before and rec.position() == t
    rec.handle(merged(133, 1, t + 100, project="openstack/nova"))   # lags >= 60 s: persist
    assert rec.position() == t + 100 and rec.store.position() == t + 100


def test_replays_are_idempotent_and_position_never_moves_back(rec):
    t = ts("2018-09-01")
    events = [comment(140, 1, CB, cloudbase_report(1), t), merged(140, 1, t + 10),
              comment(141, 2, CB, cloudbase_report(2, iscsi="FAILURE"), t + 20, status="MERGED")]
    for e in events:
        rec.handle(e)
    rows = "SELECT (SELECT COUNT(*) FROM comments), (SELECT COUNT(*) FROM votes)"
    state = (dict(rec.reads.view.verdicts), rec.reads.votes(ISCSI), rec.position(),
             rec.store.db.execute(rows).fetchone())
    for e in reversed(events):
        rec.handle(e)
    assert (dict(rec.reads.view.verdicts), rec.reads.votes(ISCSI), rec.position(),
            rec.store.db.execute(rows).fetchone()) == state
    assert state[3] == (2, 4)


def test_same_comment_seen_by_stream_and_query_a_second_apart(rec):
    t = ts("2018-09-01")
    rec.handle_batch(merged_report(150, 1, CB, cloudbase_report(1), t + 1))
    rec.handle_batch(merged_report(150, 1, CB, cloudbase_report(1), t))
    assert len(rec.reads.votes(ISCSI)) == 1
    assert rec.reads.verdicts(ISCSI)["Stein"]["timestamp"] == t + 1


def test_restart_rebuilds_the_read_model(tmp_path):
    path = str(tmp_path / "state.db")
    clock = lambda: ts("2018-10-01")  # noqa: E731
    r = Recorder(Store(path), catalog(), clock=clock)
    r.handle_batch(merged_report(160, 1, CB, cloudbase_report(1), ts("2018-09-01")))
    r.handle(comment(161, 1, CB, cloudbase_report(1, iscsi="FAILURE"), ts("2018-09-02")))
    snapshot = (r.reads.status(ISCSI), r.reads.status(SMB3), r.position(), r.reads.states())
    r.store.close()
    again = Recorder(Store(path), catalog(), clock=clock)
    assert (again.reads.status(ISCSI), again.reads.status(SMB3), again.position(), again.reads.states()) == snapshot
    assert snapshot[3][NOCI] == "none" and snapshot[3][ACME] == "unseen"
    assert snapshot[0]["state"] == "passing"     # newest verdict passes; the failure is pending
    assert snapshot[0]["health"]["last_n"]["votes"] == 2


def test_states_age_into_silence_and_metrics(rec):
    rec.handle_batch(merged_report(170, 1, CB, cloudbase_report(1), ts("2018-08-01")))
    assert rec.reads.states()[ISCSI] == "silent"                      # 61 days before the clock
    assert rec.reads.states(now=ts("2018-08-02"))[ISCSI] == "passing"
    gauges.refresh(rec.metrics, rec.reads, rec.reads.states())
    reg = rec.metrics.registry
    assert reg.get_sample_value("driverlog_drivers", {"state": "silent"}) == 2
    assert reg.get_sample_value("driverlog_votes_total", {"result": "pass"}) == 2
    assert reg.get_sample_value("driverlog_verdict_changes_total") == 2


def test_odd_input_is_counted_or_cleaned_never_a_traceback(rec):
    from driverlogd.gerrit.events import parse_event
    base = {"type": "comment-added", "change": {"project": "openstack/cinder",
                                                "branch": "master", "number": 1},
            "patchSet": {"number": 1}, "author": {"username": "acme-ci"}}
    rec.handle(parse_event(dict(base, eventCreatedOn=ts("2018-09-01"),
                                comment="Patch Set 1: Build Successful \ud800")))
    assert rec.reads.votes(ACME)[0]["comment"] == "Build Successful ?"
    rec.handle(     # the parser refuses it too
        parse_event(dict(base, eventCreatedOn=1, comment="Patch Set 1: x"))._replace(
            created_on=2 ** 70))
    # Too many digits for a patch set: no CI report at all, and no error.
    rec.handle(parse_event(dict(base, eventCreatedOn=1, comment="Patch Set 1" + "9" * 5000 + ": x")))
    bad = rec.metrics.registry.get_sample_value("driverlog_bad_events_total",
                                                {"reason": "malformed"})
    assert bad == 1 and rec.position() == ts("2018-09-01")


def test_mark_position_is_durable_and_monotonic(tmp_path):
    path = str(tmp_path / "s.db")
    r = Recorder(Store(path), catalog())
    assert r.position() is None
    r.mark_position(500)
    r.mark_position(400)
    assert r.position() == 500
    r.store.close()
    assert Recorder(Store(path), catalog()).position() == 500


def test_listeners_hear_which_drivers_changed(rec):
    heard = []
    rec.add_listener(heard.append)
    rec.handle(comment(180, 1, "acme-ci", "Patch Set 1: Build Failed", ts("2018-09-01")))
    rec.handle(comment(181, 1, "human", "Patch Set 1: Build Failed", ts("2018-09-01")))
    rec.set_catalog(catalog())
    assert heard == [{ACME}, None]


def test_memory_keeps_the_newest_votes_and_the_store_answers_for_30_days(rec):
    # 30 reports in the 30 days before the clock (every third a failure), and
    # one old one: memory holds the newest 20 per driver, the store the rest.
    now = ts("2018-10-01")
    for i in range(30):
        report = cloudbase_report(1, iscsi="FAILURE" if i % 3 == 0 else "SUCCESS")
        rec.handle(comment(300 + i, 1, CB, report, now - (i + 1) * 80000))
    rec.handle(comment(299, 1, CB, cloudbase_report(1), ts("2018-06-01")))   # a late, old one
    assert len(rec.reads.view.recent(ISCSI)) == rec.reads.view.last_n == 20
    recent = rec.reads.status(ISCSI)["health"]
    assert recent["last_n"] == {"votes": 20, "pass_rate": 13 / 20, "flip_rate": 13 / 19}
    assert recent["last_vote"] == now - 80000 and recent["last_result"] is False
    full = rec.reads.health(ISCSI)
    assert full["last_n"] == recent["last_n"]
    assert full["last_30d"] == {"votes": 30, "pass_rate": 20 / 30, "flip_rate": 19 / 29}
    assert rec.reads.health(SMB3)["last_30d"]["pass_rate"] == 1.0
    assert rec.reads.health(ACME)["last_30d"] == {"votes": 0, "pass_rate": None, "flip_rate": None}


def test_30_day_health_counts_equal_votes_apart(rec):
    t = ts("2018-09-20")
    rec.handle(comment(400, 1, CB, cloudbase_report(1), t))
    rec.handle(comment(401, 1, CB, cloudbase_report(1), t))   # same time, same result
    assert rec.reads.health(ISCSI)["last_30d"]["votes"] == 2


def test_relevant_says_what_the_catch_up_must_keep(rec):
    t = ts("2018-09-20")
    assert rec.relevant(comment(500, 1, CB, cloudbase_report(1), t))
    assert not rec.relevant(comment(500, 1, "jane", "Patch Set 1: Code-Review+2", t))
    assert not rec.relevant(comment(500, 1, CB, "Starting check jobs.", t))   # not a report
    assert rec.relevant(merged(500, 1, t))
    assert not rec.relevant(merged(501, 1, t, project="openstack/nova"))
    assert not rec.relevant(DroppedOutput(t))
