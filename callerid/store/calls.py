"""The call log: add, read, filter, count, review and prune calls."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from callerid.model import CallRecord
from callerid.store import queries
from callerid.store.database import Database, guarded
from callerid.store.rows import (
    INSERT_CALL,
    SQLITE_INT_MAX,
    call_row,
    dumps,
    is_flagged,
    naive_iso,
    record_from_row,
    row_id,
)


@dataclass(frozen=True, slots=True)
class CallCounts:
    """Counts for an at-a-glance page: how many calls, how many the household was warned about."""

    calls: int
    flagged: int
    blocked: int
    unreviewed_flagged: int


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
    """A number that called often: its E.164 form (else as shown), how often, and its newest call."""

    number: str
    e164: str | None
    calls: int
    last_id: int


class CallLog(Database):
    """The `calls` table."""

    @guarded
    def add_call(self, record: CallRecord) -> int:
        """Log one call; it is durably committed when this returns. `record.id` is ignored."""
        row = call_row(record)
        with self._write() as conn:
            cursor = conn.execute(INSERT_CALL, row)
            call_id = int(cursor.lastrowid or 0)
        self.keep_reserve()
        return call_id

    @guarded
    def set_actions(self, call_id: int, actions: Sequence[str]) -> bool:
        """Record what was actually done for a call; False if there is no such call."""
        return self._update_actions(call_id, actions, hang_up_done=None)

    @guarded
    def record_hang_up(self, call_id: int, done: bool, actions: Sequence[str]) -> bool:
        """What the modem did with the call's hang-up, and the actions that leaves; False if no such call."""
        return self._update_actions(call_id, actions, hang_up_done=done)

    def _update_actions(self, call_id: int, actions: Sequence[str], *, hang_up_done: bool | None) -> bool:
        actions = tuple(str(a) for a in actions)
        key = row_id(call_id)
        if key is None:
            return False
        with self._write() as conn:
            row = conn.execute("SELECT action FROM calls WHERE id = ?", (key,)).fetchone()
            if row is None:
                return False
            # hang_up_done None leaves the column as it was (COALESCE keeps the stored value).
            conn.execute(
                "UPDATE calls SET actions = ?, flagged = ?, hang_up_done = COALESCE(?, hang_up_done) "
                "WHERE id = ?",
                (dumps(list(actions)), int(is_flagged(row["action"], actions)),
                 None if hang_up_done is None else int(bool(hang_up_done)), key),
            )
            return True

    @guarded
    def get_call(self, call_id: int) -> CallRecord | None:
        key = row_id(call_id)
        if key is None:
            return None
        row = self._conn().execute("SELECT * FROM calls WHERE id = ?", (key,)).fetchone()
        return None if row is None else record_from_row(row)

    @guarded
    def mark_reviewed(self, call_id: int, reviewed: bool = True) -> bool:
        """Set the reviewed flag; False if there is no such call."""
        key = row_id(call_id)
        if key is None:
            return False
        with self._write() as conn:
            cursor = conn.execute("UPDATE calls SET reviewed = ? WHERE id = ?", (int(bool(reviewed)), key))
            return cursor.rowcount > 0

    @guarded
    def last_call(self) -> CallRecord | None:
        """The call logged most recently (by insertion, immune to the clock jumping at boot)."""
        row = self._conn().execute("SELECT * FROM calls ORDER BY id DESC LIMIT 1").fetchone()
        return None if row is None else record_from_row(row)

    @guarded
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
        outcome: one of queries.OUTCOMES. needs_look: flagged, not reviewed, and not a number the
        family blocked themselves. limit None: no limit.
        Raises ValueError for a malformed date or a negative limit/offset.
        """
        if (limit is not None and int(limit) < 0) or int(offset) < 0:
            raise ValueError("limit and offset must not be negative")
        where, params = queries.where(
            flagged_only, since, until, search, reviewed, verdict, outcome, needs_look, self.region
        )
        sql = f"SELECT * FROM calls{where} ORDER BY id DESC LIMIT ? OFFSET ?"
        params += [
            -1 if limit is None else min(int(limit), SQLITE_INT_MAX),
            min(int(offset), SQLITE_INT_MAX),
        ]
        return [record_from_row(r) for r in self._conn().execute(sql, params)]

    @guarded
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
        where, params = queries.where(
            flagged_only, since, until, search, reviewed, verdict, outcome, needs_look, self.region
        )
        return int(self._conn().execute(f"SELECT COUNT(*) FROM calls{where}", params).fetchone()[0])

    @guarded
    def counts(
        self, *, since: str | date | datetime | None = None, until: str | date | datetime | None = None
    ) -> CallCounts:
        """Totals for the at-a-glance page in one query (e.g. since=today's date)."""
        where, params = queries.where(False, since, until, None, None, None)
        row = self._conn().execute(
            "SELECT COUNT(*), COALESCE(SUM(flagged), 0),"
            " COALESCE(SUM(EXISTS (SELECT 1 FROM json_each(calls.actions) WHERE value = 'block')), 0),"
            f" COALESCE(SUM(flagged AND NOT reviewed), 0) FROM calls{where}",
            params,
        ).fetchone()
        return CallCounts(int(row[0]), int(row[1]), int(row[2]), int(row[3]))

    @guarded
    def mark_needs_look_reviewed(self, up_to_id: int | None = None) -> int:
        """Mark every call that needs a look as reviewed ("mark all reviewed"); returns how many.

        `up_to_id` is the newest call the family saw: a call logged after the page was shown is
        left for them to see.
        """
        where, params = queries.where(False, None, None, None, None, None, needs_look=True)
        limit = row_id(up_to_id) if up_to_id is not None else SQLITE_INT_MAX
        if limit is None:
            return 0
        with self._write() as conn:
            sql = f"UPDATE calls SET reviewed = 1{where} AND id <= ?"
            return conn.execute(sql, [*params, limit]).rowcount

    @guarded
    def day_counts(self, start: datetime, end: datetime, zone: tzinfo) -> list[DayCounts]:
        """Calls per household calendar day in [start, end), by outcome, with police calls: one query.

        Days without calls are left out; the caller fills the calendar.
        """
        day_sql, day_params = queries.local_day_sql(zone, start, end)
        police = ", ".join("?" for _ in queries.POLICE_VERDICTS)
        blocked = queries.BLOCKED_SQL
        rows = self._conn().execute(
            f"SELECT {day_sql} AS day,"
            f" SUM({blocked}), SUM(flagged = 1 AND NOT {blocked}), SUM(flagged = 0),"
            f" SUM(verdict IN ({police}))"
            " FROM calls WHERE at_utc >= ? AND at_utc < ? GROUP BY day ORDER BY day",
            [*day_params, *queries.POLICE_VERDICTS, *queries.utc_range(start, end)],
        )
        out = []
        for row in rows:
            with suppress(TypeError, ValueError):
                day = date.fromisoformat(row[0])
                out.append(DayCounts(day, int(row[1]), int(row[2]), int(row[3]), int(row[4])))
        return out

    @guarded
    def top_callers(self, start: datetime, end: datetime, limit: int = 10) -> list[CallerCount]:
        """The numbers that called most in [start, end) (same E.164 number, however it was shown)."""
        rows = self._conn().execute(
            "SELECT COALESCE(e164, v_number) AS who, MAX(e164), COUNT(*) AS n, MAX(id)"
            " FROM calls WHERE at_utc >= ? AND at_utc < ? AND who != ''"
            " GROUP BY who ORDER BY n DESC, MAX(id) DESC LIMIT ?",
            (*queries.utc_range(start, end), max(0, int(limit))),
        )
        return [CallerCount(str(r[0]), r[1], int(r[2]), int(r[3])) for r in rows]

    @guarded
    def prune(self, older_than_days: float, *, now: datetime | None = None) -> int:
        """Delete calls received more than `older_than_days` ago; returns how many went."""
        if not older_than_days or older_than_days < 1:
            raise ValueError("older_than_days must be at least 1")
        moment = now or datetime.now(UTC)
        if moment.tzinfo is None:
            moment = moment.astimezone()
        cutoff = naive_iso((moment - timedelta(days=older_than_days)).astimezone(UTC))
        with self._write() as conn:
            return conn.execute("DELETE FROM calls WHERE at_utc < ?", (cutoff,)).rowcount


__all__ = ["CallCounts", "CallLog", "CallerCount", "DayCounts"]
