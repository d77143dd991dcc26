"""The call log and the family's lists: one SQLite file in WAL mode.

Why these choices:
- WAL lets the website and `callerid log` read while the appliance writes, without either waiting.
- `synchronous=FULL` (the default here) fsyncs the WAL on every commit, so a call that `add_call`
  returned for survives kill -9 *and* the plug being pulled, which happens to a Pi in a living room.
- One connection per thread (SQLite connections must not be shared mid-statement), plus one
  in-process write lock so writers queue instead of sleeping in SQLite's busy handler; other
  processes are handled by `busy_timeout` and `BEGIN IMMEDIATE`.
- `PRAGMA user_version` holds the schema version; `MIGRATIONS` upgrade older files in order, each in
  its own transaction, after a backup copy of the file has been written next to it.
- Every value goes through `?`/`:name` parameters: caller names come from the caller.
"""

from __future__ import annotations

import functools
import json
import os
import re
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from callerid.model import (
    Action,
    Advice,
    CallerID,
    CallRecord,
    ListEntry,
    ListKind,
    Reason,
    Verdict,
    VerdictCode,
)
from callerid.screen.lists import FamilyLists, normalise_pattern
from callerid.screen.numbers import normalise

if TYPE_CHECKING:
    from callerid.screen.lists import FamilyLists

LIST_KINDS = tuple(ListKind)

#: Actions that mean the household was warned or the call was stopped (see `flagged`).
_FLAGGING_ACTIONS = frozenset({Action.WARN_HOUSEHOLD, Action.WARN_CALLER, Action.BLOCK})

#: How long a connection waits for another process's write lock before giving up.
BUSY_TIMEOUT_MS = 10_000

#: SQLite integers are 64-bit: a larger id cannot name a row, a larger limit means "no limit".
_SQLITE_INT_MAX = 2**63 - 1

T = TypeVar("T")


class StoreError(Exception):
    """The database cannot be used: one line that says why and what to do (never a traceback)."""


@dataclass(frozen=True, slots=True)
class CallCounts:
    """Counts for an at-a-glance page: how many calls, how many the household was warned about."""

    calls: int
    flagged: int
    blocked: int
    unreviewed_flagged: int


# --------------------------------------------------------------------------- schema and migrations


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
        at_utc, at_local = _instants(row[1])
        actions = tuple(_loads_list(row[7]))
        conn.execute(
            "UPDATE calls SET at_utc = ?, at_local = ?, flagged = ?, search_digits = ? WHERE id = ?",
            (at_utc, at_local, int(_is_flagged(row[6], actions)), _search_digits(row[2:6]), row[0]),
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


#: Applied in order; migration i takes a file from version i to version i + 1.
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_migrate_1, _migrate_2)
SCHEMA_VERSION = len(MIGRATIONS)

_OUR_TABLES = {"calls", "lists", "settings", "sqlite_sequence"}


# --------------------------------------------------------------------------- value conversion


def _text(value: str | None) -> str | None:
    """A str SQLite can take: lone surrogates (undecodable input) become U+FFFD instead of crashing."""
    if value is None:
        return None
    value = str(value)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in value)
    return value


def _dumps(value: Any) -> str:
    # ensure_ascii keeps the JSON pure ASCII, so even lone surrogates round-trip exactly.
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"))


def _loads_list(text: str | None) -> list[Any]:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def _now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _naive_iso(moment: datetime) -> str:
    # isoformat pads the year to four digits, so these strings sort like the instants they name.
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds")


def _instants(received_at: str | None) -> tuple[str, str]:
    """(UTC instant, household wall-clock time) as sortable strings.

    A time without an offset is taken as this machine's local time; an unparseable one is filed
    under "now" so the call is still logged (received_at itself is kept verbatim).
    """
    try:
        moment = datetime.fromisoformat(str(received_at))
    except (TypeError, ValueError):
        moment = datetime.now().astimezone()
    if moment.tzinfo is None:
        moment = moment.astimezone()
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:  # year 1 with a positive offset and the like
        utc = moment.replace(tzinfo=UTC)
    return _naive_iso(utc), _naive_iso(moment)


