"""Shared fixtures for the verdict, store, recorder and crash tests:
a small catalog with a shared CI account, and real-shaped events."""
import datetime

from driverlogd.catalog.model import Catalog
from driverlogd.gerrit.events import ChangeMerged, ChangeRef, CommentAdded

CINDER = "openstack/cinder"
ISCSI = (CINDER, "Cloudbase", "Windows iSCSI")
SMB3 = (CINDER, "Cloudbase", "Windows SMB3")
ACME = (CINDER, "Acme", "Acme FC")
FOO = ("openstack/neutron", "Foo", "Foo ML2")
NOCI = (CINDER, "Plain", "No CI")


def catalog_data(smb3_pattern=r"cinder-smb3-windows-full-tempest \S+ :SUCCESS",
                 smb3_name="Windows SMB3", acme_ci="acme-ci"):
    def drv(key, ci=None, repo=None, releases=("Rocky", "Stein")):
        d = {"project_id": key[0], "vendor": key[1], "name": key[2],
             "releases": list(releases)}
        if repo:
            d["repo"] = repo
        if ci:
            d["ci"] = {"id": ci[0], "success_pattern": ci[1], "failure_pattern": ci[2]}
        return d
    return {
        "projects": [{"id": CINDER, "name": "Cinder"}, {"id": "openstack/neutron", "name": "Neutron"}],
        "releases": [
            {"id": "Queens", "start": "2017-Aug-28"},
            {"id": "Rocky", "start": "2018-Feb-26", "active": True},
            {"id": "Stein", "start": "2018-Aug-27", "active": True},
        ],
        "drivers": [
            drv(ISCSI, ("cinder_smb3_ci", r"cinder-iscsi-full-tempest \S+ : SUCCESS",
                        r"cinder-iscsi-full-tempest \S+ : FAILURE")),
            drv((CINDER, "Cloudbase", smb3_name),
                ("cinder_smb3_ci", smb3_pattern,
                 r"cinder-smb3-windows-full-tempest \S+ :FAILURE")),
            drv(ACME, (acme_ci, "Build Successful", "Build Failed")),
            drv(FOO, ("foo-ci", "SUCCESS", "FAILURE"), repo="openstack/networking-foo"),
            drv(NOCI),
        ],
    }


def catalog(**kw):
    return Catalog.from_data(catalog_data(**kw))


def ts(day: str, hour: int = 12) -> int:
    """Epoch seconds of a YYYY-MM-DD day at `hour` UTC."""
    d = datetime.datetime.strptime(day, "%Y-%m-%d").replace(
        hour=hour, tzinfo=datetime.timezone.utc)
    return int(d.timestamp())


def change(number, branch="master", status="NEW", project=CINDER):
    return ChangeRef(project, branch, number, f"https://review.example.org/{number}", status)


def comment(number, ps, author, message, when, branch="master", status="NEW", project=CINDER):
    return CommentAdded(change(number, branch, status, project), ps, author, message, when)


def merged(number, ps, when, branch="master", project=CINDER, complete=False):
    return ChangeMerged(change(number, branch, "MERGED", project), ps, when, complete)


def merged_report(number, ps, author, message, when, branch="master", project=CINDER):
    """A report on patch set `ps` after it merged, as the rules then know it:
    the change-merged (a second before) and the report."""
    return [merged(number, ps, when - 1, branch, project),
            comment(number, ps, author, message, when, branch, "MERGED", project)]


def cloudbase_report(ps, iscsi="SUCCESS", smb3="SUCCESS", vote="+1"):
    """Zuul-style report: one line per job, SMB3's without a space before the colon."""
    verdict = "succeeded" if vote == "+1" else "failed"
    return (f"Patch Set {ps}: Verified{vote}\n\nBuild {verdict}.\n\n"
            f"- cinder-iscsi-full-tempest http://ci.cloudbase.example/{ps}/iscsi : {iscsi} in 1h 02m\n"
            f"- cinder-smb3-windows-full-tempest http://ci.cloudbase.example/{ps}/smb3 :{smb3} in 1h 40m\n")
