"""Schema validation: a fast yes/no first, jsonschema's per-error report when no.

jsonschema is imported only when needed: it is most of the gate's start-up time.
"""
import functools
import json
import re
from importlib import resources
from typing import List, Optional

from . import fastschema
from .problems import Problem, short_repr


@functools.lru_cache(maxsize=1)
def default_schema() -> dict:
    """The project's own schema, shipped as package data."""
    return json.loads(resources.files(__package__).joinpath("schema.json").read_text("utf-8"))


_compiled = {}


def _fast(schema: dict):
    key = id(schema)
    if key not in _compiled or _compiled[key][0] is not schema:
        _compiled[key] = (schema, fastschema.compile_schema(schema))
    return _compiled[key][1]


def schema_errors(schema: dict) -> List[str]:
    """Why a user-supplied schema is not a usable JSON Schema (empty if it is)."""
    import jsonschema
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError as e:
        return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"]
    return []


class UnusableSchema(ValueError):
    """A user-supplied schema that jsonschema cannot apply (a $ref to nowhere)."""


def check(data, schema: Optional[dict] = None) -> List[Problem]:
    """The document's schema problems; UnusableSchema when the schema itself
    cannot be applied, which is no fault of the document."""
    schema = default_schema() if schema is None else schema
    fast = _fast(schema)
    try:
        if fast is not None and fast(data):
            return []
    except RecursionError:
        pass                  # jsonschema says so, with the path
    try:
        return list(_jsonschema_problems(data, schema))
    except RecursionError:
        raise
    except Exception as e:    # jsonschema's reference errors have no public class
        raise UnusableSchema(f"{type(e).__name__}: {str(e)[:300]}") from None


def _validator_class(schema):
    import jsonschema
    base = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    return _safe_class(base)


@functools.lru_cache(maxsize=None)
def _safe_class(base):
    """jsonschema puts repr(instance) in some messages: on a deep or huge value that
    recurses or floods. These replacements describe the value briefly instead."""
    from jsonschema import ValidationError, validators

    def type_(validator, types, instance, schema):
        types = types if isinstance(types, list) else [types]
        if not any(validator.is_type(instance, t) for t in types):
            yield ValidationError(f"{short_repr(instance)} is not of type "
                                  + " or ".join(repr(t) for t in types))

    def enum(validator, enums, instance, schema):
        if not any(fastschema.equal(instance, e) for e in enums):
            yield ValidationError(f"{short_repr(instance)} is not one of "
                                  f"{short_repr(enums, 200)}")

    def const(validator, value, instance, schema):
        if not fastschema.equal(instance, value):
            yield ValidationError(f"{short_repr(value)} was expected")

    briefer = {"type": type_, "enum": enum, "const": const}
    # Only where the draft has the keyword: draft 4 has no const.
    return validators.extend(base, {k: f for k, f in briefer.items() if k in base.VALIDATORS})


def _jsonschema_problems(data, schema):
    validator = _validator_class(schema)(schema)
    try:
        for error in validator.iter_errors(data):
            yield from _explain(error)
    except RecursionError:
        yield Problem.at((), "schema", "document too deeply nested to validate")


def _explain(error):
    path = tuple(error.absolute_path)
    kind = error.validator
    if kind in ("anyOf", "oneOf") and error.context:
        # The best single reason is the deepest one.
        best = max(error.context, key=lambda e: len(e.absolute_path))
        yield from _explain(best)
        return
    message = error.message
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        patterns = [re.compile(p) for p in error.schema.get("patternProperties", {})]
        for key in error.instance:
            if key not in allowed and not any(p.search(key) for p in patterns):
                hint = f"; allowed: {', '.join(sorted(allowed))}" if allowed else ""
                yield Problem.at(path + (key,), "schema", f"unexpected property {key!r}{hint}")
        return
    if kind == "pattern":
        # The pattern as written in the schema, not its Python repr (doubled backslashes).
        message = f"{short_repr(error.instance)} does not match the pattern " \
                  f"{error.validator_value}"
    if kind == "required":
        message = message.replace("is a required property", "is required here")
    yield Problem.at(path, "schema", message)
