"""systemd's notify protocol: one datagram to $NOTIFY_SOCKET, nothing more.

Written by hand because it is a single sendto(); a no-op outside systemd.
"""
import os
import socket
import time


class Notifier:
    def __init__(self, environ=None):
        env = os.environ if environ is None else environ
        addr = env.get("NOTIFY_SOCKET", "")
        # A leading '@' names a socket in Linux's abstract namespace.
        self.address = "\0" + addr[1:] if addr.startswith("@") else addr
        usec = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID", "")
        ours = not pid or pid == str(os.getpid())
        # Ping at half the watchdog period, as sd_watchdog_enabled(3) advises.
        self.watchdog_interval = int(usec) / 2e6 if usec.isdigit() and ours else None

    @property
    def enabled(self) -> bool:
        return bool(self.address)

    def notify(self, *fields: str) -> bool:
        if not self.address:
            return False
        message = "\n".join(fields).encode()
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as s:
            try:
                s.sendto(message, self.address)
            except OSError:
                return False  # systemd went away; never fatal for the service
        return True

    def ready(self, status=None):
        return self.notify("READY=1", *([f"STATUS={status}"] if status else []))

    def status(self, text):
        return self.notify(f"STATUS={text}")

    def reloading(self):
        # Type=notify-reload needs MONOTONIC_USEC to match the reload to this message.
        usec = int(time.clock_gettime(time.CLOCK_MONOTONIC) * 1e6)
        return self.notify("RELOADING=1", f"MONOTONIC_USEC={usec}")

    def stopping(self):
        return self.notify("STOPPING=1")

    def watchdog(self):
        return self.notify("WATCHDOG=1")
