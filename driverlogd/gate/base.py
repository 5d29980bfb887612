"""The catalog before the change: a file, or the same path at a git revision."""
import json
import os
import subprocess
from typing import Optional, Tuple


class BaseError(Exception):
    pass


def read_base(spec: str, proposed_path: str) -> Tuple[Optional[object], str]:
    """(decoded old document or None, a note). Raises BaseError if unusable."""
    if os.path.isfile(spec):
        try:
            with open(spec, "rb") as f:
                raw = f.read()
        except OSError as e:
            raise BaseError(f"cannot read base {spec}: {e.strerror or e}") from e
        return _decode(raw, spec)
    return _from_git(spec, proposed_path)


def _decode(raw: bytes, label: str):
    try:
        return json.loads(raw.decode("utf-8")), label
    except (ValueError, RecursionError) as e:
        return None, f"{label} (not valid JSON, no change summary: {str(e)[:100]})"


def _git(args, cwd):
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as e:
        raise BaseError(f"cannot run git: {e}") from e


def _from_git(rev: str, proposed_path: str):
    where = os.path.dirname(os.path.abspath(proposed_path))
    top = _git(["rev-parse", "--show-toplevel"], where)
    if top.returncode != 0:
        raise BaseError(f"--base {rev!r} is neither a file nor a git revision "
                        f"({os.fspath(proposed_path)} is not in a git work tree)")
    root = top.stdout.decode().strip()
    rel = os.path.relpath(os.path.realpath(proposed_path), os.path.realpath(root))
    ok = _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], root)
    if ok.returncode != 0:
        raise BaseError(f"--base {rev!r} is neither a file nor a git revision")
    shown = _git(["show", f"{rev}:{rel.replace(os.sep, '/')}"], root)
    if shown.returncode != 0:
        return {}, f"{rev}:{rel} (absent: the file is new)"
    return _decode(shown.stdout, f"{rev}:{rel}")
