"""The call log, the family's lists and a few settings: one SQLite file in WAL mode.

- `database`: the file, per-thread connections, write transactions, checks, clear errors.
- `files`: who may read a new file (0600, or 0640 for the service group), proving it is writable.
- `schema`: the layout and its migrations.
- `rows`: records <-> rows.
- `queries`: the call filters as SQL.
- `calls`, `lists`, `police`, `settings`, `recordings`: one table each; `Store` is all five.
"""

from __future__ import annotations

from callerid.store.calls import CallCounts, CallerCount, CallLog, DayCounts
from callerid.store.database import BUSY_TIMEOUT_MS, StoreError
from callerid.store.lists import LIST_KINDS, ListTables
from callerid.store.police import HOUSEHOLD_KINDS, PoliceNumbers
from callerid.store.queries import OUTCOMES
from callerid.store.recordings import Recording, RecordingRows
from callerid.store.schema import MIGRATIONS, SCHEMA_VERSION
from callerid.store.settings import Settings


class Store(CallLog, ListTables, PoliceNumbers, Settings, RecordingRows):
    """The call log, the allow/block lists and a few settings, in one SQLite file.

    Safe to share between threads (each thread gets its own connection) and between processes
    (WAL). `readonly=True` opens an existing file without creating, migrating or writing anything
    (what `callerid log` uses, so it works for a user who may only read the file). `durable=False`
    trades power-loss safety of the last commits for speed (`synchronous=NORMAL`); kill -9 still
    loses nothing.
    """


__all__ = [
    "BUSY_TIMEOUT_MS",
    "HOUSEHOLD_KINDS",
    "LIST_KINDS",
    "MIGRATIONS",
    "OUTCOMES",
    "SCHEMA_VERSION",
    "CallCounts",
    "CallerCount",
    "DayCounts",
    "Recording",
    "Store",
    "StoreError",
]
