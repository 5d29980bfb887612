"""An account's newest reports, from one repository or merged from all."""
from driverlogd.store import Store


def test_newest_reports_over_every_repository_are_merged_newest_first(tmp_path):
    s = Store(str(tmp_path / "state.db"))
    with s.transaction():
        for n, (repo, ts) in enumerate([("a", 10), ("b", 30), ("c", 20), ("a", 40),
                                        ("b", 20), ("a", 5), ("c", 40)]):
            s.put_comment(repo, n, 1, "ci", "master", f"u{n}", ts, f"Patch Set 1: r{n}")
        s.put_comment("a", 99, 1, "other-ci", "master", "u", 50, "Patch Set 1: not ours")
    got = [(r["project"], r["timestamp"], r["change"]) for r in s.recent_reports("ci", None, 5)]
    # Equal times: the later report (the larger id) first, as for one repository.
    assert got == [("c", 40, 6), ("a", 40, 3), ("b", 30, 1), ("b", 20, 4), ("c", 20, 2)]
    assert [r["change"] for r in s.recent_reports("ci", "a", 5)] == [3, 0, 5]
    assert s.recent_reports("nobody", None, 5) == []
    assert len(s.recent_reports("ci", None, 100)) == 7
    s.close()


def test_a_stored_report_comes_back_with_its_changes_merged_patch_set(tmp_path):
    s = Store(str(tmp_path / "state.db"))
    with s.transaction():
        assert s.put_comment("p", 1, 1, "ci", "master", "u", 10, "Patch Set 1: a")[3:] == \
            (True, None)                                   # new; the change not merged
        s.note_merge("p", 1, 2)
        assert s.put_comment("p", 1, 2, "ci", "master", "u", 20, "Patch Set 2: b")[3:] == \
            (True, 2)
        # A replay (no insert): the same answer, from the merge row.
        assert s.put_comment("p", 1, 2, "ci", "master", "u", 20, "Patch Set 2: b")[2:] == \
            (False, False, 2)
        assert s.put_comment("p", 9, 1, "ci", "master", "u", 20, "Patch Set 1: c")[4] is None
    s.close()
