"""WAL checkpoints run beside the writer, not inside its commits."""
import os
import threading
import time

from driverlogd.store import Store
from driverlogd.store.checkpoint import BACKSTOP_PAGES


def _wait_for(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_commits_reach_the_database_file_without_the_writer_checkpointing(tmp_path):
    path = str(tmp_path / "state.db")
    store = Store(path)
    assert store.db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == BACKSTOP_PAGES
    before = os.path.getsize(path)
    try:
        for i in range(40):       # ~2 MB: far below the writer's own threshold (32 MB)
            with store.transaction():
                store.set_meta(f"k{i}", "x" * 50_000)
        # Only a checkpoint copies the log into the database file: the writer
        # alone would leave all of it in the WAL until the backstop.
        assert _wait_for(lambda: os.path.getsize(path) >= before + 2_000_000)
        assert store.checkpointer.checkpoints > 0
    finally:
        store.close()
    # Closed: the thread ended; a new store on the same file reads it all.
    again = Store(path)
    assert again.meta("k39") == "x" * 50_000
    again.close()


def test_a_store_that_never_commits_starts_no_thread(tmp_path):
    store = Store(str(tmp_path / "state.db"))
    store.close()
    assert store.checkpointer.checkpoints == 0 and not store.checkpointer._started


def test_closing_twice_does_not_wait_for_a_thread_already_gone(tmp_path):
    store = Store(str(tmp_path / "state.db"))
    with store.transaction():
        store.set_meta("k", "v")
    store.close()
    again = threading.Thread(target=store.checkpointer.close, kwargs={"timeout": 60})
    again.start()
    again.join(10)          # waiting out the timeout would be 60 s
    assert not again.is_alive()
