"""Checks run before the daemon starts, so a bad setup stops with one message.

The catalog goes through the very checks the gate runs; the SSH key and
known_hosts are parsed now rather than failing on the first connect.
"""
import paramiko

from driverlogd import catalog as catalog_mod
from driverlogd.service import knownhosts


class PreflightError(Exception):
    pass


def check(cfg):
    """Return the loaded catalog, or raise PreflightError saying what is wrong,
    in the config's words: `CONFIG: SETTING: problem`."""
    try:
        load_private_key(cfg.key_file)
    except PreflightError as e:
        raise PreflightError(f"{cfg.path}: gerrit.key_file: {e}") from None
    try:
        knownhosts.check(cfg.known_hosts, cfg.gerrit_host, cfg.gerrit_port)
    except knownhosts.KnownHostsError as e:
        raise PreflightError(f"{cfg.path}: gerrit.known_hosts: {e}") from None
    try:
        return catalog_mod.load(cfg.catalog)
    except catalog_mod.CatalogError as e:
        raise PreflightError(f"{cfg.path}: catalog: {cfg.catalog} is invalid:\n{e}") from None


def load_private_key(path):
    """Load an unencrypted private key of any type paramiko knows."""
    errors = []
    for cls in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return cls.from_private_key_file(path)
        except paramiko.PasswordRequiredException:
            raise PreflightError(
                f"{path} is encrypted; a daemon needs a key without a passphrase") from None
        except (paramiko.SSHException, ValueError) as e:
            errors.append(str(e))
        except OSError as e:
            raise PreflightError(f"cannot read {path}: {e.strerror}") from None
    raise PreflightError(f"{path} is not a private key paramiko can use ({errors[-1]})")
