"""Every third-party module the code imports comes from a distribution setup.cfg
declares: driverlogd/ from install_requires, tests/ and bench/ also from their extras."""
import ast
import configparser
import importlib.metadata
import pathlib
import re
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(sys.version_info < (3, 10),
                                reason="needs sys.stdlib_module_names")


def _names(requirements):
    return {re.split(r"[<>=!~\[; ]", line.strip(), maxsplit=1)[0].lower().replace("_", "-")
            for line in requirements.splitlines() if line.strip() and not line.strip()[0] == "#"}


def _declared():
    cfg = configparser.ConfigParser()
    cfg.read(REPO / "setup.cfg")
    extras = {k: _names(v) for k, v in cfg["options.extras_require"].items()}
    return _names(cfg["options"]["install_requires"]), extras


def _imports(folder):
    """(top-level module, file) for every absolute import under folder."""
    for path in sorted((REPO / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                yield name.split(".")[0], path.relative_to(REPO)


LOCAL = {"driverlogd", "tests", "bench"}


@pytest.mark.parametrize("folder,extras", [("driverlogd", ()), ("tests", ("test",)),
                                           ("bench", ("test", "bench"))])
def test_every_import_is_declared(folder, extras):
    required, extra = _declared()
    allowed = required.union(*(extra[e] for e in extras))
    owners = importlib.metadata.packages_distributions()
    missing = []
    for module, path in _imports(folder):
        if module in sys.stdlib_module_names or module in LOCAL or module.startswith("_"):
            continue
        dists = {d.lower().replace("_", "-") for d in owners.get(module, [])}
        if not dists & allowed:
            missing.append(f"{path}: {module} (from {', '.join(sorted(dists)) or '?'})")
    assert not missing, "undeclared imports:\n" + "\n".join(sorted(set(missing)))
