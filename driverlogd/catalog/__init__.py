"""The catalog: load, check (schema and semantic rules) and index default_data.json.

The gate (`driverlog-gate`) and the daemon's reload run exactly these checks:

    result = check_bytes(data, "default_data.json")   # never raises on bad input
    result.problems   # [Problem(path, line, col, message, code)], all of them
    result.catalog    # model.Catalog when there are no problems, else None

    catalog = load(path)   # raises CatalogError (str() is a readable summary)

Pipeline, modelled on check-jsonschema's loader -> checker -> reporter split:
decode (decode.py) -> parse (loader.py; jsonpos.py locates) -> schema
(schemacheck.py) -> semantic checks (checks.py) -> typed model (model.py).
"""
import os
from typing import Optional

from . import checks, jsonpos, loader, schemacheck
from .decode import MAX_BYTES, decode
from .model import Catalog
from .problems import CatalogError, CheckResult, Problem, format_path
from .schemacheck import default_schema

__all__ = ["check_bytes", "check_file", "load", "CatalogError", "CheckResult", "Problem",
           "Catalog", "default_schema", "format_path", "MAX_BYTES"]


def check_bytes(data: bytes, filename: str = "<catalog>", schema: Optional[dict] = None,
                max_bytes: int = MAX_BYTES) -> CheckResult:
    """Run every check on a catalog's bytes; report all problems, never raise for bad input."""
    text, problem = decode(data, max_bytes)
    if problem:
        return CheckResult(filename, [problem])
    doc, problems = loader.parse(text)
    if doc is None:
        return CheckResult(filename, problems)
    # Where a rule explains a value, the schema's complaint about it (often a
    # raw regex) would only repeat it: one problem per value.
    found = checks.check(doc)
    explained = {p.parts for p in found}
    problems += [p for p in schemacheck.check(doc, schema) if p.parts not in explained] + found
    if not problems:
        try:
            return CheckResult(filename, [], Catalog.from_data(doc), doc)
        except Exception as e:  # only a permissive --schema lets such a document through
            problems.append(Problem("$", 1, 1, f"valid by the given schema, but not a usable "
                                               f"catalog: {type(e).__name__}: {e}", "model"))
    jsonpos.locate(problems, text)
    problems.sort(key=lambda p: (p.line, p.col))
    return CheckResult(filename, problems, None, doc)


def check_file(path, schema: Optional[dict] = None) -> CheckResult:
    """check_bytes on a file; OSError propagates (the caller decides: exit 2, or keep old)."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size > MAX_BYTES:  # say so without reading it all
            return CheckResult(os.fspath(path), [Problem(
                "$", 1, 1, f"file is {size:,} bytes, more than the {MAX_BYTES:,}-byte limit "
                           "for a catalog", "too-large")])
        data = f.read(MAX_BYTES + 1)
    return check_bytes(data, os.fspath(path), schema)


def load(path, schema: Optional[dict] = None) -> Catalog:
    """The daemon's (re)load: the gate's checks, then the typed catalog, or CatalogError."""
    try:
        result = check_file(path, schema)
    except OSError as e:
        raise CatalogError(os.fspath(path), [Problem("$", 0, 0, f"cannot read: "
                                                     f"{e.strerror or e}", "unreadable")]) from e
    if result.problems:
        raise CatalogError(result.filename, result.problems)
    return result.catalog
