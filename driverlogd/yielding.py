"""How a long loop in a greenlet lets the others run (HTTP, SSE, the stream).

Not gevent.sleep(0): it switches through the hub's callback queue without
letting the hub poll, and the hub checks the clock only every 50 callbacks,
so a loop of them starved timers and sockets for as long as the loop ran
(a full 10,000-driver snapshot rebuild: ~0.9 s). A timer, however short,
makes the hub poll.
"""
import gevent


def pause():
    """Let other greenlets run, sockets and timers included."""
    gevent.sleep(0.0001)
