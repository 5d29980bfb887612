"""A fast yes/no JSON Schema check for the plain keywords a catalog schema uses.

jsonschema walks the schema for every value of the document, which costs ten
seconds on a 10,000-driver catalog. This compiles the schema once into nested
closures that only answer "valid?". When the answer is no, jsonschema itself is
asked for the errors, so its verdict and messages are the ones reported: a yes
here must never be a no there.

It reads `$schema` (none means draft 7, as in schemacheck) and compiles only
drafts 4, 6, 7 and 2020-12; a schema with any other draft, any keyword not
listed here for its draft, a `$ref` beside other keywords or outside this
document, or a nested `$id`, compiles to None and jsonschema does all the work.
tests/test_fastschema.py checks that verdicts agree over generated schemas.
"""
import re
from typing import Callable, Optional
from urllib.parse import unquote

Check = Callable[[object], bool]

DRAFTS = {   # `$schema` without its empty fragment -> draft
    "http://json-schema.org/draft-04/schema": 4,
    "http://json-schema.org/draft-06/schema": 6,
    "http://json-schema.org/draft-07/schema": 7,
    "https://json-schema.org/draft/2020-12/schema": 2020,
}
DEFAULT_DRAFT = 7

_ANNOTATIONS = {"$schema", "$id", "id", "title", "description", "$comment", "default",
                "examples", "definitions", "$defs", "format", "readOnly", "writeOnly"}
_KEYWORDS = {"type", "properties", "required", "additionalProperties", "items", "pattern",
             "enum", "minLength", "maxLength", "minItems", "maxItems",
             "minimum", "maximum", "$ref"}
_KEYWORDS_SINCE_6 = {"const"}


class Unsupported(Exception):
    pass


def draft_of(schema) -> Optional[int]:
    """The draft a schema declares (DEFAULT_DRAFT when it declares none), or None."""
    if not isinstance(schema, dict) or "$schema" not in schema:
        return DEFAULT_DRAFT
    uri = schema["$schema"]
    return DRAFTS.get(uri[:-1] if uri.endswith("#") else uri) if isinstance(uri, str) else None


def equal(a, b) -> bool:
    """JSON equality as jsonschema's enum, const and uniqueItems see it: true is not 1,
    1 is 1.0, and containers compare item by item."""
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(equal, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(equal(a[k], b[k]) for k in a)
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b


def _integer_since_6(v):
    return (isinstance(v, int) and not isinstance(v, bool)) or \
        (isinstance(v, float) and v.is_integer())


_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": _integer_since_6,
}
# Draft 4 counts 1.0 as a number but not an integer.
_TYPES_4 = dict(_TYPES, integer=lambda v: isinstance(v, int) and not isinstance(v, bool))


def compile_schema(schema) -> Optional[Check]:
    """A predicate whose yes jsonschema agrees with, or None if out of reach."""
    draft = draft_of(schema)
    if draft is None:
        return None
    try:
        return _Compiler(schema, draft).node(schema)
    except (Unsupported, KeyError, IndexError, TypeError, ValueError, AttributeError,
            re.error, RecursionError):
        return None


class _Compiler:
    def __init__(self, root, draft):
        self.root, self.draft = root, draft
        self.keywords = _KEYWORDS | (_KEYWORDS_SINCE_6 if draft >= 6 else set())
        self.types = _TYPES_4 if draft == 4 else _TYPES
        self.refs = {}

    def _resource(self, s) -> bool:
        """Does s start a resource of its own (a new base for the refs inside)?"""
        return s is not self.root and isinstance(s, dict) and (
            "$id" in s or (self.draft == 4 and isinstance(s.get("id"), str)))

    def ref(self, ref: str) -> Check:
        if ref in self.refs:
            return self.refs[ref]
        if ref != "#" and not ref.startswith("#/"):
            raise Unsupported(ref)
        cell = []
        self.refs[ref] = lambda v: cell[0](v)  # a cycle resolves once compiled
        target = self.root
        for part in unquote(ref[2:]).split("/") if ref != "#" else ():
            if not isinstance(target, dict) or self._resource(target):
                raise Unsupported(ref)
            target = target[part.replace("~1", "/").replace("~0", "~")]
        cell.append(self.node(target))
        return self.refs[ref]

    def node(self, s) -> Check:
        if isinstance(s, bool):
            if self.draft == 4:          # no boolean schemas before draft 6
                raise Unsupported(s)
            return (lambda v: True) if s else (lambda v: False)
        if not isinstance(s, dict) or set(s) - _ANNOTATIONS - self.keywords \
                or self._resource(s):
            raise Unsupported(s)
        if "$ref" in s:
            if set(s) - _ANNOTATIONS - {"$ref"}:
                raise Unsupported("$ref with siblings")
            return self.ref(s["$ref"])
        checks = []
        if "type" in s:
            types = s["type"] if isinstance(s["type"], list) else [s["type"]]
            preds = [self.types[t] for t in types]
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
        if "enum" in s:
            checks.append(_one_of(list(s["enum"])))
        if "const" in s:
            checks.append(_one_of([s["const"]]))
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


def _one_of(values) -> Check:
    if all(isinstance(x, str) for x in values):      # the common case: a set lookup
        allowed = frozenset(values)
        return lambda v: isinstance(v, str) and v in allowed
    return lambda v: any(equal(v, x) for x in values)


def _bound(kind, limit, lower, measure) -> Check:
    if isinstance(limit, bool) or not isinstance(limit, (int, float)):
        raise Unsupported(limit)
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
