"""The event tuples: a comment's review patch set follows its text, however made."""
from driverlogd.gerrit.events import ChangeMerged, ChangeRef, CommentAdded

CHANGE = ChangeRef("openstack/nova", "master", 7, "https://review.example.org/7", "NEW")


def test_a_comment_added_knows_its_review_patch_set_however_it_was_made():
    e = CommentAdded(CHANGE, 2, "acme-ci", "Patch Set 2: Verified+1", 100)
    assert (e.type, e.review_patchset) == ("comment-added", 2)
    assert e._replace(comment="Patch Set 7: x").review_patchset == 7
    assert e._replace(comment="a note, not a review").review_patchset is None
    assert e._replace(created_on=5) == CommentAdded(CHANGE, 2, "acme-ci",
                                                     "Patch Set 2: Verified+1", 5)
    assert CommentAdded(change=CHANGE, patchset=1, author="", comment="hi",
                        created_on=1).review_patchset is None


def test_a_change_merged_is_incomplete_unless_said():
    m = ChangeMerged(CHANGE, 3, 100)
    assert (m.type, m.complete, m._replace(complete=True).complete) == ("change-merged", False, True)
    assert m.change._replace(status="MERGED").status == "MERGED"
