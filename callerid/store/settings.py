"""Small named values shared between processes: the website's secret, the modem's state."""

from __future__ import annotations

from collections.abc import Mapping

from callerid.store.database import Database, guarded
from callerid.store.rows import now_utc, text


class Settings(Database):
    """The `settings` table."""

    @guarded
    def get_setting(self, key: str) -> str | None:
        row = self._conn().execute("SELECT value FROM settings WHERE key = ?", (str(key),)).fetchone()
        return None if row is None else row[0]

    @guarded
    def set_setting(self, key: str, value: str | None) -> None:
        """Set a setting (a str), or delete it with None."""
        self.set_settings({key: value})

    @guarded
    def set_settings(self, values: Mapping[str, str | None]) -> None:
        """Set (or, with None, delete) several settings in one transaction: one disk sync, not one each."""
        if any(not key for key in values):
            raise ValueError("setting key must not be empty")
        now = now_utc()
        with self._write() as conn:
            for key, value in values.items():
                if value is None:
                    conn.execute("DELETE FROM settings WHERE key = ?", (str(key),))
                else:
                    conn.execute(
                        "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)"
                        " ON CONFLICT (key) DO UPDATE"
                        " SET value = excluded.value, updated_at = excluded.updated_at",
                        (str(key), text(str(value)), now),
                    )

    @guarded
    def init_setting(self, key: str, value: str) -> str:
        """Store `value` unless the key is already set; return what is stored.

        Atomic across processes, so two processes starting together agree on one secret or setup code.
        """
        if not key:
            raise ValueError("setting key must not be empty")
        with self._write() as conn:
            conn.execute(
                "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING",
                (str(key), text(str(value)), now_utc()),
            )
            return conn.execute("SELECT value FROM settings WHERE key = ?", (str(key),)).fetchone()[0]


__all__ = ["Settings"]
