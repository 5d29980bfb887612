"""The known_hosts preflight: refuse a file that can never let the daemon in.

`ssh-keyscan` leaves an empty file behind when DNS fails or Gerrit is down,
and paramiko silently skips lines it cannot parse: either way the daemon
would start, then fail every connect. Better to say so at start, with the fix.
"""
import binascii

import paramiko
from paramiko.hostkeys import HostKeyEntry, InvalidHostKey
from paramiko.pkey import UnknownKeyType


class KnownHostsError(Exception):
    pass


def host_name(host: str, port: int) -> str:
    """How OpenSSH (and paramiko) name host:port in known_hosts."""
    return host if port == 22 else f"[{host}]:{port}"


def check(path: str, host: str, port: int) -> paramiko.HostKeys:
    """Return the parsed keys, or raise KnownHostsError naming the file and the fix."""
    fix = f"fill it with: ssh-keyscan -p {port} {host} > {path}"
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise KnownHostsError(f"cannot read {path}: {getattr(e, 'strerror', None) or e}") \
            from None
    keys = paramiko.HostKeys()
    for lineno, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            entry = HostKeyEntry.from_line(line, lineno)
        except UnknownKeyType:
            continue        # a key type paramiko cannot use; another line may do
        except (InvalidHostKey, paramiko.SSHException, binascii.Error, ValueError):
            entry = None
        if entry is None:
            raise KnownHostsError(f"{path}:{lineno}: not a known_hosts line "
                                  f"(HOST KEYTYPE BASE64KEY); {fix}")
        for name in entry.hostnames:
            keys.add(name, entry.key.get_name(), entry.key)
    if not keys.keys():
        raise KnownHostsError(f"{path} lists no host key (an empty file is what "
                              f"ssh-keyscan leaves when it cannot reach the host); {fix}")
    name = host_name(host, port)
    if keys.lookup(name) is None:
        raise KnownHostsError(f"{path} has no key for {name}; add it with: "
                              f"ssh-keyscan -p {port} {host} >> {path}")
    return keys
