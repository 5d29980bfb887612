"""The stand-in speaks Gerrit 3: commands, JSON shapes and types, ordering, faults."""
import json
import threading

import pytest

from driverlogd.gerrit.ssh import CommandError, NetworkError, connect
from driverlogd.standin import VERSION


def rows(conn, command):
    return [json.loads(line) for line in conn.lines(command, 10)]


@pytest.fixture
def conn(standin):
    with connect(standin.config()) as c:
        yield c


def test_version(conn):
    assert conn.probe() == f"gerrit version {VERSION}"


def test_unknown_command_fails(conn):
    with pytest.raises(CommandError, match="status 1"):
        conn.lines("gerrit frobnicate", 10)


def test_query_json_has_gerrit_3_fields_and_types(standin, conn):
    s = standin.server
    n = s.create_change("openstack/nova", "stable/2024.1", owner="bob")
    s.add_comment(n, 1, "acme-ci", "Build succeeded.", approvals={"Verified": 1})
    s.merge(n)
    *found, stats = rows(conn, "gerrit query --format=JSON --comments --patch-sets "
                               "--current-patch-set --all-approvals status:merged")
    (change,) = found
    assert stats["type"] == "stats" and stats["rowCount"] == 1 and stats["moreChanges"] is False
    assert isinstance(stats["runTimeMilliseconds"], int)
    assert isinstance(change["number"], int) and change["status"] == "MERGED"
    assert change["open"] is False and isinstance(change["lastUpdated"], int)
    assert change["owner"] == {"name": "Bob", "email": "bob@example.org", "username": "bob"}
    assert change["url"].endswith(f"/c/openstack/nova/+/{n}")
    assert change["id"].startswith("I") and len(change["id"]) == 41
    ps = change["patchSets"][0]
    assert isinstance(ps["number"], int) and ps["ref"] == f"refs/changes/{n:02d}/{n}/1"
    assert ps["approvals"][0]["value"] == "1" and ps["approvals"][0]["by"]["username"] == "acme-ci"
    assert change["currentPatchSet"]["number"] == 1
    messages = [c["message"] for c in change["comments"]]
    assert messages[1] == "Patch Set 1: Verified+1\n\nBuild succeeded."
    assert all(isinstance(c["timestamp"], int) and "username" in c["reviewer"]
               for c in change["comments"])


def test_query_without_options_is_bare(standin, conn):
    standin.server.create_change("p")
    change, _ = rows(conn, "gerrit query --format=JSON status:open")
    assert "comments" not in change and "patchSets" not in change


def test_reviewer_finds_voters_and_commentby_finds_every_commenter(standin, conn):
    """Gerrit since 2.14: an account that comments without voting is CC, which
    `reviewer:` does not match; `commentby:` matches any comment."""
    s = standin.server
    quiet, voter = s.create_change("openstack/nova"), s.create_change("openstack/nova")
    s.add_comment(quiet, 1, "quiet-ci", "Build succeeded.")
    s.add_comment(voter, 1, "voting-ci", "Build succeeded.", approvals={"Verified": 1})

    def numbers(q):
        return sorted(r["number"] for r in rows(conn, f"gerrit query --format=JSON {q}")[:-1])

    assert numbers("reviewer:quiet-ci") == [] and numbers("commentby:quiet-ci") == [quiet]
    assert numbers("reviewer:voting-ci") == [voter] == numbers("commentby:voting-ci")


def test_operators_filter(standin, conn):
    s = standin.server
    clock = [1_700_000_000]                  # 2023-11-14 22:13:20 UTC
    s.store.clock = lambda: clock[0]
    a = s.create_change("openstack/nova", "master")
    b = s.create_change("openstack/nova", "stable/2024.1")
    clock[0] += 3600
    c = s.create_change("openstack/cinder", "master")
    clock[0] += 1
    s.merge(b)
    clock[0] += 1
    s.add_comment(a, 1, "acme-ci", "ok")     # a is now the most recently updated

    def numbers(q):
        return [r["number"] for r in rows(conn, f"gerrit query --format=JSON {q}")[:-1]]

    assert numbers("project:openstack/nova") == [a, b]
    assert numbers("'project:{openstack/nova}' branch:stable/2024.1") == [b]
    assert numbers("status:open") == [a, c]
    assert numbers("status:merged") == [b]
    assert numbers("commentby:acme-ci") == [a]
    assert numbers("reviewer:acme-ci status:open") == []     # a comment without a vote: CC
    assert numbers("-commentby:acme-ci") == [b, c]
    assert numbers("'since:\"2023-11-14 23:00:00\"'") == [a, b, c]
    assert numbers("'since:\"2023-11-14 23:13:21\"'") == [a, b]
    assert numbers("'before:\"2023-11-14 23:00:00\"'") == []
    assert numbers("'after:\"2023-11-15 00:00:00\"'") == []
    assert numbers(f"change:{c}") == [c] and numbers(str(c)) == [c]


def test_newest_first_and_paging(standin, conn):
    s = standin.server
    clock = [1_000]
    s.store.clock = lambda: clock[0]
    made = []
    for _ in range(5):
        clock[0] += 1
        made.append(s.create_change("p"))
    first = rows(conn, "gerrit query --format=JSON --start 0 status:open limit:2")
    assert [r["number"] for r in first[:-1]] == made[::-1][:2] and first[-1]["moreChanges"]
    last = rows(conn, "gerrit query --format=JSON --start 4 status:open limit:2")
    assert [r["number"] for r in last[:-1]] == [made[0]]
    assert last[-1] == dict(last[-1], rowCount=1, moreChanges=False)


def test_bad_operator_gives_an_error_line(conn):
    out, status, _ = conn.run("gerrit query --format=JSON bogus:thing", 10)
    assert status == 1 and json.loads(out[0]) == {
        "type": "error", "message": "Unsupported operator bogus:thing"}


def test_stream_events_honours_subscriptions(standin, conn):
    s = standin.server
    chan = conn.open("gerrit stream-events -s change-merged", 10)
    threading.Event().wait(0.1)
    while s.stream_count() < 1:
        threading.Event().wait(0.02)
    n = s.create_change("p")
    s.add_comment(n, 1, "ci", "x")
    s.merge(n)
    chan.settimeout(10)
    buf = b""
    while not buf.endswith(b"\n"):
        buf += chan.recv(65536)
    event = json.loads(buf)
    assert event["type"] == "change-merged" and event["change"]["number"] == n
    assert event["newRev"] == event["patchSet"]["revision"] and event["submitter"]["username"]
    assert event["refName"] == "refs/heads/master" and isinstance(event["eventCreatedOn"], int)


def test_refuse_and_restart_with_the_same_host_key(standin):
    s = standin.server
    s.refuse_connections(True)
    with pytest.raises(NetworkError):
        connect(standin.config())
    s.refuse_connections(False)
    port = s.port
    s.stop()
    s.start()
    assert s.port == port
    with connect(standin.config()) as c:         # known_hosts still matches
        assert c.probe().startswith("gerrit version")
