"""driverlog-gate vs check-jsonschema: whole-process wall time on the same file
against the same schema (ours; and the real catalog's own draft-04 schema too),
interleaved runs, medians and ratios; and how the gate's time grows with catalog
size (1,000 vs 10,000 drivers)."""
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from driverlogd.catalog.synthetic import write_catalog

REPO = pathlib.Path(__file__).resolve().parents[1]
REAL = REPO.parent / "shared" / "corpus" / "default_data.json"
REAL_SCHEMA = REAL.with_name("default_data.schema.json")
SCHEMA = REPO / "driverlogd" / "catalog" / "schema.json"
RUNS = 5


def _tool(name):
    here = pathlib.Path(sys.executable).parent / name
    return str(here) if here.exists() else shutil.which(name)


def _wall(cmd, expect):
    started = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=300)
    elapsed = time.perf_counter() - started
    if proc.returncode != expect:
        raise SystemExit(f"bench: {cmd[0]} exited {proc.returncode}: {proc.stderr[:300]!r}")
    return elapsed


def compare(path, gate, cjs, schema=None, runs=RUNS):
    """Median seconds (ours, theirs), runs interleaved so drift hits both alike."""
    ours, theirs = [], []
    given = ["--schema", str(schema)] if schema else []
    for _ in range(runs):
        ours.append(_wall([gate, str(path), *given], 0))
        if cjs:
            theirs.append(_wall([cjs, "--schemafile", str(schema or SCHEMA), str(path)], 0))
    return statistics.median(ours), (statistics.median(theirs) if theirs else None)


def main():
    gate, cjs = _tool("driverlog-gate"), _tool("check-jsonschema")
    if not gate:
        print("driverlog-gate is not installed (pip install -e .); skipped")
        return
    if not cjs:
        print("note: check-jsonschema is not installed (extra 'bench'): no comparison")
    print(f"median of {RUNS} interleaved runs, whole process, wall seconds")
    print(f"{'file':<28} {'drivers':>7} {'gate':>7} {'check-jsonschema':>16} {'ratio':>6}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        if REAL.exists():
            files.append(("real catalog (corpus)", REAL, 221, None))
            if REAL_SCHEMA.exists():
                files.append(("real, its own schema", REAL, 221, REAL_SCHEMA))
        else:
            print("(real catalog row skipped: ../shared/corpus is absent)")
        for n in (1000, 10000):
            path = pathlib.Path(tmp) / f"synthetic-{n}.json"
            write_catalog(path, n)
            files.append((f"synthetic {n // 1000}k", path, n, None))
        for label, path, n, schema in files:
            ours, theirs = compare(path, gate, cjs, schema)
            rows.append((label, n, ours))
            ratio = f"{ours / theirs:.2f}x" if theirs else "-"
            theirs_s = f"{theirs:.3f}" if theirs else "-"
            print(f"{label:<28} {n:>7} {ours:>7.3f} {theirs_s:>16} {ratio:>6}", flush=True)
        empty = pathlib.Path(tmp) / "synthetic-0.json"
        write_catalog(empty, 0)  # start-up and imports: the fixed cost
        baseline = statistics.median(_wall([gate, str(empty)], 0) for _ in range(RUNS))
    small = next(r for r in rows if r[1] == 1000)
    big = next(r for r in rows if r[1] == 10000)
    per_small = (small[2] - baseline) / small[1] * 1e6
    per_big = (big[2] - baseline) / big[1] * 1e6
    print(f"scaling: {per_small:.0f} us/driver at 1k, {per_big:.0f} us/driver at 10k "
          f"(the gate's fixed cost on an empty catalog, {baseline * 1000:.0f} ms, taken "
          f"off); 10x drivers took "
          f"{big[2] / small[2]:.1f}x the time")


if __name__ == "__main__":
    main()
