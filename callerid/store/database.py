"""The SQLite file under the call log: connections, transactions, checks, upgrades, clear errors.

Why these choices:
- WAL lets the website and `callerid log` read while the appliance writes, without either waiting.
- `synchronous=FULL` (the default here) fsyncs the WAL on every commit, so a call that `add_call`
  returned for survives kill -9 *and* the plug being pulled, which happens to a Pi in a living room.
- One connection per thread (SQLite connections must not be shared mid-statement), plus one
  in-process write lock so writers queue instead of sleeping in SQLite's busy handler; other
  processes are handled by `busy_timeout` and `BEGIN IMMEDIATE`.
- Before a migration (callerid.store.schema) a backup copy of the file is written next to it.
- Every value goes through `?`/`:name` parameters: caller names come from the caller.
- A full disk must not cost a call: the write-ahead log is checkpointed every few pages and kept at
  most `WAL_LIMIT_BYTES` (by default SQLite lets it reach 4 MB before it checkpoints, which on a
  nearly full disk is exactly the space that was left); a write that finds the disk full truncates
  the WAL and, if that is not enough, gives up a reserve file kept next to the log
  (`<db>-reserve`, `RESERVE_BYTES`) and tries once more. The reserve comes back when the disk has
  room again. Reserve space rather than a spool elsewhere: a spool on the same full disk fails the
  same way, and one on a RAM disk is not durable.
"""

from __future__ import annotations

import errno
import functools
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Self, TypeVar

from callerid.store import files
from callerid.store.schema import MIGRATIONS, OUR_TABLES, SCHEMA_VERSION

#: How long a connection waits for another process's write lock before giving up.
BUSY_TIMEOUT_MS = 10_000
#: Page cache per connection (SQLite's default is 2,000 KiB): every thread that touches the log
#: has a connection, and their caches filled as the log grew (the soak's first 3,000 calls).
PAGE_CACHE_KIB = 512
#: Pages in the WAL after which a commit checkpoints it (passively: it never waits for readers):
#: every commit, so the WAL never holds more than one transaction and its file (kept up to
#: WAL_LIMIT_BYTES) is reused in place instead of asking a nearly full disk for new space.
WAL_AUTOCHECKPOINT_PAGES = 1
#: The WAL file is truncated to this size whenever it is reset after a checkpoint.
WAL_LIMIT_BYTES = 64 * 1024
#: Space kept in `<db>-reserve` and given up when the disk fills, so held calls can be written.
RESERVE_BYTES = 64 * 1024

log = logging.getLogger("callerid.store")

T = TypeVar("T")


class StoreError(Exception):
    """The database cannot be used: one line that says why and what to do (never a traceback)."""


def explain(exc: sqlite3.Error, path: Path) -> str:
    """Turn SQLite's terse errors into one line a user can act on."""
    message = str(exc)
    lowered = message.lower()
    folder = path.parent
    if "not a database" in lowered or "file is encrypted" in lowered:
        return f"{path} is not an SQLite database (is --db pointing at the wrong file?)"
    if "readonly" in lowered or "read-only" in lowered:
        return f"cannot write to {path}: the file or its folder is read-only (fix permissions or use --db)"
    if "unable to open" in lowered:
        if not folder.exists():
            return f"cannot open {path}: the folder {folder} does not exist"
        if not os.access(folder, os.W_OK):
            return (
                f"cannot open {path}: the folder {folder} is not writable "
                "(SQLite needs to create its -wal and -shm files there; fix permissions or use --db)"
            )
        return f"cannot open {path} (check the path and its permissions)"
    if "locked" in lowered or "busy" in lowered:
        return f"{path} is busy: another process kept it locked for too long; try again"
    if "malformed" in lowered or "corrupt" in lowered:
        return f"{path} is damaged ({message}); restore a backup (e.g. {path.name}.v*.bak) or move it aside"
    if "disk" in lowered and "full" in lowered:
        return f"cannot write to {path}: the disk is full"
    return f"{path}: {message}"


def disk_full(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.Error) and "full" in str(exc).lower()


