"""A socket wrapper that can go silent: the half-open link, made on purpose.

While silent, nothing is read from or written to the peer, yet the TCP
connection stays open: exactly what a client sees when a firewall or NAT
drops a long-lived flow, or a server hangs. paramiko's transport reads with
a short timeout and loops, so a silent read just reports a timeout.
"""
import socket
import time


class Wire:
    def __init__(self, sock: socket.socket):
        self._sock = sock
        self.silent = False
        self.closed = False
        self.user = None        # who logged in on it (the stand-in's faults can aim)

    def _hold(self) -> None:
        while self.silent:
            if self.closed:
                raise OSError("connection closed")
            time.sleep(0.05)

    def recv(self, n: int) -> bytes:
        if self.silent:
            time.sleep(0.1)
            if self.closed:
                raise OSError("connection closed")
            raise socket.timeout()
        return self._sock.recv(n)

    def send(self, data) -> int:
        self._hold()
        return self._sock.send(data)

    def sendall(self, data) -> None:
        self._hold()
        self._sock.sendall(data)

    def close(self) -> None:
        self.closed = True
        self._sock.close()

    def __getattr__(self, name):
        return getattr(self._sock, name)
