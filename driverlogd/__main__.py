"""The `driverlogd` command: the console script, `python -m driverlogd`, the demo.

gevent patches the standard library here, before any other import, so that
paramiko, sqlite3's users and every socket are imported already cooperative:
each SSH connection is a greenlet, not an OS thread. Nothing may come before
these two lines. (The gate, `driverlog-gate`, has its own entry point and no
gevent.)
"""
from gevent import monkey

monkey.patch_all()

import sys  # noqa: E402

from driverlogd.service.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
