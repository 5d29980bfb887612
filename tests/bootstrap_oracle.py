"""The bootstrap's test oracle and its history, shared by tests and `make bench bootstrap`.

`per_branch(...)` is the bootstrap as it was before the pages of issue 14:
one `gerrit query` per (CI account, repository, active release) and one for
master, each read to its end (GerritQuery.events pages on while Gerrit says
moreChanges, so `limit:` only sized the pages). It is kept here, not in the
product, to check that the paged bootstrap gives the same verdicts.

`seed_history(server, clock, ...)` fills the stand-in with a realistic
history: merges on master every few hours, a stable branch merged every few
weeks, an unmaintained branch merged twice months ago, several CI accounts
commenting on every change of a repository, one account testing two drivers
of which one job runs only on some changes, a CI gone silent, reports on
an older patch set, reports after the merge, and merged changes commented
on again long after their reports (their lastUpdated is newer than the
report: the order Gerrit answers in is not the order verdicts are chosen in).
"""
import datetime
import random

from driverlogd.gerrit.quoting import UnsafeValue, any_of, term
from driverlogd.verdict.votes import ci_groups

CINDER, FOO = "openstack/cinder", "openstack/networking-foo"
DAY = 86400


def at(day: str) -> int:
    return int(datetime.datetime.strptime(day, "%Y-%m-%d").replace(
        tzinfo=datetime.timezone.utc).timestamp())


NOW = at("2025-09-01")


def catalog_data():
    """Four active releases, named by series as OpenStack does since 2023.1:
    Flamingo is master's, Epoxy stable/2025.1 (merges are rare), Dalmatian
    stable/2024.2, Caracal unmaintained/2024.1 (merged twice, long ago)."""
    def drv(vendor, name, ci, ok, bad, repo=None):
        d = {"project_id": CINDER, "vendor": vendor, "name": name, "releases": ["Epoxy"],
             "ci": {"id": ci, "success_pattern": ok, "failure_pattern": bad}}
        if repo:
            d["repo"] = repo
        return d
    return {
        "projects": [{"id": CINDER, "name": "Cinder"}],
        "releases": [
            {"id": "Bobcat", "start": "2023-Apr-03", "series": "2023.2"},
            {"id": "Caracal", "start": "2023-Oct-02", "series": "2024.1", "active": True},
            {"id": "Dalmatian", "start": "2024-Apr-01", "series": "2024.2", "active": True},
            {"id": "Epoxy", "start": "2024-Oct-07", "series": "2025.1", "active": True},
            {"id": "Flamingo", "start": "2025-Apr-07", "series": "2025.2", "active": True},
        ],
        "drivers": [
            drv("Acme", "Acme FC", "acme-ci", r"acme-fc \S+ : SUCCESS", r"acme-fc \S+ : FAILURE"),
            drv("Cloudbase", "iSCSI", "cloudbase-ci", r"iscsi-tempest \S+ : SUCCESS",
                r"iscsi-tempest \S+ : FAILURE"),
            drv("Cloudbase", "SMB3", "cloudbase-ci", r"smb3-tempest \S+ : SUCCESS",
                r"smb3-tempest \S+ : FAILURE"),
            drv("Flaky", "Flaky NFS", "flaky-ci", r"nfs \S+ : SUCCESS", r"nfs \S+ : FAILURE"),
            drv("Late", "Late RBD", "late-ci", r"rbd \S+ : SUCCESS", r"rbd \S+ : FAILURE"),
            drv("Silent", "Silent iSCSI", "silent-ci", r"silent \S+ : SUCCESS",
                r"silent \S+ : FAILURE"),
            drv("Foo", "Foo ML2", "foo-ci", r"foo-ml2 \S+ : SUCCESS", r"foo-ml2 \S+ : FAILURE",
                repo=FOO),
        ],
    }


# (repo, branch, mean days between merges, days of history)
BRANCHES = ((CINDER, "master", 1.0, 200), (CINDER, "stable/2025.1", 18, 200),
            (CINDER, "stable/2024.2", 30, 200),
            (FOO, "master", 2.0, 200), (FOO, "stable/2025.1", 25, 200))


def _report(rng, ci, number, jobs):
    lines = [f"- {job} https://ci.example.org/{ci}/{number}/{job} : "
             f"{'SUCCESS' if rng.random() < 0.85 else 'FAILURE'} in {rng.randint(20, 90)}m"
             for job in jobs]
    return "Build finished.\n\n" + "\n".join(lines)


