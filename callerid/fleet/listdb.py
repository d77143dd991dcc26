"""The shared lists this home holds, in the call database: one row per list, newest version only.

Owned here (created on first use, like the outbox) so the call log's schema need not know it.
`offer` is the one way in: it checks the signature and that the version is newer than the held
one inside one write transaction, so two copies of the same retained message can never apply an
older list over a newer one. `shared_entries(conn)` reads what screening needs from any connection.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from callerid.fleet.sharedlist import ListRefused, SharedList, check
from callerid.screen.shared import SharedEntry

log = logging.getLogger("callerid.fleet.lists")

BUSY_TIMEOUT_MS = 10_000
_SCHEMA = """
CREATE TABLE IF NOT EXISTS shared_lists (
    name          TEXT PRIMARY KEY,
    version       INTEGER NOT NULL,
    signed_by     TEXT NOT NULL,
    published_at  TEXT NOT NULL,
    applied_at    TEXT NOT NULL,
    entries       TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class HeldList:
    name: str
    version: int
    signed_by: str
    published_at: str
    applied_at: str
    entries: int


@dataclass(frozen=True)
class Outcome:
    """What `offer` did: applied (and which version), or why not."""

    applied: bool
    name: str
    version: int | None
    reason: str = ""
    entries: int = 0


def shared_entries(conn: sqlite3.Connection) -> list[SharedEntry]:
    """Every held entry, from any connection to the call database ([] before the first list)."""
    try:
        rows = conn.execute("SELECT name, entries FROM shared_lists ORDER BY name").fetchall()
    except sqlite3.OperationalError:  # no such table: no list was ever applied
        return []
    found: list[SharedEntry] = []
    for name, text in rows:
        try:
            items = json.loads(text)
        except ValueError:
            continue
        for item in items if isinstance(items, list) else []:
            if isinstance(item, list) and len(item) == 3:
                found.append(SharedEntry(name, str(item[0]), str(item[1]), str(item[2])))
    return found


class SharedListDB:
    """The shared lists in the SQLite file at `path`; safe to share between threads."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser().absolute()
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(
            str(self.path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
        self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def version(self, name: str) -> int | None:
        with self._lock:
            row = self._conn.execute("SELECT version FROM shared_lists WHERE name = ?", (name,)).fetchone()
        return None if row is None else int(row[0])

    def offer(self, payload: bytes, name: str, trusted: Iterable[bytes], region: str) -> Outcome:
        """Apply the list in `payload` (from topic `callerid/shared/list/<name>`) if it is acceptable.

        Refusals are logged: a warning for a bad signature or an older version, debug for the
        same version arriving again (every reconnect re-delivers the retained list).
        """
        try:
            checked = check(payload, name, trusted, region)
        except ListRefused as exc:
            log.warning("refused shared list %r: %s", name, exc)
            return Outcome(False, name, None, str(exc))
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                row = self._conn.execute(
                    "SELECT version FROM shared_lists WHERE name = ?", (name,)
                ).fetchone()
                held = None if row is None else int(row[0])
                if held is not None and checked.version <= held:
                    self._conn.execute("ROLLBACK")
                    return self._stale(checked, held)
                self._store(checked)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        log.info(
            "applied shared list %r version %d: %d entries (%d unreadable)",
            name, checked.version, len(checked.entries), checked.skipped,
        )
        return Outcome(True, name, checked.version, entries=len(checked.entries))

    @staticmethod
    def _stale(checked: SharedList, held: int) -> Outcome:
        if checked.version == held:
            reason = f"version {held} is already held"
            log.debug("shared list %r: %s", checked.name, reason)
        else:
            reason = f"version {checked.version} is older than the held version {held} (replayed?)"
            log.warning("refused shared list %r: %s", checked.name, reason)
        return Outcome(False, checked.name, checked.version, reason)

    def _store(self, checked: SharedList) -> None:
        rows = [[e.pattern, e.verdict, e.label] for e in checked.entries]
        entries = json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
        self._conn.execute(
            "INSERT INTO shared_lists (name, version, signed_by, published_at, applied_at, entries)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET version = excluded.version,"
            " signed_by = excluded.signed_by, published_at = excluded.published_at,"
            " applied_at = excluded.applied_at, entries = excluded.entries",
            (checked.name, checked.version, checked.signed_by, checked.published_at,
             datetime.now(UTC).isoformat(timespec="seconds"), entries),
        )

    def held(self) -> list[HeldList]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT name, version, signed_by, published_at, applied_at, json_array_length(entries)"
                " FROM shared_lists ORDER BY name"
            ).fetchall()
        return [HeldList(*row) for row in rows]

    def entries(self) -> list[SharedEntry]:
        with self._lock:
            return shared_entries(self._conn)


__all__ = ["HeldList", "Outcome", "SharedListDB", "shared_entries"]
