"""A local Gerrit stand-in: real SSH on loopback, Gerrit 3's JSON, fault switches.

Tests and `driverlogd demo` use it; see server.py for the Python API and
`python -m driverlogd.standin --help` for the command line.
"""
from .keys import generate_key, public_line, write_known_hosts
from .server import VERSION, StandIn
from .store import UnknownChange

__all__ = ["StandIn", "VERSION", "UnknownChange", "generate_key", "public_line",
           "write_known_hosts"]
