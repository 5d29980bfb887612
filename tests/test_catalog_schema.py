"""The project's schema: accepts the real catalog, rejects all the original rejects,
and the fast yes/no check always agrees with jsonschema."""
import json
import pathlib

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings

from driverlogd.catalog import check_bytes, default_schema
from driverlogd.catalog.fastschema import compile_schema
from driverlogd.catalog.schemacheck import check as schema_check

from .budget import scaled
from .test_gate_property import mutated_documents

CORPUS = pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
needs_corpus = pytest.mark.skipif(not (CORPUS / "default_data.json").exists(),
                                  reason="../shared/corpus (the real catalog) is absent")


def _real():
    return json.loads((CORPUS / "default_data.json").read_text())


def _original_schema():
    return json.loads((CORPUS / "default_data.schema.json").read_text())


@needs_corpus
def test_real_221_driver_catalog_passes_every_check():
    data = (CORPUS / "default_data.json").read_bytes()
    result = check_bytes(data, "default_data.json")
    assert result.problems == []
    catalog = result.catalog
    assert len(catalog.drivers) == 221
    assert len(catalog.by_key) == 221
    assert catalog.release("icehouse").id == "Icehouse"
    assert [r.start for r in catalog.releases] == sorted(r.start for r in catalog.releases)
    assert len(catalog.by_ci_id["emc-corphd-ci"]) == 3


@needs_corpus
def test_the_original_schema_can_be_given_with_schema_and_accepts_it_too():
    assert check_bytes((CORPUS / "default_data.json").read_bytes(),
                       schema=_original_schema()).problems == []


def test_schema_is_a_valid_draft7_schema():
    jsonschema.Draft7Validator.check_schema(default_schema())


@needs_corpus
@settings(max_examples=scaled(50), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_documents(bases=[_real()] if (CORPUS / "default_data.json").exists() else []))
def test_whatever_the_original_schema_rejects_ours_rejects(doc):
    if not jsonschema.Draft4Validator(_original_schema()).is_valid(doc):
        assert not jsonschema.Draft7Validator(default_schema()).is_valid(doc)


@settings(max_examples=scaled(90), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_documents())
def test_fast_check_agrees_with_jsonschema(doc):
    fast = compile_schema(default_schema())
    assert fast(doc) == jsonschema.Draft7Validator(default_schema()).is_valid(doc)
    # and every error jsonschema finds is reported with a path
    problems = schema_check(doc)
    assert bool(problems) != fast(doc)


@pytest.mark.parametrize("schema,invalid", [
    ({"patternProperties": {"^x": {"type": "string"}}}, {"x": 1}),
    ({"anyOf": [{"type": "string"}]}, 5),
    ({"items": [{"type": "string"}]}, [5]),
])
def test_schemas_beyond_the_fast_subset_fall_back_to_jsonschema(schema, invalid):
    assert compile_schema(schema) is None
    assert len(schema_check(invalid, schema)) == 1


def test_fast_check_follows_json_schema_type_rules():
    fast = compile_schema({"type": "object", "properties": {
        "n": {"type": "integer"}, "b": {"type": "boolean"}, "s": {"type": "string",
                                                               "minLength": 2}}})
    assert fast({"n": 1.0, "b": False, "s": "ab"})
    assert not fast({"n": True})
    assert not fast({"b": 0})
    assert not fast({"s": "a"})
    loose = compile_schema({"properties": {"n": {"minimum": 3}}, "minLength": 9})
    assert loose([1, 2]) and loose("long enough") and loose({"n": "x"})  # keywords apply by type
    assert not loose({"n": 2})
