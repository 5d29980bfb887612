"""`python -m driverlogd.standin`: run the stand-in Gerrit until interrupted.

With --traffic N it also plays a tiny review life every N seconds (a change,
a CI comment, a merge) so a dashboard has something to show.
"""
import argparse
import logging
import random
import signal
import sys
import threading

from .keys import generate_key
from .server import StandIn


def _traffic(server: StandIn, every: float, stop: threading.Event, ci: str, project: str) -> None:
    rng = random.Random(1)
    while not stop.wait(every):
        number = server.create_change(project, "master")
        ok = rng.random() < 0.8
        server.add_comment(number, 1, ci, "Build succeeded." if ok else "Build failed.",
                           approvals={"Verified": 1 if ok else -1})
        server.merge(number)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m driverlogd.standin", description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=29418)
    p.add_argument("--host-key", required=True, help="private host key (created if missing)")
    p.add_argument("--authorized-keys", required=True,
                   help="file of public key lines allowed to log in")
    p.add_argument("--traffic", type=float, default=0, help="seconds between demo changes")
    p.add_argument("--ci", default="demo-ci")
    p.add_argument("--project", default="openstack/demo")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        open(args.host_key).close()
    except FileNotFoundError:
        generate_key(args.host_key)
    try:
        with open(args.authorized_keys) as f:
            keys = [line for line in f.read().splitlines() if line.strip() and not line.startswith("#")]
    except OSError as e:
        print(f"standin: cannot read {args.authorized_keys}: {e}", file=sys.stderr)
        return 2
    server = StandIn(args.host_key, keys, port=args.port, host=args.host).start()
    print(f"stand-in Gerrit listening on {args.host}:{server.port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if args.traffic > 0:
        threading.Thread(target=_traffic, args=(server, args.traffic, stop, args.ci, args.project),
                         daemon=True).start()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
