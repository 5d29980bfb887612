"""Throwaway SSH keys and known_hosts files for the stand-in, tests and the demo."""
import os
from typing import Union

import paramiko


def generate_key(path: Union[str, os.PathLike]) -> str:
    """Write a new ECDSA private key (fast to make) to `path`; return its public key line."""
    key = paramiko.ECDSAKey.generate()
    key.write_private_key_file(str(path))
    os.chmod(path, 0o600)
    line = f"{key.get_name()} {key.get_base64()}"
    with open(f"{path}.pub", "w") as f:
        f.write(line + "\n")
    return line


def public_line(private_key_path: Union[str, os.PathLike]) -> str:
    key = paramiko.PKey.from_path(str(private_key_path))
    return f"{key.get_name()} {key.get_base64()}"


def write_known_hosts(path: Union[str, os.PathLike], host: str, port: int,
                      host_key_path: Union[str, os.PathLike]) -> None:
    """A known_hosts file naming the stand-in's host key for host:port."""
    name = host if port == 22 else f"[{host}]:{port}"
    with open(path, "w") as f:
        f.write(f"{name} {public_line(host_key_path)}\n")
