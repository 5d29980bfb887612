"""`(project:{a} OR project:{b})` groups: built safely, understood by the stand-in."""
import pytest

from driverlogd.catalog.model import Catalog
from driverlogd.gerrit import quoting
from driverlogd.gerrit.query import GerritQuery
from driverlogd.service.app import catchup_scope


def test_any_of_validates_every_value_and_sorts():
    assert quoting.any_of("project", ["x/b", "x/a", "x/b"]) == "(project:{x/a} OR project:{x/b})"
    assert quoting.any_of("project", ["x/a"]) == "project:{x/a}"
    with pytest.raises(quoting.UnsafeValue):
        quoting.any_of("project", ["x/a", "x/b'; rm -rf /"])
    with pytest.raises(quoting.UnsafeValue):
        quoting.any_of("project", [])


def test_catchup_scope_is_the_repos_vendor_cis_comment_on():
    ci = {"id": "acme-ci", "success_pattern": "OK", "failure_pattern": "FAIL"}
    cat = Catalog.from_data({"projects": [{"id": "openstack/nova", "name": "Nova"}], "drivers": [
        {"project_id": "openstack/nova", "vendor": "A", "name": "a", "ci": ci},
        {"project_id": "openstack/nova", "vendor": "B", "name": "b", "ci": ci, "repo": "x/nova-b"},
        {"project_id": "openstack/nova", "vendor": "C", "name": "c"}]})
    assert catchup_scope(cat) == "(project:{openstack/nova} OR project:{x/nova-b})"
    assert catchup_scope(Catalog.from_data({"projects": [], "drivers": []})) == ""


def test_the_stand_in_answers_a_group_over_real_ssh(standin):
    server = standin.server
    wanted = {server.create_change("openstack/nova"), server.create_change("x/nova-b")}
    server.create_change("openstack/swift")
    query = GerritQuery(standin.config())
    group = quoting.any_of("project", ["openstack/nova", "x/nova-b"])
    assert {c["number"] for c in query.changes(group)} == wanted
