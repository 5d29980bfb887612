"""`driverlog-gate FILE|- [--schema FILE] [--format text|json] [--base OLD_FILE|GIT_REV]
[--against URL]`

Exit 0: valid. 1: invalid (every problem listed). 2: unusable arguments or an
unreadable file or schema. Never a traceback: the job's log is read by people.
"""
import argparse
import json
import os
import sys

EXIT_OK, EXIT_INVALID, EXIT_UNUSABLE = 0, 1, 2


def _parser():
    p = argparse.ArgumentParser(
        prog="driverlog-gate",
        description="Validate a DriverLog catalog (default_data.json): JSON syntax, "
                    "duplicate keys, schema, order, references, uniqueness, dates, "
                    "RE2 CI patterns, Gerrit user names and e-mail addresses.")
    p.add_argument("file", metavar="FILE", help="the proposed catalog; - reads standard input")
    p.add_argument("--schema", metavar="FILE",
                   help="validate against this JSON Schema instead of the built-in one")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--base", metavar="OLD_FILE|GIT_REV",
                   help="also summarise what the change does against this catalog "
                        "(a file, or a git revision of FILE's path, e.g. HEAD~1)")
    p.add_argument("--against", metavar="URL", default="",
                   help="try every new or changed CI section's patterns against the CI's "
                        "reports stored by the driverlogd at URL (needs --base; an empty "
                        "URL skips this)")
    p.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    return p


def _version():
    from importlib import metadata
    try:
        return metadata.version("driverlog")
    except metadata.PackageNotFoundError:
        return "(not installed)"


def _unusable(message: str, fmt: str) -> int:
    print(f"driverlog-gate: {message}", file=sys.stderr)
    if fmt == "json":
        print(json.dumps({"valid": None, "error": message}))
    return EXIT_UNUSABLE


def _load_schema(path):
    from driverlogd.catalog.schemacheck import schema_errors
    with open(path, "rb") as f:
        schema = json.loads(f.read().decode("utf-8"))
    if not isinstance(schema, (dict, bool)):
        raise ValueError("a JSON Schema is an object")
    errors = schema_errors(schema)
    if errors:
        raise ValueError("not a valid JSON Schema: " + "; ".join(errors))
    return schema


_STDIN = {}     # what standard input held: --against locates problems in it


def _check_stdin(schema):
    from driverlogd.catalog import MAX_BYTES, check_bytes
    _STDIN["raw"] = sys.stdin.buffer.read(MAX_BYTES + 1)
    return check_bytes(_STDIN["raw"], "<stdin>", schema)


def _against(args, result, old):
    """Problems and notes from the daemon at --against (see against.py)."""
    from driverlogd.gate import against
    if args.file == "-":
        raw = _STDIN.get("raw", b"")
    else:
        with open(args.file, "rb") as f:
            raw = f.read()
    problems, notes = against.check(args.against, result, old,
                                    raw.decode("utf-8", "replace"))
    for note in notes:
        print(f"driverlog-gate: note: {note}", file=sys.stderr)
    result.problems.extend(problems)


def run(args) -> int:
    from driverlogd.catalog import check_file
    from driverlogd.gate import report

    schema = None
    if args.schema:
        try:
            schema = _load_schema(args.schema)
        except OSError as e:
            return _unusable(f"cannot read schema {args.schema}: {e.strerror or e}", args.format)
        except (ValueError, RecursionError) as e:
            return _unusable(f"unusable schema {args.schema}: {str(e)[:300]}", args.format)
    from driverlogd.catalog.schemacheck import UnusableSchema
    try:
        result = _check_stdin(schema) if args.file == "-" else check_file(args.file, schema)
    except OSError as e:
        return _unusable(f"cannot read {args.file}: {e.strerror or e}", args.format)
    except UnusableSchema as e:
        return _unusable(f"unusable schema {args.schema}: {e}", args.format)
    changes, label, old = None, "", None
    if args.against and not args.base:
        return _unusable("--against needs --base: it tries the CI sections the change "
                         "adds or changes", args.format)
    if args.base and args.file == "-" and not os.path.isfile(args.base):
        return _unusable("--base with FILE '-' must be a file: a git revision needs "
                         "the catalog's path", args.format)
    if args.base:
        from driverlogd.catalog.diff import summarize
        from driverlogd.gate.base import BaseError, read_base
        try:
            old, label = read_base(args.base, args.file)
        except BaseError as e:
            return _unusable(str(e), args.format)
        if old is not None and result.data is not None:
            changes = summarize(old, result.data)
    if args.against and result.ok:
        try:
            _against(args, result, old if isinstance(old, dict) else {})
        except OSError as e:
            return _unusable(f"cannot read {args.file}: {e.strerror or e}", args.format)
    if args.format == "json":
        print(report.as_json(result, changes, label))
    else:
        sys.stdout.write("\n".join(report.text(result, changes, label)) + "\n")
    return EXIT_OK if result.ok else EXIT_INVALID


def main(argv=None) -> int:
    args = _parser().parse_args(argv)  # exits 2 with usage on bad arguments
    try:
        code = run(args)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        return EXIT_UNUSABLE
    except Exception as e:  # a bug of ours: still one clear line, and not "valid"
        print(f"driverlog-gate: internal error: {type(e).__name__}: {e}", file=sys.stderr)
        return EXIT_UNUSABLE


if __name__ == "__main__":
    sys.exit(main())
