"""Hypothesis strategies for what a broken or hostile Gerrit can put on a line.

`lines()` draws one stream line (bytes): a real-shaped comment-added or
change-merged with any of its fields replaced or removed, or no event at all.
Values are wrong types, null, huge, float, inf and NaN numbers, deep nesting,
lone surrogates, NUL and 1 MiB texts. Some cannot come from `json.dumps`
(1e400, 5,000-digit integers, 10,000-deep arrays): those are spliced in as
raw JSON text.
"""
import json

from hypothesis import strategies as st

CINDER = "openstack/cinder"
MIB = 1 << 20


class Raw(str):
    """JSON text to splice in as it is."""


RAW_NUMBERS = ["1e400", "-1e400", "Infinity", "-Infinity", "NaN", "9" * 5000, "-" + "9" * 5000,
               str(2 ** 64), str(2 ** 62), str(2 ** 40), "1.5", "-0.0", "4.2e1", "1E+2"]
DEEP = [Raw("[" * n + "]" * n) for n in (990, 1000, 1100, 10000)] + \
       [Raw('{"a":' * n + "1" + "}" * n) for n in (999, 5000)]
STRINGS = ["", "\x00", "a\x00b", "\ud800", "x\udfffy", "\ufeff", "\u2028", "master\n",
           "Patch Set 1: Build Successful\x00", "\U0001f600" * 3, "x" * MIB,
           "Patch Set " + "9" * 5000 + ": Build Successful", "Patch Set -1: Build Successful",
           "Patch Set 99999999999999999999: Build Successful", "Patch Set \u0663: Build Successful",
           "Patch Set 1: Build Successful " + "y" * MIB]
TIMES = [0, -1, 1, 2 ** 31, 2 ** 40, 2 ** 62, 4_102_444_800, 253_402_300_799, 253_402_300_800,
         "1700000000", "not a time", 1.7e9]

texts = st.text(alphabet=st.characters(exclude_categories=()), max_size=30)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=2 ** 62, max_value=2 ** 200),
    st.floats(allow_nan=True, allow_infinity=True), texts,
    st.sampled_from(STRINGS), st.sampled_from(TIMES),
    st.sampled_from(RAW_NUMBERS).map(Raw), st.sampled_from(DEEP))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(texts, inner, max_size=3)), max_leaves=6)


def event(kind: str, number: int, when: int, comment: str = "Patch Set 1: Build Successful"):
    """A well-formed event by the catalog's acme-ci on a merged cinder change."""
    obj = {"type": kind, "eventCreatedOn": when,
           "change": {"project": CINDER, "branch": "master", "number": number,
                      "url": f"https://review.example.org/{number}", "status": "MERGED",
                      "id": "I%040x" % number, "subject": "s", "owner": {"username": "o"}},
           "patchSet": {"number": 1, "revision": "%040x" % number, "ref": "refs/changes/1"}}
    if kind == "comment-added":
        obj.update(author={"username": "acme-ci", "name": "Acme CI"}, comment=comment,
                   approvals=[{"type": "Verified", "value": "1"}])
    else:
        obj.update(submitter={"username": "admin"}, newRev="%040x" % number)
    return obj


# Every field DriverLog or Gerrit puts in these two events, as paths.
FIELDS = [("type",), ("eventCreatedOn",), ("change",), ("change", "project"),
          ("change", "branch"), ("change", "number"), ("change", "url"), ("change", "status"),
          ("change", "id"), ("patchSet",), ("patchSet", "number"), ("patchSet", "revision"),
          ("author",), ("author", "username"), ("comment",), ("approvals",), ("submitter",),
          ("newRev",), ("change", "owner")]


def dumps(obj) -> bytes:
    """JSON with Raw values spliced in (json.dumps escapes surrogates as \\udXXX)."""
    raws = []

    def mark(value):
        if isinstance(value, Raw):
            raws.append(str(value))
            return f"\x01RAW{len(raws) - 1}\x01"
        if isinstance(value, dict):
            return {k: mark(v) for k, v in value.items()}
        if isinstance(value, list):
            return [mark(v) for v in value]
        return value
    text = json.dumps(mark(obj), allow_nan=True)
    for i, raw in enumerate(raws):
        text = text.replace(f'"\\u0001RAW{i}\\u0001"', raw)
    return text.encode("utf-8")


@st.composite
def mutated(draw, number: int):
    obj = event(draw(st.sampled_from(["comment-added", "change-merged"])), number,
                draw(st.sampled_from([1_700_000_000] + TIMES)))
    for path in draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=3)):
        parent = obj
        for key in path[:-1]:
            parent = parent.get(key) if isinstance(parent, dict) else None
        if not isinstance(parent, dict):
            continue
        if draw(st.booleans()) and draw(st.booleans()):
            parent.pop(path[-1], None)
        else:
            parent[path[-1]] = draw(values)
    return dumps(obj)


RAW_LINES = [b"", b" ", b"\x00", b"\xff\xfe", b"\xed\xa0\x80", b"{", b"}", b"null", b"[]", b"1e400",
             b'"\\ud800"', b'{"type": null}', b'{"type": "comment-added"}',
             b'{"type": "dropped-output", "eventCreatedOn": "x"}', b"[" * 100000,
             b'{"type":"comment-added","comment":"\x00\x00"}', b"\r", b"{}\r"]


def lines(number: int):
    """One line (without its newline) of junk, real-shaped or not."""
    return st.one_of(mutated(number), st.sampled_from(RAW_LINES), st.binary(max_size=64),
                     values.map(dumps))