def _digits(text: str | None) -> str:
    return "".join(c for c in unicodedata.normalize("NFKC", text or "") if c.isascii() and c.isdigit())


def _search_digits(values: Iterable[str | None]) -> str:
    """Every digit form of the number (as shown, E.164, national) for the number search."""
    seen: list[str] = []
    for value in values:
        digits = _digits(value)
        if digits and digits not in seen:
            seen.append(digits)
    return " ".join(seen)


def _is_flagged(default_action: str, actions: Sequence[str]) -> bool:
    """The household should have been warned or the call was stopped (Verdict.flagged, or what we did)."""
    return default_action in (Advice.WARN, Advice.BLOCK) or bool(_FLAGGING_ACTIONS.intersection(actions))


def _call_row(record: CallRecord) -> dict[str, Any]:
    caller, verdict = record.caller, record.verdict
    actions = tuple(str(a) for a in record.actions)
    at_utc, at_local = _instants(record.received_at)
    return {
        "received_at": _text(record.received_at),
        "format": _text(caller.format),
        "number": _text(caller.number),
        "name": _text(caller.name),
        "absence": _text(caller.absence),
        "name_absence": _text(caller.name_absence),
        "cid_date": _text(caller.date),
        "cid_time": _text(caller.time),
        "checksum_ok": None if caller.checksum_ok is None else int(bool(caller.checksum_ok)),
        "raw": bytes(caller.raw or b""),
        "extras": _dumps([[k, v] for k, v in caller.extras]),
        "v_input": _text(verdict.input),
        "v_number": _text(verdict.number),
        "e164": _text(verdict.e164),
        "display": _text(verdict.display),
        "country": _text(verdict.country),
        "verdict": _text(verdict.verdict),
        "risk": int(verdict.risk),
        "action": _text(verdict.action),
        "reasons": _dumps([[r.code, r.detail, r.detail_ja] for r in verdict.reasons]),
        "actions": _dumps(list(actions)),
        "reviewed": int(bool(record.reviewed)),
        "at_utc": at_utc,
        "at_local": at_local,
        "flagged": int(_is_flagged(verdict.action, actions)),
        "search_digits": _search_digits((caller.number, verdict.number, verdict.e164, verdict.display)),
    }


_CALL_COLUMNS = [
    "received_at", "format", "number", "name", "absence", "name_absence", "cid_date", "cid_time",
    "checksum_ok", "raw", "extras", "v_input", "v_number", "e164", "display", "country", "verdict",
    "risk", "action", "reasons", "actions", "reviewed", "at_utc", "at_local", "flagged", "search_digits",
]
_INSERT_CALL = (
    f"INSERT INTO calls ({', '.join(_CALL_COLUMNS)}) VALUES ({', '.join(':' + c for c in _CALL_COLUMNS)})"
)


def _reason(item: Any) -> Reason:
    if isinstance(item, dict):  # tolerate a hand-edited or future row
        return Reason(str(item.get("code", "")), str(item.get("detail", "")), str(item.get("detail_ja", "")))
    code, detail, detail_ja = (list(item) + ["", "", ""])[:3]
    return Reason(code, detail, detail_ja)


def _record_from_row(row: sqlite3.Row) -> CallRecord:
    caller = CallerID(
        format=row["format"],
        number=row["number"],
        name=row["name"],
        absence=row["absence"],
        name_absence=row["name_absence"],
        date=row["cid_date"],
        time=row["cid_time"],
        checksum_ok=None if row["checksum_ok"] is None else bool(row["checksum_ok"]),
        raw=bytes(row["raw"] or b""),
        extras=tuple((pair[0], pair[1]) for pair in _loads_list(row["extras"]) if len(pair) == 2),
    )
    verdict = Verdict(
        input=row["v_input"],
        number=row["v_number"],
        e164=row["e164"],
        display=row["display"],
        country=row["country"],
        verdict=row["verdict"],
        risk=int(row["risk"]),
        action=row["action"],
        reasons=tuple(_reason(item) for item in _loads_list(row["reasons"])),
    )
    return CallRecord(
        received_at=row["received_at"],
        caller=caller,
        verdict=verdict,
        actions=tuple(_loads_list(row["actions"])),
        reviewed=bool(row["reviewed"]),
        id=int(row["id"]),
    )


