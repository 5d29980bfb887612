"""One verified, authenticated SSH connection to Gerrit, and commands on it.

`connect(config)` opens a TCP socket with keepalive options, checks the
server's host key against the configured known_hosts file BEFORE logging in
(an unknown or changed key is refused, never added), then authenticates with
the configured key. Failures raise a `GerritError` whose `reason` is the
metrics label (`host_key`, `auth`, `network`, `command`) and whose message is
meant for people (it names the host, key type and fingerprint).

Every command runs under a deadline: when it passes, the whole connection is
closed, which wakes every call blocked on it (paramiko waits without a
timeout in a few places, e.g. `exec_command`). Only sockets, threading and
time are used, so all of it cooperates with gevent once monkey-patched.
"""
import base64
import hashlib
import logging
import socket
import threading
from typing import List, Optional, Tuple, Union

import paramiko

from .channel_buffer import ChannelBuffer
from .config import GerritConfig
from .lines import BadLine, LineSplitter

log = logging.getLogger(__name__)


class GerritError(Exception):
    reason = "network"


class HostKeyError(GerritError):
    reason = "host_key"


class AuthError(GerritError):
    reason = "auth"


class NetworkError(GerritError):
    reason = "network"


class CommandError(GerritError):
    reason = "command"


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH-style SHA256 fingerprint, e.g. SHA256:abc..."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def _keepalive(sock: socket.socket, idle: float, dead_after: float) -> None:
    """Let the kernel notice a dead peer too (the probe is the primary check)."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    options = (("TCP_KEEPIDLE", max(1, int(idle))), ("TCP_KEEPINTVL", max(1, int(idle // 3))),
               ("TCP_KEEPCNT", 3), ("TCP_USER_TIMEOUT", int(dead_after * 1000)))
    for opt, value in options:
        if hasattr(socket, opt):
            try:
                sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, opt), value)
            except OSError:      # not every kernel knows every option
                pass


# The server may send packets up to this size on our channels (paramiko asks
# for 32 KiB; OpenSSH accepts 256 KiB): per packet, paramiko's Python costs
# more than the decryption, so a burst of events reads ~2x cheaper.
MAX_PACKET_SIZE = 1 << 18
# What the server may send ahead of our reads (paramiko's default is 2 MB): a
# stream burst reaches the recorder as one transaction of up to
# stream.BATCH_BYTES only if that much can be on its way meanwhile.
WINDOW_SIZE = 1 << 23
# Ciphers to ask for first where the server has them: AES-GCM authenticates
# as it decrypts, one C call a packet instead of AES-CTR plus a separate HMAC.
_FAST_CIPHERS = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com")

# Signature algorithms that use a key listed in known_hosts under another name.
_KEY_FAMILY = {"rsa-sha2-512": "ssh-rsa", "rsa-sha2-256": "ssh-rsa"}


def _known_name(host: str, port: int) -> str:
    return host if port == 22 else f"[{host}]:{port}"


def _load_client_key(config: GerritConfig) -> paramiko.PKey:
    try:
        return paramiko.PKey.from_path(config.key_file)
    except (OSError, paramiko.SSHException, ValueError) as e:
        raise AuthError(f"cannot load SSH key {config.key_file}: {e}") from None


def _load_known_hosts(config: GerritConfig) -> paramiko.HostKeys:
    known = paramiko.HostKeys()
    try:
        known.load(config.known_hosts)
    except (OSError, paramiko.SSHException) as e:
        raise HostKeyError(f"cannot read known_hosts file {config.known_hosts}: {e}") from None
    return known


def _check_host_key(config: GerritConfig, known: paramiko.HostKeys, offered: paramiko.PKey):
    name = _known_name(config.host, config.port)
    kind, fp = offered.get_name(), fingerprint(offered)
    entry = known.lookup(name)
    if not entry:
        raise HostKeyError(
            f"host key for {name} is not in {config.known_hosts}: the server offered "
            f"{kind} {fp}; refusing to connect (keys are never added automatically; "
            "verify the fingerprint and add it)")
    expected = entry.get(kind)
    if expected is None:
        raise HostKeyError(
            f"host key for {name} is unknown: the server offered {kind} {fp}, but "
            f"{config.known_hosts} lists only {', '.join(sorted(entry.keys()))} for it; refusing")
    if expected.asbytes() != offered.asbytes():
        raise HostKeyError(
            f"HOST KEY MISMATCH for {name}: the server offered {kind} {fp}, but "
            f"{config.known_hosts} expects {fingerprint(expected)}; refusing to connect "
            "(someone may be impersonating Gerrit, or its key changed)")


class Connection:
    """A live transport. Close it when done (it is a context manager)."""

    def __init__(self, config: GerritConfig, transport: paramiko.Transport):
        self.config = config
        self.transport = transport
        self.closed_because: Optional[str] = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self, why: Optional[str] = None) -> None:
        if why and not self.closed_because:
            self.closed_because = why
        try:
            self.transport.close()
        except Exception:      # closing must never raise into the caller's cleanup
            log.debug("error closing transport", exc_info=True)

    def deadline(self, seconds: float, what: str) -> "Deadline":
        return Deadline(self, seconds, what)

    def open(self, command: str, timeout: float) -> paramiko.Channel:
        """Start `command` on a new channel; raises CommandError within `timeout`."""
        with self.deadline(timeout, f"starting {command!r}") as dl:
            try:
                chan = self.transport.open_session(timeout=timeout,
                                                  max_packet_size=MAX_PACKET_SIZE,
                                                  window_size=WINDOW_SIZE)
                chan.in_buffer = ChannelBuffer()     # before the command: nothing came yet
                chan.exec_command(command)
            except (paramiko.SSHException, OSError, EOFError) as e:
                raise dl.error(e) from None
        return chan

    def run(self, command: str, timeout: float, max_line_bytes: Optional[int] = None
            ) -> Tuple[List[Union[bytes, BadLine]], int, str]:
        """Run a command to completion: (stdout lines, exit status, stderr text).
        Lines past `max_line_bytes` (default: the stream's cap) are BadLines."""
        chan = self.open(command, timeout)
        splitter = LineSplitter(max_line_bytes or self.config.max_line_bytes)
        out: List[Union[bytes, BadLine]] = []
        try:
            with self.deadline(timeout, f"running {command!r}") as dl:
                chan.settimeout(timeout)
                try:
                    while True:
                        data = chan.recv(1 << 20)
                        if not data:
                            break
                        out.extend(splitter.feed(data))
                    if not chan.status_event.wait(timeout):
                        raise CommandError(f"{command!r}: no exit status within {timeout:g} s")
                    status = chan.recv_exit_status()
                except (paramiko.SSHException, OSError, EOFError) as e:
                    raise dl.error(e) from None
            err = _drain_stderr(chan) if status else ""
            return out, status, err
        finally:
            chan.close()

    def lines(self, command: str, timeout: float) -> List[Union[bytes, BadLine]]:
        """Run a command; its stdout lines. A non-zero exit raises CommandError."""
        out, status, err = self.run(command, timeout)
        if status != 0:
            raise CommandError(f"{command!r} exited with status {status}: {err or 'no message'}")
        return out

    def probe(self) -> str:
        """Prove the link alive: `gerrit version` must answer within probe_timeout."""
        out = [x for x in self.lines("gerrit version", self.config.probe_timeout)
               if isinstance(x, bytes)]
        return b" ".join(out).decode("utf-8", "replace").strip()


def _drain_stderr(chan: paramiko.Channel) -> str:
    try:
        chan.settimeout(1.0)
        return chan.recv_stderr(4096).decode("utf-8", "replace").strip()
    except Exception:
        return ""


class Deadline:
    """Close the connection if the block is still running after `seconds`."""

    def __init__(self, conn: Connection, seconds: float, what: str):
        self.conn, self.seconds, self.what = conn, seconds, what
        self.expired = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def _expire(self):
        self.expired = True
        self.conn.close(f"{self.what}: no answer within {self.seconds:g} s")

    def error(self, cause: BaseException) -> GerritError:
        if self.expired:
            return CommandError(f"{self.what}: no answer within {self.seconds:g} s "
                                f"from {self.conn.config.address}")
        return NetworkError(f"{self.what} on {self.conn.config.address}: {cause or type(cause).__name__}")

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc):
        self._timer.cancel()


