"""Detach with python-daemon, keeping the log and refusing a second instance."""
import os

import daemon
import daemon.pidfile
import lockfile


class AlreadyRunning(Exception):
    pass


def default_log_file(cfg):
    os.makedirs(cfg.state_dir, exist_ok=True)
    return os.path.join(cfg.state_dir, "driverlogd.log")


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def context(pidfile_path, log_file):
    pidfile_path = os.path.abspath(pidfile_path)
    pidfile = daemon.pidfile.TimeoutPIDLockFile(pidfile_path, acquire_timeout=0)
    pid = pidfile.read_pid()
    if pid is not None:
        if _alive(pid):
            raise AlreadyRunning(f"already running as pid {pid} (pidfile {pidfile_path})")
        pidfile.break_lock()  # left behind by a crash: the process is gone
    # Open the log before detaching so a bad path is reported on the terminal.
    log = open(log_file, "a", buffering=1)
    ctx = daemon.DaemonContext(
        pidfile=pidfile, working_directory="/", umask=0o077,
        stdout=log, stderr=log, files_preserve=[log],
        # systemd-style stop: SIGTERM handled by the service itself, not python-daemon.
        signal_map={})
    return _Context(ctx, pidfile_path)


def _drop_hub():
    """Detaching closes every open descriptor, the gevent hub's own (its epoll
    and eventfd) too, if one exists by then; the files opened next (the log,
    the store) reuse their numbers, and the loop, reinitialised after the
    fork, closed and replaced "its" descriptors: the log's handler wrote into
    an epoll from its second line on ("Invalid argument"). The hub goes now;
    the first gevent call after detaching makes a new one."""
    import gevent
    gevent.get_hub().destroy(destroy_loop=True)


class _Context:
    def __init__(self, ctx, path):
        self.ctx, self.path = ctx, path

    def __enter__(self):
        _drop_hub()
        try:
            self.ctx.open()
        except lockfile.AlreadyLocked:
            raise AlreadyRunning(f"pidfile {self.path} is held by another instance") from None
        except BaseException:
            # Stopped while detaching (SIGTERM right after the pidfile appeared):
            # still remove the pidfile.
            if self.ctx.is_open:
                self.ctx.close()
            raise
        return self

    def __exit__(self, *exc):
        self.ctx.close()
        return False
