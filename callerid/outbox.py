"""A durable outbox beside the call log: messages that must leave the house (family notifications,
fleet call events) survive restarts, network outages and kill -9, and never hold up a call.

The call path only calls `put` (one small INSERT); a sender thread per channel waits on `wait()`
(no polling while nothing is due), takes `due()` items in order, delivers them and marks each
`sent` or `failed` (retried with capped exponential backoff). Delivery is at least once: an item is
marked sent after the receiver accepted it, so a crash in between sends it again on restart. Each
item has a caller-chosen `key`, unique per channel, so the same event queued twice (a retried
commit, a restart that re-queues what it saw) is stored once.

The table lives in the call database file (one file to back up, one place for the family's data)
but is owned here, created on first use, so the call log's schema and migrations need not know it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BUSY_TIMEOUT_MS = 10_000
FIRST_RETRY_S = 5.0
LONGEST_RETRY_S = 600.0

#: The outbox's table; also created by the call log's migration 3, so either may come first.
OUTBOX_STATEMENTS = (
    """CREATE TABLE IF NOT EXISTS outbox (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        channel     TEXT NOT NULL,
        key         TEXT NOT NULL,
        payload     TEXT NOT NULL,
        created_at  REAL NOT NULL,
        attempts    INTEGER NOT NULL DEFAULT 0,
        next_try    REAL NOT NULL,
        last_error  TEXT,
        sent_at     REAL,
        UNIQUE (channel, key)
    )""",
    "CREATE INDEX IF NOT EXISTS outbox_due ON outbox (channel, sent_at, next_try, id)",
)


class OutboxError(Exception):
    """The outbox's database refused a read or write (full disk, read-only file, damaged file)."""


@dataclass(frozen=True)
class OutboxItem:
    """One queued message: `payload` is the JSON object given to `put`."""

    id: int
    channel: str
    key: str
    payload: dict[str, Any]
    created_at: float
    attempts: int


def retry_delay(attempts: int) -> float:
    """Seconds to wait after the `attempts`-th failure: 5 s doubling, at most 10 minutes."""
    return min(LONGEST_RETRY_S, FIRST_RETRY_S * 2 ** max(0, attempts - 1))


class Outbox:
    """Queued messages in the SQLite file at `path`; safe to share between threads.

    `clock` is the wall clock in seconds (tests pass a fake one); it stamps items and decides
    which are due, and is never read on the call path except by `put`.
    """

    def __init__(self, path: str | Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path).expanduser().absolute()
        self._clock = clock
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        try:
            self._conn = sqlite3.connect(
                str(self.path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                check_same_thread=False,
            )
            self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = FULL")
            for statement in OUTBOX_STATEMENTS:
                self._conn.execute(statement)
        except sqlite3.Error as exc:
            raise OutboxError(f"cannot open the outbox in {self.path}: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _run(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        try:
            return self._conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise OutboxError(f"outbox in {self.path}: {exc}") from exc

    def put(self, channel: str, key: str, payload: dict[str, Any]) -> bool:
        """Queue `payload` once per (channel, key); True when it was new. Wakes the senders."""
        now = self._clock()
        text = json.dumps(payload, ensure_ascii=False, sort_keys=True)
        with self._lock:
            cursor = self._run(
                "INSERT OR IGNORE INTO outbox (channel, key, payload, created_at, next_try) "
                "VALUES (?, ?, ?, ?, ?)",
                (channel, key, text, now, now),
            )
            added = cursor.rowcount == 1
            if added:
                self._changed.notify_all()
        return added

    def due(self, channel: str, *, limit: int = 50) -> list[OutboxItem]:
        """Unsent items of `channel` whose retry time has come, oldest first."""
        with self._lock:
            rows = self._run(
                "SELECT id, channel, key, payload, created_at, attempts FROM outbox "
                "WHERE channel = ? AND sent_at IS NULL AND next_try <= ? ORDER BY id LIMIT ?",
                (channel, self._clock(), limit),
            ).fetchall()
        return [
            OutboxItem(id=r[0], channel=r[1], key=r[2], payload=json.loads(r[3]), created_at=r[4],
                       attempts=r[5])
            for r in rows
        ]

    def next_due_in(self, channel: str) -> float | None:
        """Seconds until the next unsent item of `channel` is due (0 if one is due now), or None."""
        with self._lock:
            row = self._run(
                "SELECT MIN(next_try) FROM outbox WHERE channel = ? AND sent_at IS NULL", (channel,)
            ).fetchone()
        if row is None or row[0] is None:
            return None
        return max(0.0, row[0] - self._clock())

    def mark_sent(self, item_ids: list[int]) -> None:
        if not item_ids:
            return
        now = self._clock()
        marks = ",".join("?" * len(item_ids))
        with self._lock:
            self._run(f"UPDATE outbox SET sent_at = ? WHERE id IN ({marks})", (now, *item_ids))

    def mark_failed(self, item_id: int, error: str) -> float:
        """Count a failed attempt and schedule the retry; returns the delay in seconds."""
        now = self._clock()
        with self._lock:
            row = self._run("SELECT attempts FROM outbox WHERE id = ?", (item_id,)).fetchone()
            attempts = (row[0] if row else 0) + 1
            delay = retry_delay(attempts)
            self._run(
                "UPDATE outbox SET attempts = ?, next_try = ?, last_error = ? WHERE id = ?",
                (attempts, now + delay, error[:500], item_id),
            )
        return delay

    def pending(self, channel: str) -> int:
        with self._lock:
            return int(self._run(
                "SELECT COUNT(*) FROM outbox WHERE channel = ? AND sent_at IS NULL", (channel,)
            ).fetchone()[0])

    def prune_sent(self, older_than_s: float) -> int:
        """Forget items sent more than `older_than_s` ago (their keys may then be queued again)."""
        with self._lock:
            cursor = self._run(
                "DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < ?",
                (self._clock() - older_than_s,),
            )
        return cursor.rowcount

    def wait(self, timeout: float | None) -> None:
        """Block until `put` adds an item (in this process) or `timeout` seconds pass."""
        with self._changed:
            self._changed.wait(timeout)

    def wake(self) -> None:
        """Wake every waiting sender (used to stop them)."""
        with self._changed:
            self._changed.notify_all()
