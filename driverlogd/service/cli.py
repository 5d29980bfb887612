"""`driverlogd`: run the daemon, detach it, check a config, or run the demo.

Entered through driverlogd/__main__.py, which patches gevent before this
module is imported; `_run` refuses to start the service in an unpatched process.
"""
import argparse
import logging
import signal
import sys

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser():
    p = argparse.ArgumentParser(
        prog="driverlogd",
        description="Follow Gerrit's event stream and serve vendor driver CI verdicts.")
    sub = p.add_subparsers(dest="command")
    p.add_argument("--config", metavar="FILE", help="YAML config (see config/driverlogd.yaml)")
    p.add_argument("--daemonize", action="store_true",
                   help="detach from the terminal (python-daemon); needs --pidfile")
    p.add_argument("--pidfile", metavar="FILE", help="pid file; a second instance is refused")
    p.add_argument("--log-file", metavar="FILE",
                   help="log here instead of stderr (default with --daemonize: "
                        "STATE_DIR/driverlogd.log)")
    p.add_argument("--check-config", action="store_true",
                   help="validate the config and the catalog, then exit")
    demo = sub.add_parser("demo", help="run the whole system on this machine: a local Gerrit "
                                       "stand-in, CI traffic, driverlogd and the dashboard")
    demo.add_argument("--http-port", type=int, default=8080, help="dashboard port (default 8080)")
    demo.add_argument("--state-dir", default="demo-state",
                      help="where the demo keeps keys, config and database (default ./demo-state)")
    demo.add_argument("--rate", type=float, default=2.0,
                      help="CI comments per second the traffic generator posts (default 2)")
    return p


def setup_logging(level="INFO", log_file=None):
    handler = logging.FileHandler(log_file) if log_file else logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    return handler


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        from driverlogd.demo import run
        return run.main(args)
    if not args.config:
        print("driverlogd: --config FILE is required (or: driverlogd demo)", file=sys.stderr)
        return EXIT_USAGE
    if args.daemonize and not args.pidfile:
        print("driverlogd: --daemonize needs --pidfile FILE", file=sys.stderr)
        return EXIT_USAGE

    # paramiko imports invoke (126 modules, 6 MB) for ssh_config's `Match exec`
    # alone, which the daemon never reads: an import that fails costs nothing
    # (paramiko expects it). Before paramiko's first import, in the daemon only.
    sys.modules.setdefault("invoke", None)
    from driverlogd.service import heap
    heap.tune()     # before the catalog's load: its big blocks too stay out of the heap
    from driverlogd.service import config as config_mod
    from driverlogd.service import preflight
    try:
        cfg = config_mod.load(args.config)
        catalog = preflight.check(cfg)
    except (config_mod.ConfigError, preflight.PreflightError) as e:
        print(f"driverlogd: {e}", file=sys.stderr)
        return EXIT_USAGE
    if args.check_config:
        print(f"driverlogd: {args.config} is valid; catalog has {len(catalog.drivers)} drivers")
        return EXIT_OK

    # Until the service installs its own handlers: a reload before anything is
    # loaded is moot, and a stop must still unwind (pidfile, database). Set
    # before detaching, so the daemon inherits them from its first instant.
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _early_stop)
    # Explicitly: one started as a background job inherits SIGINT ignored.
    signal.signal(signal.SIGINT, _early_stop)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    if args.daemonize:
        from driverlogd.service import daemonize
        log_file = args.log_file or daemonize.default_log_file(cfg)
        try:
            context = daemonize.context(args.pidfile, log_file)
        except daemonize.AlreadyRunning as e:
            print(f"driverlogd: {e}", file=sys.stderr)
            return EXIT_FAILED
        with context:
            setup_logging(cfg.log_level, log_file)
            return _run(cfg, catalog)
    setup_logging(cfg.log_level, args.log_file)
    return _run(cfg, catalog)


def _early_stop(signum, frame):
    raise SystemExit(0)


def _run(cfg, catalog):
    from gevent import monkey
    if not monkey.is_module_patched("threading"):
        # Patching here would be too late: paramiko and the store are imported.
        raise RuntimeError("driverlogd must be entered through driverlogd.__main__ "
                           "(the `driverlogd` command or `python -m driverlogd`)")
    from driverlogd.service.app import Service
    return Service(cfg).run(catalog)
