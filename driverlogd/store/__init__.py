"""Embedded SQLite store of CI reports, votes, verdicts and stream position."""
from driverlogd.store.db import Store, StoreError

__all__ = ["Store", "StoreError"]
