"""A fast yes/no JSON Schema check for the plain keywords a catalog schema uses.

jsonschema walks the schema for every value of the document, which costs a
second on a 10,000-driver catalog. This compiles the schema once into nested
closures that only answer "valid?"; when the answer is no, jsonschema itself is
asked for the errors, so messages and semantics stay jsonschema's. A schema with
any keyword not listed here compiles to None and jsonschema does all the work.
"""
import re
from typing import Callable, Optional

Check = Callable[[object], bool]

_ANNOTATIONS = {"$schema", "$id", "id", "title", "description", "$comment", "default",
                "examples", "definitions", "$defs", "format", "readOnly", "writeOnly"}
_KEYWORDS = {"type", "properties", "required", "additionalProperties", "items", "pattern",
             "enum", "const", "minLength", "maxLength", "minItems", "maxItems",
             "minimum", "maximum", "$ref"}


class Unsupported(Exception):
    pass


def _is_integer(v):
    return (isinstance(v, int) and not isinstance(v, bool)) or \
        (isinstance(v, float) and v.is_integer())


_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": _is_integer,
}


def compile_schema(schema) -> Optional[Check]:
    """A predicate equivalent to jsonschema's is_valid, or None if out of reach."""
    try:
        return _Compiler(schema).node(schema)
    except (Unsupported, KeyError, TypeError, ValueError, re.error, RecursionError):
        return None


class _Compiler:
    def __init__(self, root):
        self.root = root
        self.refs = {}

    def ref(self, ref: str) -> Check:
        if ref in self.refs:
            return self.refs[ref]
        if ref != "#" and not ref.startswith("#/"):
            raise Unsupported(ref)
        cell = []
        self.refs[ref] = lambda v: cell[0](v)  # a cycle resolves once compiled
        target = self.root
        for part in ref[2:].split("/") if ref != "#" else ():
            target = target[part.replace("~1", "/").replace("~0", "~")]
        cell.append(self.node(target))
        return self.refs[ref]

    def node(self, s) -> Check:
        if s is True or s == {}:
            return lambda v: True
        if s is False:
            return lambda v: False
        if not isinstance(s, dict) or set(s) - _ANNOTATIONS - _KEYWORDS:
            raise Unsupported(s)
        if "$ref" in s:
            if set(s) - _ANNOTATIONS - {"$ref"}:
                raise Unsupported("$ref with siblings")
            return self.ref(s["$ref"])
        checks = []
        if "type" in s:
            types = s["type"] if isinstance(s["type"], list) else [s["type"]]
            preds = [_TYPES[t] for t in types]
            checks.append(preds[0] if len(preds) == 1 else
                          (lambda v: any(p(v) for p in preds)))
        if "properties" in s or "required" in s or "additionalProperties" in s:
            checks.append(self.obj(s))
        if "items" in s:
            if not isinstance(s["items"], (dict, bool)):
                raise Unsupported("tuple items")
            item = self.node(s["items"])
            checks.append(lambda v: not isinstance(v, list) or all(map(item, v)))
        if "pattern" in s:
            search = re.compile(s["pattern"]).search
            checks.append(lambda v: not isinstance(v, str) or search(v) is not None)
        for key, lo in (("minLength", True), ("maxLength", False)):
            if key in s:
                checks.append(_bound(str, s[key], lo, len))
        for key, lo in (("minItems", True), ("maxItems", False)):
            if key in s:
                checks.append(_bound(list, s[key], lo, len))
        for key, lo in (("minimum", True), ("maximum", False)):
            if key in s:
                checks.append(_bound((int, float), s[key], lo, lambda v: v))
        if "enum" in s or "const" in s:
            values = s["enum"] if "enum" in s else [s["const"]]
            if not all(isinstance(x, str) for x in values):
                raise Unsupported("non-string enum")
            allowed = frozenset(values)
            checks.append(lambda v: isinstance(v, str) and v in allowed)
        return _all(checks)

    def obj(self, s) -> Check:
        props = {k: self.node(v) for k, v in s.get("properties", {}).items()}
        required = tuple(s.get("required", ()))
        extra = s.get("additionalProperties", True)
        extra = None if extra is True or extra == {} else (
            False if extra is False else self.node(extra))

        def check(v):
            if not isinstance(v, dict):
                return True
            for k in required:
                if k not in v:
                    return False
            for k, x in v.items():
                f = props.get(k)
                if f is None:
                    if extra is False or (extra is not None and not extra(x)):
                        return False
                elif not f(x):
                    return False
            return True
        return check


def _bound(kind, limit, lower, measure) -> Check:
    def check(v):
        if not isinstance(v, kind) or isinstance(v, bool):
            return True
        return measure(v) >= limit if lower else measure(v) <= limit
    return check


def _all(checks) -> Check:
    if not checks:
        return lambda v: True
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        a, b = checks
        return lambda v: a(v) and b(v)
    return lambda v: all(c(v) for c in checks)
