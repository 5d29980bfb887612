"""`make bench`: run every bench/bench_*.py (or those named on the command line)."""
import importlib
import pathlib
import sys
import time


def main(argv):
    here = pathlib.Path(__file__).parent
    topics = sorted(p.stem[len("bench_"):] for p in here.glob("bench_*.py"))
    chosen = argv or topics
    unknown = [t for t in chosen if t not in topics]
    if unknown:
        print(f"bench: unknown topic(s) {', '.join(unknown)}; known: {', '.join(topics)}",
              file=sys.stderr)
        return 2
    for topic in chosen:
        print(f"== {topic} ==", flush=True)
        started = time.monotonic()
        importlib.import_module(f"bench.bench_{topic}").main()
        print(f"({topic}: {time.monotonic() - started:.1f} s)\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
