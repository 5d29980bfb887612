"""Property-based: drive the running server from its own OpenAPI document.

schemathesis (a test extra: the only tool that derives such requests from
an OpenAPI document) generates requests (valid and invalid parameters, odd path
segments) for every documented operation and checks there is no 5xx and no
response that breaks the documented status codes, content types or schemas.
"""
import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.specs.openapi.checks import positive_data_acceptance  # noqa: E402

from driverlogd.web import openapi  # noqa: E402
from tests.webfake import HOSTILE, FakeReadModel, ServerThread, sample_catalog  # noqa: E402

schema = schemathesis.openapi.from_dict(openapi.document()).exclude(
    path="/api/v1/events")   # an endless stream by design; tested in test_web_api


@pytest.fixture(scope="module")
def server():
    rm = FakeReadModel(sample_catalog())
    rm.set_verdict(("openstack/cinder", "Acme", "Acme iSCSI"), "Kilo", True, "ok http://x.example/1")
    rm.set_verdict(("openstack/neutron", "Zeta Networks", "Zeta ML2"), "Kilo", False, HOSTILE)
    with ServerThread(rm) as s:
        yield s


@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document(case, server):
    # Schema-valid values may still name a release or vendor this catalog lacks
    # (the document cannot enumerate them), so a 400 for those is right.
    case.call_and_validate(base_url=server.url, timeout=10,
                           excluded_checks=[positive_data_acceptance])
