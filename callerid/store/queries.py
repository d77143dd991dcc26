"""The call-log filters as SQL: date ranges on the household's calendar, number and text search.

Every value is a `?` parameter; only fixed column names are put into the SQL text.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from typing import Any

from callerid.store.rows import naive_iso


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


def search_clause(search: str) -> tuple[str, list[str]]:
    """A number-like search matches any digit form of the number; anything else searches the text fields."""
    text = unicodedata.normalize("NFKC", search).strip()
    compact = NUMBER_SEPARATORS.sub("", text)
    if compact.isascii() and compact.isdigit():
        return "search_digits LIKE ? ESCAPE '\\'", [like(compact)]
    pattern = like(text)
    fields = ("name", "number", "display", "v_input")
    return "(" + " OR ".join(f"{f} LIKE ? ESCAPE '\\'" for f in fields) + ")", [pattern] * len(fields)


def where(
    flagged_only: bool,
    since: str | date | datetime | None,
    until: str | date | datetime | None,
    search: str | None,
    reviewed: bool | None,
    verdict: str | None,
) -> tuple[str, list[Any]]:
    """The WHERE clause (with its leading space, or "") and parameters for the call filters."""
    clauses: list[str] = []
    params: list[Any] = []
    if flagged_only:
        clauses.append("flagged = 1")
    if reviewed is not None:
        clauses.append("reviewed = ?")
        params.append(int(bool(reviewed)))
    if verdict:
        clauses.append("verdict = ?")
        params.append(str(verdict))
    for name, value, upper in (("since", since, False), ("until", until, True)):
        if value is not None and str(value).strip():
            clause, param = bound_clause(name, value, upper)
            clauses.append(clause)
            params.append(param)
    if search is not None and search.strip():
        clause, search_params = search_clause(search)
        clauses.append(clause)
        params.extend(search_params)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


__all__ = ["where"]
