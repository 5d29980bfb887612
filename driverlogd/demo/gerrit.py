"""The demo's Gerrit: the stand-in plus CI traffic, in a process of its own.

`python -m driverlogd.demo.gerrit --state-dir D --catalog F --rate R` prints
`READY <port>` once it listens, then posts CI traffic until SIGTERM/SIGINT.
"""
import argparse
import json
import logging
import signal
import sys
import threading

from driverlogd.catalog.model import Catalog
from driverlogd.demo.traffic import SettableClock, Traffic
from driverlogd.standin import StandIn


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m driverlogd.demo.gerrit")
    p.add_argument("--state-dir", required=True)
    p.add_argument("--catalog", required=True)
    p.add_argument("--rate", type=float, default=2.0)
    p.add_argument("--port", type=int, default=0)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    # A client hanging up at Ctrl-C is no news in a demo.
    logging.getLogger("paramiko").setLevel(logging.CRITICAL)
    with open(args.catalog) as f:
        catalog = Catalog.from_data(json.load(f))
    with open(f"{args.state_dir}/driverlog_key.pub") as f:
        client_key = f.read().strip()
    clock = SettableClock()
    server = StandIn(f"{args.state_dir}/gerrit_host_key", [client_key], port=args.port,
                     url_base="https://review.example.org/", clock=clock)
    traffic = Traffic(server, catalog)
    traffic.seed_history(clock)
    server.start()
    print(f"READY {server.port}", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(1.0 / args.rate if args.rate > 0 else 3600):
        traffic.step()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