def _row_id(call_id: Any) -> int | None:
    """A call id SQLite can look up, or None (not a number, or beyond 64 bits: no such call)."""
    try:
        key = int(call_id)
    except (TypeError, ValueError, OverflowError):
        return None
    return key if -_SQLITE_INT_MAX <= key <= _SQLITE_INT_MAX else None


def _entry_from_row(row: sqlite3.Row) -> ListEntry:
    return ListEntry(
        kind=row["kind"],
        pattern=row["pattern"],
        label=row["label"],
        id=int(row["id"]),
        added_at=row["added_at"],
    )


# --------------------------------------------------------------------------- filters


def _parse_bound(name: str, value: str | date | datetime) -> date | datetime:
    if isinstance(value, date):  # datetime is a date too
        return value
    text = str(value).strip()
    try:
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{name}: not an ISO date or date-time: {text[:40]!r}") from None


def _bound_clause(name: str, value: str | date | datetime, upper: bool) -> tuple[str, str]:
    """SQL for a half-open range: since inclusive, until exclusive (until=tomorrow: all of today).

    A date means midnight on the household's calendar; a date-time with an offset is that instant;
    one without an offset is the household's wall-clock time.
    """
    bound = _parse_bound(name, value)
    op = "<" if upper else ">="
    if not isinstance(bound, datetime):
        return f"at_local {op} ?", f"{bound.isoformat()}T00:00:00.000000"
    if bound.tzinfo is None:
        return f"at_local {op} ?", _naive_iso(bound)
    return f"at_utc {op} ?", _naive_iso(bound.astimezone(UTC))


_NUMBER_SEPARATORS = re.compile(r"[\s\-()+./ー]")


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _number_forms(compact: str, plus: bool, region: str) -> list[str]:
    """The digit forms of a searched number that a call may be stored under.

    `0335814321` must find a call shown as `+81 3-3581-4321` (stored digits `81335814321`) and the
    other way round, so a whole, valid number is also searched by its E.164 and national digits.
    """
    forms = [compact]
    if len(compact) < 5:  # a fragment ("4321"): substring search only
        return forms
    number = normalise(("+" if plus else "") + compact, region)
    if number.valid:
        for form in (number.e164, number.national_digits):
            digits = _digits(form)
            if digits and digits not in forms:
                forms.append(digits)
    return forms


def _search_clause(search: str, region: str = "JP") -> tuple[str, list[str]]:
    """A number-like search matches any digit form of the number; anything else searches the text fields."""
    text = unicodedata.normalize("NFKC", search).strip()
    compact = _NUMBER_SEPARATORS.sub("", text)
    if compact.isascii() and compact.isdigit():
        forms = _number_forms(compact, text.startswith("+"), region)
        clause = " OR ".join("search_digits LIKE ? ESCAPE '\\'" for _ in forms)
        return f"({clause})", [_like(form) for form in forms]
    pattern = _like(text)
    fields = ("name", "number", "display", "v_input")
    return "(" + " OR ".join(f"{f} LIKE ? ESCAPE '\\'" for f in fields) + ")", [pattern] * len(fields)


#: What the family sees happened to a call, for the outcome filter and the history charts:
#: blocked (hung up), warned (the household or the caller was warned), plain (nothing done).
OUTCOMES = ("blocked", "warned", "plain")
_BLOCKED_SQL = f"instr(actions, '\"{Action.BLOCK}\"') > 0"
_OUTCOME_SQL = {
    "blocked": _BLOCKED_SQL,
    "warned": f"(flagged = 1 AND NOT {_BLOCKED_SQL})",
    "plain": "flagged = 0",
}
#: Calls whose number the family put on the block list themselves: they have had their look.
_FAMILY_BLOCKED_SQL = (
    f"(verdict = '{VerdictCode.BLOCKLISTED}' OR EXISTS (SELECT 1 FROM lists"
    f" WHERE lists.kind = '{ListKind.BLOCK}' AND"
    " (lists.pattern = calls.e164 OR (substr(lists.pattern, -1) = '*'"
    " AND calls.e164 LIKE substr(lists.pattern, 1, length(lists.pattern) - 1) || '%'))))"
)
_NEEDS_LOOK_SQL = f"(flagged = 1 AND reviewed = 0 AND NOT {_FAMILY_BLOCKED_SQL})"
_POLICE_VERDICTS = (VerdictCode.POLICE_NUMBER, VerdictCode.POLICE_LOOKALIKE)


