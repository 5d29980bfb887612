"""Random mutations of a valid catalog never crash the gate: exit 0 or 1, with
one well-formed line per problem, never a traceback."""
import contextlib
import copy
import io
import json
import pathlib
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from driverlogd.catalog import check_bytes
from driverlogd.gate import cli

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "catalog"
REPO = pathlib.Path(__file__).resolve().parents[1]
BASES = [json.loads((FIXTURES / "valid.json").read_text()),
         json.loads((REPO / "config" / "default_data.json").read_text())]

NASTY = ["", " ", "(a)\\1", "(?=x)", "x*", "[", "\\", "\u00e9\u4e2d", "2023-Feb-30", "Zed",
         "openstack/nova", "a@b..c", "-ci-", "\n", '"', "2024-Oct-07", None, True, 0, -1.5,
         [], {}, [[[[[]]]]], {"id": "x"}]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                  max_size=3),
    max_leaves=8)


def _paths(value, here=()):
    yield here
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, here + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, here + (i,))


def _get(doc, path):
    for part in path:
        doc = doc[part]
    return doc


@st.composite
def mutated_documents(draw, bases=BASES):
    """A valid catalog with 1-4 structural edits: replace, delete, insert, swap, copy."""
    doc = copy.deepcopy(draw(st.sampled_from(bases)))
    for _ in range(draw(st.integers(1, 4))):
        paths = list(_paths(doc))
        path = draw(st.sampled_from(paths))
        if not path:
            continue
        parent, key = _get(doc, path[:-1]), path[-1]
        op = draw(st.sampled_from(["replace", "nasty", "delete", "insert", "swap", "copy"]))
        if op == "replace":
            parent[key] = draw(json_values)
        elif op == "nasty":
            parent[key] = copy.deepcopy(draw(st.sampled_from(NASTY)))
        elif op == "delete":
            del parent[key]
        elif op == "insert" and isinstance(parent, dict):
            parent[draw(st.text(max_size=8))] = draw(json_values)
        elif op == "insert":
            parent.insert(key, draw(json_values))
        elif op in ("swap", "copy") and isinstance(parent, list):
            other = draw(st.integers(0, len(parent) - 1))
            if op == "swap":
                parent[key], parent[other] = parent[other], parent[key]
            else:
                parent.insert(other, copy.deepcopy(parent[key]))
    return doc


@st.composite
def mutated_bytes(draw):
    """Text-level damage too: truncation, stray or deleted bytes, duplicated lines."""
    data = json.dumps(draw(mutated_documents()), indent=draw(st.sampled_from([None, 2, 4])),
                      ensure_ascii=draw(st.booleans())).encode()
    op = draw(st.sampled_from(["none", "truncate", "insert", "delete", "dupline"]))
    at = draw(st.integers(0, len(data)))
    if op == "truncate":
        data = data[:at]
    elif op == "insert":
        data = data[:at] + draw(st.binary(min_size=1, max_size=3)) + data[at:]
    elif op == "delete":
        data = data[:at] + data[at + 1:]
    elif op == "dupline":
        lines = data.split(b"\n")
        i = draw(st.integers(0, len(lines) - 1))
        data = b"\n".join(lines[:i + 1] + lines[i:])
    return data


LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): \$(\S|\[\"[^\"]*\"\])*: .+$")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_bytes())
def test_library_never_raises_and_locates_every_problem(data):
    result = check_bytes(data, "c.json")
    assert (result.catalog is None) == bool(result.problems)
    for p in result.problems:
        assert p.line >= 1 and p.col >= 1 and p.path.startswith("$") and p.message


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutated_bytes())
def test_cli_exits_0_or_1_with_well_formed_lines(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("m") / "c.json"
    path.write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main([str(path)])
    out, err = out.getvalue(), err.getvalue()
    assert code in (0, 1), err
    assert "Traceback" not in out + err and err == ""
    lines = out.splitlines()
    assert re.match(rf"^{re.escape(str(path))}: (valid|INVALID): ", lines[-1])
    assert all(LINE.match(line) for line in lines[:-1]), lines
    assert (code == 0) == (len(lines) == 1)