def _jobs(rng, ci, branch):
    """The job lines a CI posts on a change (none: it does not report)."""
    if ci == "cloudbase-ci":       # SMB3's job runs on one master change in eight
        smb3 = branch == "master" and rng.random() < 0.125
        return ["iscsi-tempest"] + (["smb3-tempest"] if smb3 else [])
    return {"acme-ci": ["acme-fc"], "flaky-ci": ["nfs"], "late-ci": ["rbd"],
            "silent-ci": ["silent"], "foo-ci": ["foo-ml2"]}[ci]


def _message(rng, ci, number, branch, t):
    return _report(rng, ci, number, _jobs(rng, ci, branch))


def seed_history(server, clock, scale=1.0, seed=14, now=NOW, cis=None, branches=BRANCHES,
                 message=_message, traps=((CINDER, FOO), "unmaintained/2024.1")):
    """Merged changes on `branches`, every CI of the repository commenting
    (`message(rng, ci, number, branch, t)`: its report, None for none).
    `clock` is the stand-in store's settable clock; `scale` multiplies merges."""
    rng = random.Random(seed)
    cis = cis or {CINDER: ["acme-ci", "cloudbase-ci", "flaky-ci", "late-ci", "silent-ci"],
                  FOO: ["foo-ci"]}
    merges = 0
    for repo, branch, every, days in branches:
        t = now - days * DAY
        while True:
            t += rng.expovariate(scale / every) * DAY
            if t >= now - 3600:
                break
            merges += 1
            _one_change(server, clock, rng, repo, branch, int(t), cis.get(repo, ()), now,
                        message)
    # The unmaintained branch: three merges long ago, the oldest commented on
    # again three days ago, so Gerrit answers it first, though the report
    # that is the verdict is the one merged 90 days ago. (On networking-foo
    # one account alone reads it: no other account's pages record it too.)
    for repo in traps[0]:
        for days, again in ((170, None), (150, 3), (90, None)):
            _one_change(server, clock, rng, repo, traps[1], now - days * DAY,
                        cis.get(repo, ()), now, message, again=again and now - again * DAY)
            merges += 1
    clock.set(None)
    return merges


def _one_change(server, clock, rng, repo, branch, t, cis, now, message, again=None):
    clock.set(t - 7200)
    number = server.create_change(repo, branch)
    late = []
    if rng.random() < 0.25:        # a second patch set: reports on the first do not count
        for ci in cis:
            if ci == "flaky-ci":
                clock.set(t - 7000)
                server.add_comment(number, 1, ci, _report(rng, ci, number, ["nfs"]))
        clock.set(t - 6000)
        server.upload_patchset(number)
    for i, ci in enumerate(cis):
        if ci == "silent-ci" and t > now - 100 * DAY or ci == "flaky-ci" and again:
            continue               # gone silent a hundred days ago
        if ci == "flaky-ci" and rng.random() < 0.3:
            continue
        text = message(rng, ci, number, branch, t)
        if text is None:
            continue
        if ci == "late-ci" and rng.random() < 0.5:
            late.append((ci, text))      # reports after the merge
            continue
        clock.set(t - 3600 + i * 60)
        server.add_comment(number, None, ci, text, approvals={"Verified": 1})
    clock.set(t)
    server.merge(number)
    for ci, text in late:
        clock.set(t + 600)
        server.add_comment(number, None, ci, text)
    if again is None and rng.random() < 0.1:    # commented on again, long after
        again = min(now - 60, t + rng.uniform(5, 60) * DAY)
    if again:                      # lastUpdated moves, the reports do not
        clock.set(again)
        server.add_comment(number, None, "alice", "Backport to an older branch?")


def per_branch_queries(catalog, limit):
    """Today's queries before issue 14: (description, query or '' when unsafe)."""
    branches = [(r.id, r.branch_names) for r in catalog.active_releases] + \
        [("master", ("master",))]
    out = []
    for ci_id, repo in sorted(ci_groups(catalog)):
        for label, names in branches:
            try:
                out.append((f"{ci_id} on {repo} {label}", " ".join((
                    term("status", "merged"), term("project", repo), any_of("branch", names),
                    term("commentby", ci_id), term("limit", limit)))))
            except UnsafeValue as e:
                out.append((f"{ci_id} on {repo} {label}: {e}", ""))
    return out


def per_branch(catalog, events_of, recorder, limit):
    """The old bootstrap: each query's events (`events_of(q)`) recorded in one
    transaction. Returns the number of queries."""
    todo = per_branch_queries(catalog, limit)
    for _, q in todo:
        if q:
            recorder.handle_batch(list(events_of(q)))
    return len(todo)


def verdicts(recorder):
    """Every driver's verdicts, for comparing two stores."""
    return {d.key: recorder.reads.verdicts(d.key) for d in recorder.catalog.drivers}