def guarded(method: Callable[..., T]) -> Callable[..., T]:
    """Public methods raise StoreError with a clear line, never a bare sqlite3 error; a write that
    found the disk full is tried once more after the store made room (Database._make_room)."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> T:
        try:
            try:
                return method(self, *args, **kwargs)
            except sqlite3.Error as exc:
                if not disk_full(exc) or not self._make_room():
                    raise
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise StoreError(explain(exc, self.path)) from exc

    return wrapper


class Database:
    """One SQLite file in WAL mode: per-thread connections, write transactions, checks and upgrades.

    Safe to share between threads (each thread gets its own connection) and between processes
    (WAL). `readonly=True` opens an existing file without creating, migrating or writing anything
    (what `callerid log` uses, so it works for a user who may only read the file). `durable=False`
    trades power-loss safety of the last commits for speed (`synchronous=NORMAL`); kill -9 still
    loses nothing.
    """

    def __init__(
        self, path: str | Path, *, region: str = "JP", readonly: bool = False, durable: bool = True
    ) -> None:
        if str(path) in ("", ":memory:") or str(path).startswith("file:"):
            raise ValueError("Store needs a file path (every thread and process must see the same file)")
        self.path = Path(path).expanduser().absolute()
        self.region = region
        self.readonly = readonly
        self.durable = durable
        self._local = threading.local()
        self._connections: dict[int, tuple[threading.Thread, sqlite3.Connection]] = {}
        self._connections_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._closed = False
        self._immutable = False
        self.reserve_path = Path(f"{self.path}-reserve")
        try:
            self._prepare()
        except sqlite3.Error as exc:
            self.close()
            raise StoreError(explain(exc, self.path)) from exc
        except BaseException:
            self.close()
            raise

    @classmethod
    def open_readonly(cls, path: str | Path, *, region: str = "JP") -> Self:
        """An existing log, read-only (StoreError if it does not exist yet)."""
        return cls(path, region=region, readonly=True)

    # -- connections

    def _open(self, query: str) -> sqlite3.Connection:
        conn = sqlite3.connect(
            f"{self.path.as_uri()}?{query}",
            uri=True,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,  # we issue BEGIN IMMEDIATE / COMMIT ourselves
            check_same_thread=False,  # only so close() may close other threads' connections
        )
        try:
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute(f"PRAGMA synchronous = {'FULL' if self.durable else 'NORMAL'}")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KIB}")
            if not self.readonly:
                conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES}")
            conn.execute("PRAGMA user_version").fetchone()  # opens the file now, so errors surface here
        except BaseException:
            conn.close()
            raise
        return conn

    def _connect(self) -> sqlite3.Connection:
        if not self.readonly:
            return self._open("mode=rwc")
        if not self._immutable:
            try:
                return self._open("mode=ro")
            except sqlite3.OperationalError as exc:
                # A WAL file needs a -shm file; a user who may only read the folder cannot create one.
                # With no -wal file there is no writer and nothing uncheckpointed, so reading the
                # main file as immutable is exact.
                if not files.cannot_share_memory(exc) or Path(f"{self.path}-wal").exists():
                    raise
                self._immutable = True
        return self._open("mode=ro&immutable=1")

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if self._closed:
            raise StoreError(f"{self.path}: the store has been closed")
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            current = threading.current_thread()
            with self._connections_lock:
                for ident, (thread, old) in list(self._connections.items()):
                    if not thread.is_alive() or ident == current.ident:
                        old.close()  # a finished thread's connection: nobody can use it any more
                        del self._connections[ident]
                self._connections[threading.get_ident()] = (current, conn)
        return conn

    def close(self) -> None:
        """Close every thread's connection. Later calls raise StoreError."""
        self._closed = True
        with self._connections_lock:
            for _thread, conn in self._connections.values():
                with suppress(sqlite3.Error):
                    conn.close()
            self._connections.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: in-process writers queue on a lock, other processes on busy_timeout."""
        if self.readonly:
            raise StoreError(f"{self.path} is open read-only")
        conn = self._conn()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                with suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise
            try:
                conn.execute("COMMIT")
            except sqlite3.Error:  # e.g. the disk filled: never leave the transaction open
                with suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise

    # -- room on a full disk

    def _make_room(self) -> bool:
        """The disk is full: truncate the WAL, give up the reserve if needed. True: try again."""
        if self.readonly or self._closed:
            return False
        if self._checkpoint():
            return True
        if self.reserve_path.exists():
            with suppress(OSError):
                self.reserve_path.unlink()
                log.warning("the disk under %s is full: gave up its %d KB reserve so calls can still be "
                            "written; free some space", self.path, RESERVE_BYTES // 1024)
            self._checkpoint()
            return True
        return False

    def _checkpoint(self) -> bool:
        """Copy the WAL into the file and truncate it; True when the WAL is now empty."""
        try:
            busy, _, _ = self._conn().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.Error:
            return False
        return not busy and self._wal_size() == 0

    def _wal_size(self) -> int:
        try:
            return os.path.getsize(f"{self.path}-wal")
        except OSError:
            return 0

    def keep_reserve(self) -> None:
        """Put the reserve back once the disk has room for it and a margin (cheap: one statvfs)."""
        if self.readonly or self.reserve_path.exists():
            return
        try:
            st = os.statvfs(self.path.parent)
            if st.f_bavail * st.f_frsize < 3 * RESERVE_BYTES:
                return
            partial = self.reserve_path.with_name(self.reserve_path.name + ".part")
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.posix_fallocate(fd, 0, RESERVE_BYTES)
            finally:
                os.close(fd)
            partial.replace(self.reserve_path)
        except OSError:
            with suppress(OSError):
                self.reserve_path.with_name(self.reserve_path.name + ".part").unlink()

    # -- opening, checking and upgrading the file

    def _prepare(self) -> None:
        if self.path.is_dir():
            raise StoreError(
                f"{self.path} is a folder; give the database file, e.g. {self.path / 'calls.db'}"
            )
        if self.readonly:
            if not self.path.exists():
                raise StoreError(
                    f"no call log at {self.path} yet (the appliance creates it on the first call)"
                )
        else:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the folder {self.path.parent}: {exc.strerror}") from None
            self._create_file()
        conn = self._conn()
        version = conn.execute("PRAGMA user_version").fetchone()[0]  # also proves it is SQLite
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema version {version}, newer than this callerid knows "
                f"({SCHEMA_VERSION}); upgrade callerid"
            )
        if version == 0:
            foreign = self._foreign_tables(conn)
            if foreign:
                raise StoreError(
                    f"{self.path} is an SQLite database but not a callerid call log "
                    f"(it has table {sorted(foreign)[0]!r})"
                )
        if self.readonly:
            if version < SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} has schema version {version}, older than this callerid's {SCHEMA_VERSION}; "
                    "open it read-write once (e.g. start the appliance) to upgrade it"
                )
            return
        mode = self._enable_wal(conn)
        if mode != "wal":
            raise StoreError(
                f"{self.path}: SQLite refused WAL mode (journal_mode={mode}); is it on a network share?"
            )
        conn.execute(f"PRAGMA journal_size_limit = {WAL_LIMIT_BYTES}")  # see the module docstring
        if version < SCHEMA_VERSION:
            self._migrate(conn, version)
            self._checkpoint()
        with self._write_lock:
            files.check_writable(conn)  # a read-only file is refused now, not at the first call
        self.keep_reserve()

    def _create_file(self) -> None:
        """A new database file is private from the start (files.create_private says who may read it)."""
        try:
            files.create_private(self.path)
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
                raise StoreError(
                    f"cannot create {self.path}: the folder {self.path.parent} is not writable "
                    "(fix permissions or use --db)"
                ) from None
            raise StoreError(f"cannot create {self.path}: {exc.strerror}") from None

    @staticmethod
    def _enable_wal(conn: sqlite3.Connection) -> str:
        """Switch the file to WAL. SQLite answers "locked" at once (no busy handler) when another
        connection is opening the same new file, as the appliance and the website do at boot: retry."""
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                return str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]).lower()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc).lower() or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    @staticmethod
    def _foreign_tables(conn: sqlite3.Connection) -> set[str]:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return names - OUR_TABLES

    def _migrate(self, conn: sqlite3.Connection, found: int) -> None:
        """Back up, then apply every missing migration in order, all in one transaction.

        Under the write lock the version is read again: another process may have upgraded the file
        while we waited. One transaction means a file is either fully upgraded or untouched.
        """
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                current = conn.execute("PRAGMA user_version").fetchone()[0]
                if 0 < current < SCHEMA_VERSION:
                    self._backup(current)
                for target in range(current + 1, SCHEMA_VERSION + 1):
                    MIGRATIONS[target - 1](conn)
                    conn.execute(f"PRAGMA user_version = {int(target)}")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _backup(self, version: int) -> None:
        """Copy the file aside before changing its layout: an upgrade must never cost the family its log.

        Called while this connection holds the write lock but has written nothing, so a second,
        read-only connection copies exactly the old committed state.
        """
        target = self.path.with_name(f"{self.path.name}.v{version}.bak")
        if target.exists():
            return
        partial = target.with_name(f"{target.name}.{os.getpid()}.part")
        files.create_private(partial, like=self.path)  # the copy holds the same secrets as the file
        source = sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        partial.replace(target)

    # -- status

    @guarded
    def info(self) -> dict[str, Any]:
        """Facts for a status page: where the file is, how big, which schema, how many calls."""
        conn = self._conn()
        size = sum(p.stat().st_size for p in (self.path, Path(f"{self.path}-wal")) if p.exists())
        return {
            "path": str(self.path),
            "bytes": size,
            "schema_version": conn.execute("PRAGMA user_version").fetchone()[0],
            "journal_mode": conn.execute("PRAGMA journal_mode").fetchone()[0],
            "calls": conn.execute("SELECT COUNT(*) FROM calls").fetchone()[0],
            "sqlite_version": sqlite3.sqlite_version,
        }


__all__ = ["BUSY_TIMEOUT_MS", "Database", "StoreError", "guarded"]
