"""The call-log filters as SQL: date ranges on the household's calendar, number and text search.

Every value is a `?` parameter; only fixed column names are put into the SQL text.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from callerid.model import Action, ListKind, VerdictCode
from callerid.screen.numbers import normalise
from callerid.store.rows import digits_of, naive_iso


def parse_bound(name: str, value: str | date | datetime) -> date | datetime:
    if isinstance(value, date):  # datetime is a date too
        return value
    text = str(value).strip()
    try:
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{name}: not an ISO date or date-time: {text[:40]!r}") from None


def bound_clause(name: str, value: str | date | datetime, upper: bool) -> tuple[str, str]:
    """SQL for a half-open range: since inclusive, until exclusive (until=tomorrow: all of today).

    A date means midnight on the household's calendar; a date-time with an offset is that instant;
    one without an offset is the household's wall-clock time.
    """
    bound = parse_bound(name, value)
    op = "<" if upper else ">="
    if not isinstance(bound, datetime):
        return f"at_local {op} ?", f"{bound.isoformat()}T00:00:00.000000"
    if bound.tzinfo is None:
        return f"at_local {op} ?", naive_iso(bound)
    return f"at_utc {op} ?", naive_iso(bound.astimezone(UTC))


NUMBER_SEPARATORS = re.compile(r"[\s\-()+./ー]")


def like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def number_forms(compact: str, plus: bool, region: str) -> list[str]:
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
            digits = digits_of(form)
            if digits and digits not in forms:
                forms.append(digits)
    return forms


def search_clause(search: str, region: str = "JP") -> tuple[str, list[str]]:
    """A number-like search matches any digit form of the number; anything else searches the text fields."""
    text = unicodedata.normalize("NFKC", search).strip()
    compact = NUMBER_SEPARATORS.sub("", text)
    if compact.isascii() and compact.isdigit():
        forms = number_forms(compact, text.startswith("+"), region)
        clause = " OR ".join("search_digits LIKE ? ESCAPE '\\'" for _ in forms)
        return f"({clause})", [like(form) for form in forms]
    pattern = like(text)
    fields = ("name", "number", "display", "v_input")
    return "(" + " OR ".join(f"{f} LIKE ? ESCAPE '\\'" for f in fields) + ")", [pattern] * len(fields)


#: What the family sees happened to a call, for the outcome filter and the history charts:
#: blocked (hung up), warned (the household or the caller was warned), plain (nothing done).
OUTCOMES = ("blocked", "warned", "plain")
BLOCKED_SQL = f"instr(actions, '\"{Action.BLOCK}\"') > 0"
_OUTCOME_SQL = {
    "blocked": BLOCKED_SQL,
    "warned": f"(flagged = 1 AND NOT {BLOCKED_SQL})",
    "plain": "flagged = 0",
}
#: Calls whose number the family put on the block list themselves: they have had their look.
_FAMILY_BLOCKED_SQL = (
    f"(verdict = '{VerdictCode.BLOCKLISTED}' OR EXISTS (SELECT 1 FROM lists"
    f" WHERE lists.kind = '{ListKind.BLOCK}' AND"
    " (lists.pattern = calls.e164 OR (substr(lists.pattern, -1) = '*'"
    " AND calls.e164 LIKE substr(lists.pattern, 1, length(lists.pattern) - 1) || '%'))))"
)
NEEDS_LOOK_SQL = f"(flagged = 1 AND reviewed = 0 AND NOT {_FAMILY_BLOCKED_SQL})"
POLICE_VERDICTS = (VerdictCode.POLICE_NUMBER, VerdictCode.POLICE_LOOKALIKE)


def utc_range(start: datetime, end: datetime) -> tuple[str, str]:
    return naive_iso(start.astimezone(UTC)), naive_iso(end.astimezone(UTC))


def _offset_modifier(offset: timedelta | None) -> str:
    minutes = int((offset or timedelta()).total_seconds() // 60)
    return f"{minutes:+d} minutes"


def local_day_sql(zone: tzinfo, start: datetime, end: datetime) -> tuple[str, list[str]]:
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
        params += [naive_iso(next_at), offset]
    params.append(segments[-1][1])
    return "CASE " + " ".join(branches) + " ELSE date(at_utc, ?) END", params


def where(
    flagged_only: bool,
    since: str | date | datetime | None,
    until: str | date | datetime | None,
    search: str | None,
    reviewed: bool | None,
    verdict: str | None,
    outcome: str | None = None,
    needs_look: bool = False,
    region: str = "JP",
) -> tuple[str, list[Any]]:
    """The WHERE clause (with its leading space, or "") and parameters for the call filters."""
    clauses: list[str] = []
    params: list[Any] = []
    if flagged_only:
        clauses.append("flagged = 1")
    if needs_look:
        clauses.append(NEEDS_LOOK_SQL)
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
            clause, param = bound_clause(name, value, upper)
            clauses.append(clause)
            params.append(param)
    if search is not None and search.strip():
        clause, search_params = search_clause(search, region)
        clauses.append(clause)
        params.extend(search_params)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


__all__ = ["OUTCOMES", "local_day_sql", "search_clause", "where"]