@dataclass(frozen=True, slots=True)
class DayCounts:
    """One household calendar day of the history: calls by outcome, and police calls among them."""

    day: date
    blocked: int = 0
    warned: int = 0
    plain: int = 0  # nothing done: an ordinary call
    police: int = 0

    @property
    def total(self) -> int:
        return self.blocked + self.warned + self.plain


@dataclass(frozen=True, slots=True)
class CallerCount:
    """A number that called often: its digits as shown, how often, and the latest verdict."""

    number: str
    e164: str | None
    calls: int
    last_id: int


def _utc_range(start: datetime, end: datetime) -> tuple[str, str]:
    return _naive_iso(start.astimezone(UTC)), _naive_iso(end.astimezone(UTC))


def _offset_modifier(offset: timedelta | None) -> str:
    minutes = int((offset or timedelta()).total_seconds() // 60)
    return f"{minutes:+d} minutes"


def _local_day_sql(zone: tzinfo, start: datetime, end: datetime) -> tuple[str, list[str]]:
    """SQL for the household's calendar date of `at_utc`, exact across daylight-saving changes.

    The zone's UTC offset is probed once a day over the range and, where it changed, hour by hour
    within that day; each offset becomes one CASE branch, so a zone without daylight saving
    (Asia/Tokyo) is a single `date(at_utc, '+540 minutes')`.
    """

    def modifier(moment: datetime) -> str:
        return _offset_modifier(moment.astimezone(zone).utcoffset())

    moment = start.astimezone(UTC) - timedelta(days=1)
    stop = end.astimezone(UTC) + timedelta(days=1)
    segments: list[tuple[datetime, str]] = [(moment, modifier(moment))]
    day = timedelta(days=1)
    while moment < stop:
        following = moment + day
        if modifier(following) != segments[-1][1]:
            change = moment
            while modifier(change) == segments[-1][1]:  # the hour of the change, within this day
                change += timedelta(hours=1)
            segments.append((change, modifier(change)))
        moment = following
    if len(segments) == 1:
        return "date(at_utc, ?)", [segments[0][1]]
    branches, params = [], []
    for (_at, offset), (next_at, _next) in zip(segments, segments[1:], strict=False):
        branches.append("WHEN at_utc < ? THEN date(at_utc, ?)")
        params += [_naive_iso(next_at), offset]
    params.append(segments[-1][1])
    return "CASE " + " ".join(branches) + " ELSE date(at_utc, ?) END", params


def _explain(exc: sqlite3.Error, path: Path) -> str:
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


def _guarded(method: Callable[..., T]) -> Callable[..., T]:
    """Public methods raise StoreError with a clear line, never a bare sqlite3 error."""

    @functools.wraps(method)
    def wrapper(self: Store, *args: Any, **kwargs: Any) -> T:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise StoreError(_explain(exc, self.path)) from exc

    return wrapper


# --------------------------------------------------------------------------- the store


class Store:
    """The call log, the allow/block lists and a few settings, in one SQLite file.

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
        try:
            self._prepare()
        except sqlite3.Error as exc:
            self.close()
            raise StoreError(_explain(exc, self.path)) from exc
        except BaseException:
            self.close()
            raise

    @classmethod
    def open_readonly(cls, path: str | Path, *, region: str = "JP") -> Store:
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
                if "unable to open" not in str(exc).lower() or Path(f"{self.path}-wal").exists():
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

    def __enter__(self) -> Store:
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
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

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
        conn.execute("PRAGMA journal_size_limit = 4194304")  # keep the -wal file small on an SD card
        if version < SCHEMA_VERSION:
            self._migrate(conn, version)

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
        return names - _OUR_TABLES

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
        source = sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        partial.replace(target)

    # -- calls

    @_guarded
    def add_call(self, record: CallRecord) -> int:
        """Log one call; it is durably committed when this returns. `record.id` is ignored."""
        row = _call_row(record)
        with self._write() as conn:
            cursor = conn.execute(_INSERT_CALL, row)
            return int(cursor.lastrowid or 0)

    @_guarded
    def set_actions(self, call_id: int, actions: Sequence[str]) -> bool:
        """Record what was actually done for a call; False if there is no such call."""
        actions = tuple(str(a) for a in actions)
        key = _row_id(call_id)
        if key is None:
            return False
        with self._write() as conn:
            row = conn.execute("SELECT action FROM calls WHERE id = ?", (key,)).fetchone()
            if row is None:
                return False
            conn.execute(
                "UPDATE calls SET actions = ?, flagged = ? WHERE id = ?",
                (_dumps(list(actions)), int(_is_flagged(row["action"], actions)), key),
            )
            return True

    @_guarded
    def get_call(self, call_id: int) -> CallRecord | None:
        key = _row_id(call_id)
        if key is None:
            return None
        row = self._conn().execute("SELECT * FROM calls WHERE id = ?", (key,)).fetchone()
        return None if row is None else _record_from_row(row)

    @_guarded
    def mark_reviewed(self, call_id: int, reviewed: bool = True) -> bool:
        """Set the reviewed flag; False if there is no such call."""
        key = _row_id(call_id)
        if key is None:
            return False
        with self._write() as conn:
            cursor = conn.execute("UPDATE calls SET reviewed = ? WHERE id = ?", (int(bool(reviewed)), key))
            return cursor.rowcount > 0

    @_guarded
    def last_call(self) -> CallRecord | None:
        """The call logged most recently (by insertion, immune to the clock jumping at boot)."""
        row = self._conn().execute("SELECT * FROM calls ORDER BY id DESC LIMIT 1").fetchone()
        return None if row is None else _record_from_row(row)

    def _where(
        self,
        flagged_only: bool,
        since: str | date | datetime | None,
        until: str | date | datetime | None,
        search: str | None,
        reviewed: bool | None,
        verdict: str | None,
        outcome: str | None = None,
        needs_look: bool = False,
    ) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if flagged_only:
            clauses.append("flagged = 1")
        if needs_look:
            clauses.append(_NEEDS_LOOK_SQL)
        if reviewed is not None:
            clauses.append("reviewed = ?")
            params.append(int(bool(reviewed)))
        if verdict:
            clauses.append("verdict = ?")
            params.append(str(verdict))
        if outcome:
            if outcome not in _OUTCOME_SQL:
                raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}, not {str(outcome)[:20]!r}")
            clauses.append(_OUTCOME_SQL[outcome])
        for name, value, upper in (("since", since, False), ("until", until, True)):
            if value is not None and str(value).strip():
                clause, param = _bound_clause(name, value, upper)
                clauses.append(clause)
                params.append(param)
        if search is not None and search.strip():
            clause, search_params = _search_clause(search, self.region)
            clauses.append(clause)
            params.extend(search_params)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    @_guarded
    def calls(
        self,
        *,
        flagged_only: bool = False,
        since: str | date | datetime | None = None,
        until: str | date | datetime | None = None,
        search: str | None = None,
        limit: int | None = 50,
        offset: int = 0,
        reviewed: bool | None = None,
        verdict: str | None = None,
        outcome: str | None = None,
        needs_look: bool = False,
    ) -> list[CallRecord]:
        """Calls matching every filter, newest first (by insertion order).

        since/until: a half-open range, since <= time < until. ISO dates mean midnight of the
        household's calendar day (so since=D, until=D+1 is all of day D); date-times with an offset
        are that instant; without an offset, the household's wall-clock time.
        search: digits (separators and full-width digits allowed) match any form of the number;
        other text matches the name or number as shown. reviewed: True/False to filter on it.
        outcome: one of OUTCOMES. needs_look: flagged, not reviewed, and not a number the family
        blocked themselves. limit None: no limit.
        Raises ValueError for a malformed date or a negative limit/offset.
        """
        if (limit is not None and int(limit) < 0) or int(offset) < 0:
            raise ValueError("limit and offset must not be negative")
        where, params = self._where(
            flagged_only, since, until, search, reviewed, verdict, outcome, needs_look
        )
        sql = f"SELECT * FROM calls{where} ORDER BY id DESC LIMIT ? OFFSET ?"
        params += [
            -1 if limit is None else min(int(limit), _SQLITE_INT_MAX),
            min(int(offset), _SQLITE_INT_MAX),
        ]
        return [_record_from_row(r) for r in self._conn().execute(sql, params)]

    @_guarded
    def count_calls(
        self,
        *,
        flagged_only: bool = False,
        since: str | date | datetime | None = None,
        until: str | date | datetime | None = None,
        search: str | None = None,
        reviewed: bool | None = None,
        verdict: str | None = None,
        outcome: str | None = None,
        needs_look: bool = False,
    ) -> int:
        """How many calls `calls()` would return with the same filters and no limit."""
        where, params = self._where(
            flagged_only, since, until, search, reviewed, verdict, outcome, needs_look
        )
        return int(self._conn().execute(f"SELECT COUNT(*) FROM calls{where}", params).fetchone()[0])

    @_guarded
    def counts(
        self, *, since: str | date | datetime | None = None, until: str | date | datetime | None = None
    ) -> CallCounts:
        """Totals for the at-a-glance page in one query (e.g. since=today's date)."""
        where, params = self._where(False, since, until, None, None, None)
        row = self._conn().execute(
            "SELECT COUNT(*), COALESCE(SUM(flagged), 0),"
            " COALESCE(SUM(EXISTS (SELECT 1 FROM json_each(calls.actions) WHERE value = 'block')), 0),"
            f" COALESCE(SUM(flagged AND NOT reviewed), 0) FROM calls{where}",
            params,
        ).fetchone()
        return CallCounts(int(row[0]), int(row[1]), int(row[2]), int(row[3]))

    @_guarded
    def mark_needs_look_reviewed(self, up_to_id: int | None = None) -> int:
        """Mark every call that needs a look as reviewed ("mark all reviewed"); returns how many.

        `up_to_id` is the newest call the family saw: a call logged after the page was shown is
        left for them to see.
        """
        where, params = self._where(False, None, None, None, None, None, needs_look=True)
        limit = _row_id(up_to_id) if up_to_id is not None else _SQLITE_INT_MAX
        if limit is None:
            return 0
        with self._write() as conn:
            sql = f"UPDATE calls SET reviewed = 1{where} AND id <= ?"
            return conn.execute(sql, [*params, limit]).rowcount

    @_guarded
    def day_counts(self, start: datetime, end: datetime, zone: tzinfo) -> list[DayCounts]:
        """Calls per household calendar day in [start, end), by outcome, with police calls: one query.

        Days without calls are left out; the caller fills the calendar.
        """
        day_sql, day_params = _local_day_sql(zone, start, end)
        police = ", ".join("?" for _ in _POLICE_VERDICTS)
        rows = self._conn().execute(
            f"SELECT {day_sql} AS day,"
            f" SUM({_BLOCKED_SQL}), SUM(flagged = 1 AND NOT {_BLOCKED_SQL}), SUM(flagged = 0),"
            f" SUM(verdict IN ({police}))"
            " FROM calls WHERE at_utc >= ? AND at_utc < ? GROUP BY day ORDER BY day",
            [*day_params, *_POLICE_VERDICTS, *_utc_range(start, end)],
        )
        out = []
        for row in rows:
            with suppress(TypeError, ValueError):
                day = date.fromisoformat(row[0])
                out.append(DayCounts(day, int(row[1]), int(row[2]), int(row[3]), int(row[4])))
        return out

    @_guarded
    def top_callers(self, start: datetime, end: datetime, limit: int = 10) -> list[CallerCount]:
        """The numbers that called most in [start, end) (same E.164 number, however it was shown)."""
        rows = self._conn().execute(
            "SELECT COALESCE(e164, v_number) AS who, MAX(e164), COUNT(*) AS n, MAX(id)"
            " FROM calls WHERE at_utc >= ? AND at_utc < ? AND who != ''"
            " GROUP BY who ORDER BY n DESC, MAX(id) DESC LIMIT ?",
            (*_utc_range(start, end), max(0, int(limit))),
        )
        return [CallerCount(str(r[0]), r[1], int(r[2]), int(r[3])) for r in rows]

    @_guarded
    def prune(self, older_than_days: float, *, now: datetime | None = None) -> int:
        """Delete calls received more than `older_than_days` ago; returns how many went."""
        if not older_than_days or older_than_days < 1:
            raise ValueError("older_than_days must be at least 1")
        moment = now or datetime.now(UTC)
        if moment.tzinfo is None:
            moment = moment.astimezone()
        cutoff = _naive_iso((moment - timedelta(days=older_than_days)).astimezone(UTC))
        with self._write() as conn:
            return conn.execute("DELETE FROM calls WHERE at_utc < ?", (cutoff,)).rowcount

    # -- lists

    @staticmethod
    def _kind(kind: str) -> str:
        if kind not in LIST_KINDS:
            raise ValueError(f"list kind must be 'allow' or 'block', not {str(kind)[:20]!r}")
        return kind

    def normalise_pattern(self, pattern: str) -> str:
        """The stored form of a list pattern (ValueError with a clear message for nonsense)."""
        text = _text(str(pattern)) or ""
        return normalise_pattern(text, self.region)

    @_guarded
    def list_entries(self, kind: str) -> list[ListEntry]:
        rows = self._conn().execute(
            "SELECT * FROM lists WHERE kind = ? ORDER BY pattern, id", (self._kind(kind),)
        )
        return [_entry_from_row(r) for r in rows]

    @_guarded
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
            (kind, pattern, _text(label or ""), _now_utc()),
        )
        row = conn.execute("SELECT * FROM lists WHERE kind = ? AND pattern = ?", (kind, pattern)).fetchone()
        return _entry_from_row(row)

    @_guarded
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

    @_guarded
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
                    "DELETE FROM lists WHERE kind = ? AND pattern = ?", (kind, _text(candidate))
                ).rowcount
            return removed > 0

    def family_lists(self, region: str | None = None) -> FamilyLists:
        """The lists as the screening engine takes them."""
        return FamilyLists(
            allow=self.list_entries(ListKind.ALLOW),
            block=self.list_entries(ListKind.BLOCK),
            region=region or self.region,
        )

    # -- settings

    @_guarded
    def get_setting(self, key: str) -> str | None:
        row = self._conn().execute("SELECT value FROM settings WHERE key = ?", (str(key),)).fetchone()
        return None if row is None else row[0]

    @_guarded
    def set_setting(self, key: str, value: str | None) -> None:
        """Set a setting (a str), or delete it with None."""
        self.set_settings({key: value})

    @_guarded
    def set_settings(self, values: Mapping[str, str | None]) -> None:
        """Set (or, with None, delete) several settings in one transaction: one disk sync, not one each."""
        if any(not key for key in values):
            raise ValueError("setting key must not be empty")
        now = _now_utc()
        with self._write() as conn:
            for key, value in values.items():
                if value is None:
                    conn.execute("DELETE FROM settings WHERE key = ?", (str(key),))
                else:
                    conn.execute(
                        "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)"
                        " ON CONFLICT (key) DO UPDATE"
                        " SET value = excluded.value, updated_at = excluded.updated_at",
                        (str(key), _text(str(value)), now),
                    )

    @_guarded
    def init_setting(self, key: str, value: str) -> str:
        """Store `value` unless the key is already set; return what is stored.

        Atomic across processes, so two processes starting together agree on one secret or setup code.
        """
        if not key:
            raise ValueError("setting key must not be empty")
        with self._write() as conn:
            conn.execute(
                "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING",
                (str(key), _text(str(value)), _now_utc()),
            )
            return conn.execute("SELECT value FROM settings WHERE key = ?", (str(key),)).fetchone()[0]

    # -- status

    @_guarded
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


__all__ = [
    "LIST_KINDS", "MIGRATIONS", "OUTCOMES", "SCHEMA_VERSION",
    "CallCounts", "CallerCount", "DayCounts", "Store", "StoreError",
]
