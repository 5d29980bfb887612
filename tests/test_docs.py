"""The operator's guide lists every metric the daemon exports, and only those."""
import pathlib
import re

from driverlogd.metrics import Metrics

GUIDE = pathlib.Path(__file__).resolve().parents[1] / "docs" / "operations.md"


def exported():
    names = set()
    for family in Metrics().registry.collect():
        suffix = "_total" if family.type == "counter" else ""
        names.add(family.name + suffix)
    return names


def test_operations_guide_lists_every_metric():
    listed = set(re.findall(r"^\| `(driverlog_\w+)` \|", GUIDE.read_text(), re.MULTILINE))
    assert listed == exported()