def connect(config: GerritConfig) -> Connection:
    """Open, verify and authenticate a connection; raises a GerritError subclass."""
    known = _load_known_hosts(config)
    key = _load_client_key(config)
    try:
        sock = socket.create_connection((config.host, config.port), timeout=config.connect_timeout)
    except OSError as e:
        raise NetworkError(f"cannot reach {config.address}: {e}") from None
    _keepalive(sock, config.keepalive_interval, config.keepalive_interval + config.probe_timeout)
    # SSH sends small packets (channel opens, window adjusts) and waits for the
    # answer: with Nagle's algorithm each such round trip waits for a delayed ACK.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    transport = paramiko.Transport(sock)
    conn = Connection(config, transport)
    try:
        transport.banner_timeout = transport.handshake_timeout = config.connect_timeout
        transport.auth_timeout = config.connect_timeout
        entry = known.lookup(_known_name(config.host, config.port)) or {}
        options = transport.get_security_options()
        # Ask first for key types we can verify, so a host listed under one type works.
        known_types = {_KEY_FAMILY.get(t, t) for t in entry}
        options.key_types = sorted(options.key_types,
                                   key=lambda t: _KEY_FAMILY.get(t, t) not in known_types)
        options.ciphers = sorted(options.ciphers, key=lambda c: c not in _FAST_CIPHERS)
        with conn.deadline(config.connect_timeout, "SSH handshake") as dl:
            try:
                transport.start_client(timeout=config.connect_timeout)
            except (paramiko.SSHException, OSError, EOFError) as e:
                raise dl.error(e) from None
        _check_host_key(config, known, transport.get_remote_server_key())
        try:
            transport.auth_publickey(config.username, key)
        except paramiko.AuthenticationException as e:
            raise AuthError(f"{config.address} refused login as {config.username!r} with "
                            f"{key.get_name()} key {fingerprint(key)} ({config.key_file}): {e}") from None
        except (paramiko.SSHException, OSError, EOFError) as e:
            raise NetworkError(f"login to {config.address} failed: {e}") from None
        return conn
    except BaseException:
        conn.close()
        raise
