"""The call log's layout and its upgrades: `PRAGMA user_version` holds the version.

`MIGRATIONS` upgrade older files in order, each file in one transaction, after a backup copy of the
file has been written next to it (callerid.store.database). Append a migration; never edit one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from callerid.outbox import OUTBOX_STATEMENTS
from callerid.store.rows import instants, is_flagged, loads_list, search_digits


def _migrate_1(conn: sqlite3.Connection) -> None:
    """The first layout: every CallerID and Verdict field, and the allow/block lists."""
    conn.execute(
        """CREATE TABLE calls (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            received_at TEXT NOT NULL,
            format TEXT NOT NULL,
            number TEXT,
            name TEXT,
            absence TEXT,
            name_absence TEXT,
            cid_date TEXT,
            cid_time TEXT,
            checksum_ok INTEGER,
            raw BLOB NOT NULL DEFAULT x'',
            extras TEXT NOT NULL DEFAULT '[]',
            v_input TEXT NOT NULL,
            v_number TEXT NOT NULL,
            e164 TEXT,
            display TEXT NOT NULL,
            country TEXT,
            verdict TEXT NOT NULL,
            risk INTEGER NOT NULL,
            action TEXT NOT NULL,
            reasons TEXT NOT NULL DEFAULT '[]',
            actions TEXT NOT NULL DEFAULT '[]',
            reviewed INTEGER NOT NULL DEFAULT 0
        )"""
    )
    conn.execute(
        """CREATE TABLE lists (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL CHECK (kind IN ('allow', 'block')),
            pattern TEXT NOT NULL,
            label TEXT NOT NULL DEFAULT '',
            added_at TEXT NOT NULL,
            UNIQUE (kind, pattern)
        )"""
    )


def _migrate_2(conn: sqlite3.Connection) -> None:
    """For the family website: derived columns the filters need, their indexes, and settings.

    `at_utc` sorts and compares instants; `at_local` is the household's wall-clock time, so a date
    filter means the family's day; `flagged` and `search_digits` make the flagged and number filters
    cheap. Existing rows are back-filled from the columns version 1 already had.
    """
    for column in (
        "at_utc TEXT NOT NULL DEFAULT ''",
        "at_local TEXT NOT NULL DEFAULT ''",
        "flagged INTEGER NOT NULL DEFAULT 0",
        "search_digits TEXT NOT NULL DEFAULT ''",
    ):
        conn.execute(f"ALTER TABLE calls ADD COLUMN {column}")
    rows = conn.execute(
        "SELECT id, received_at, number, v_number, e164, display, action, actions FROM calls"
    ).fetchall()
    for row in rows:
        at_utc, at_local = instants(row[1])
        actions = tuple(loads_list(row[7]))
        conn.execute(
            "UPDATE calls SET at_utc = ?, at_local = ?, flagged = ?, search_digits = ? WHERE id = ?",
            (at_utc, at_local, int(is_flagged(row[6], actions)), search_digits(row[2:6]), row[0]),
        )
    conn.execute("CREATE INDEX calls_at_utc ON calls (at_utc)")
    conn.execute("CREATE INDEX calls_at_local ON calls (at_local)")
    conn.execute("CREATE INDEX calls_flagged ON calls (flagged)")  # rowid follows: newest-first for free
    conn.execute("CREATE INDEX calls_verdict ON calls (verdict)")
    conn.execute("CREATE INDEX calls_e164 ON calls (e164)")
    conn.execute(
        """CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )


def _migrate_3(conn: sqlite3.Connection) -> None:
    """Wave 2: the household's own police numbers (from the website), and the outbox's table.

    `police_numbers` holds the numbers a family adds to warn about (their local station), with the
    same rules as the packaged police CSV. The outbox owns its table (callerid.outbox creates it
    when missing); creating it here too means a file the outbox touched first is still ours.
    """
    conn.execute(
        """CREATE TABLE police_numbers (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            number TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            name_ja TEXT NOT NULL,
            added_at TEXT NOT NULL
        )"""
    )
    for statement in OUTBOX_STATEMENTS:
        conn.execute(statement)


def _migrate_4(conn: sqlite3.Connection) -> None:
    """Issue 18: a call's recording (docs/recording.md). The audio is a FLAC file beside the
    database; this row links it to its call. Deleting the call deletes the row (ON DELETE CASCADE)
    and callerid.recording.storage deletes files whose row is gone."""
    conn.execute(
        """CREATE TABLE recordings (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            call_id INTEGER NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
            file TEXT NOT NULL UNIQUE,
            seconds REAL NOT NULL,
            bytes INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            ended_by TEXT NOT NULL DEFAULT ''
        )"""
    )
    conn.execute("CREATE INDEX recordings_call ON recordings (call_id)")


def _migrate_5(conn: sqlite3.Connection) -> None:
    """Issue 14 (faults): `calls.hang_up_done`, what the modem did with a requested hang-up.

    NULL: none was asked (or the driver never said); 1: it reached the line; 0: it failed or was
    dropped. Old rows stay NULL: nobody knows any more what their modem did.
    """
    conn.execute("ALTER TABLE calls ADD COLUMN hang_up_done INTEGER")


#: Applied in order; migration i takes a file from version i to version i + 1.
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _migrate_1, _migrate_2, _migrate_3, _migrate_4, _migrate_5,
)
SCHEMA_VERSION = len(MIGRATIONS)

#: shared_lists belongs to callerid/fleet/listdb.py, which creates it beside ours.
OUR_TABLES = {
    "calls", "lists", "settings", "sqlite_sequence", "police_numbers", "outbox", "shared_lists", "recordings",
}


__all__ = ["MIGRATIONS", "OUR_TABLES", "SCHEMA_VERSION"]
