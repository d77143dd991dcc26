"""The family's allow and block lists, stored normalised (so one number is one entry)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from contextlib import suppress

from callerid.fleet.listdb import shared_entries
from callerid.model import ListEntry, ListKind
from callerid.screen.lists import FamilyLists, normalise_pattern
from callerid.screen.shared import ListsWithShared, SharedEntry
from callerid.store import rows
from callerid.store.database import Database, guarded

LIST_KINDS = tuple(ListKind)


class ListTables(Database):
    """The `lists` table."""

    @staticmethod
    def _kind(kind: str) -> str:
        if kind not in LIST_KINDS:
            raise ValueError(f"list kind must be 'allow' or 'block', not {str(kind)[:20]!r}")
        return kind

    def normalise_pattern(self, pattern: str) -> str:
        """The stored form of a list pattern (ValueError with a clear message for nonsense)."""
        text = rows.text(str(pattern)) or ""
        return normalise_pattern(text, self.region)

    @guarded
    def list_entries(self, kind: str) -> list[ListEntry]:
        found = self._conn().execute(
            "SELECT * FROM lists WHERE kind = ? ORDER BY pattern, id", (self._kind(kind),)
        )
        return [rows.entry_from_row(r) for r in found]

    @guarded
    def add_list_entry(self, kind: str, pattern: str, label: str = "") -> ListEntry:
        """Add a number or prefix (normalised) to a list; an existing entry gets the new label."""
        kind, pattern = self._kind(kind), self.normalise_pattern(pattern)
        with self._write() as conn:
            return self._upsert(conn, kind, pattern, label)

    @staticmethod
    def _upsert(conn: sqlite3.Connection, kind: str, pattern: str, label: str) -> ListEntry:
        conn.execute(
            "INSERT INTO lists (kind, pattern, label, added_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (kind, pattern) DO UPDATE SET label = excluded.label",
            (kind, pattern, rows.text(label or ""), rows.now_utc()),
        )
        row = conn.execute("SELECT * FROM lists WHERE kind = ? AND pattern = ?", (kind, pattern)).fetchone()
        return rows.entry_from_row(row)

    @guarded
    def add_list_entries(self, kind: str, entries: Iterable[ListEntry | tuple[str, str] | str]) -> int:
        """Add many entries atomically (CSV import): all or nothing; ValueError names the bad entry."""
        kind = self._kind(kind)
        prepared: list[tuple[str, str]] = []
        for index, entry in enumerate(entries, start=1):
            if isinstance(entry, ListEntry):
                pattern, label = entry.pattern, entry.label
            elif isinstance(entry, str):
                pattern, label = entry, ""
            else:
                pattern, label = entry
            try:
                prepared.append((self.normalise_pattern(pattern), label or ""))
            except ValueError as exc:
                raise ValueError(f"entry {index} ({str(pattern)[:30]!r}): {exc}") from None
        with self._write() as conn:
            for pattern, label in prepared:
                self._upsert(conn, kind, pattern, label)
        return len(prepared)

    @guarded
    def remove_list_entry(self, kind: str, pattern: str) -> bool:
        """Remove an entry, given in any form that normalises to it (or exactly as stored)."""
        kind = self._kind(kind)
        candidates = {str(pattern), str(pattern).strip()}
        with suppress(ValueError):  # still allow removing something stored before the rules got stricter
            candidates.add(self.normalise_pattern(pattern))
        with self._write() as conn:
            removed = 0
            for candidate in candidates:
                removed += conn.execute(
                    "DELETE FROM lists WHERE kind = ? AND pattern = ?", (kind, rows.text(candidate))
                ).rowcount
            return removed > 0

    def family_lists(self, region: str | None = None) -> FamilyLists:
        """The lists as the screening engine takes them, with the fleet's shared lists behind them."""
        return ListsWithShared(
            allow=self.list_entries(ListKind.ALLOW),
            block=self.list_entries(ListKind.BLOCK),
            region=region or self.region,
            shared=self.shared_entries(),
        )

    @guarded
    def shared_entries(self) -> list[SharedEntry]:
        """The entries of the fleet's shared lists this home applied (callerid/fleet/listdb.py owns them)."""
        return shared_entries(self._conn())


__all__ = ["LIST_KINDS", "ListTables"]
