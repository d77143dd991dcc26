"""The database file itself: who may read it, whether this process may write it (issue 14).

Why: the file holds the website's password hash and session key, so a new one is private; a
read-only file opens "read-write" without complaint and would only fail at the first call, so
writability is proved at open; and a reader who may not write the folder still reads the log.
"""

from __future__ import annotations

import grp
import os
import sqlite3
import stat
from pathlib import Path

#: The appliance's group (systemd `Group=`): a new database it owns may be read by that group.
SERVICE_GROUP = "callerid"

#: SQLite primary result codes for "read-only" and "cannot open" (extended codes keep them in the low byte).
_SQLITE_READONLY = 8
_SQLITE_CANTOPEN = 14


def cannot_share_memory(exc: sqlite3.Error) -> bool:
    """A read-only open of a WAL file failed because this user cannot create or write its -shm file.

    SQLite says "unable to open database file" (SQLITE_CANTOPEN) when it cannot create the -shm
    file, and "attempt to write a readonly database" (SQLITE_READONLY_DIRECTORY, _CANTINIT) when
    the folder is read-only to this user: both mean "read the file without shared memory".
    """
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:  # an exception raised by us, not by SQLite
        return False
    return code & 0xFF in (_SQLITE_CANTOPEN, _SQLITE_READONLY)


def private_mode(gid: int) -> int:
    """0600 for a new database file, or 0640 when it belongs to the appliance's group.

    Under systemd (`Group=callerid`, `StateDirectoryMode=0750`) family accounts in that group may
    read the log with `callerid log`; anywhere else only the owner may.
    """
    try:
        group = grp.getgrgid(gid).gr_name
    except KeyError:
        return 0o600
    return 0o640 if group == SERVICE_GROUP else 0o600


def create_private(path: Path, like: Path | None = None) -> None:
    """Create an empty file for SQLite with the mode it should keep (SQLite gives -wal and -shm the same).

    SQLite would create it 0644 (less the umask). `like`: copy that file's permission bits instead.
    An existing file is left as it is: its mode is its owner's choice.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    try:
        mode = stat.S_IMODE(like.stat().st_mode) if like is not None else private_mode(os.fstat(fd).st_gid)
        os.fchmod(fd, mode)
    finally:
        os.close(fd)


def check_writable(conn: sqlite3.Connection) -> None:
    """Prove that a write will work: a read-only file opens "read-write" without complaint and would
    only fail at the first call. The change is rolled back, so nothing reaches the disk."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        conn.execute(f"PRAGMA user_version = {version}")
    finally:
        conn.execute("ROLLBACK")


__all__ = ["SERVICE_GROUP", "cannot_share_memory", "check_writable", "create_private", "private_mode"]
