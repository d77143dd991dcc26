"""Reading call-log filters from a query string, for the /calls page and /api/calls alike.

Every value comes from the visitor, so each is checked and bounded here; the Store
then uses them only as SQL parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from callerid.store import OUTCOMES
from callerid.web.present import SEVERITY, clean_text

#: Verdict codes the filter offers, most serious first (DESIGN.md's order).
VERDICTS = tuple(SEVERITY)

MAX_SEARCH = 64
_TRUE = frozenset({"1", "on", "true", "yes"})


@dataclass(frozen=True)
class CallFilters:
    flagged_only: bool = False
    since: date | None = None
    until: date | None = None  # inclusive: the whole of this day
    search: str = ""
    reviewed: bool | None = None
    verdict: str = ""
    outcome: str = ""
    bad_dates: tuple[str, ...] = field(default=())

    def store_kwargs(self, zone: tzinfo | None = None) -> dict[str, Any]:
        """Arguments for `Store.calls` / `Store.count_calls`; `until` becomes the start of the next day.

        With the household's `zone`, a date means that day on the household's clock (an instant in
        UTC), whatever zone the call was logged in.
        """

        def bound(day: date | None) -> str | datetime | None:
            if day is None:
                return None
            if zone is None or not date.min < day < date.max:  # the calendar's edge: no UTC instant
                return day.isoformat()
            return datetime.combine(day, time(), zone)

        after = _day_after(self.until)
        return {
            "flagged_only": self.flagged_only,
            "since": bound(self.since),
            "until": bound(date.fromisoformat(after)) if after else None,
            "search": self.search or None,
            "reviewed": self.reviewed,
            "verdict": self.verdict or None,
            "outcome": self.outcome or None,
        }

    def query(self) -> dict[str, str]:
        """The filters as query-string values, for links to other pages of the same list."""
        values: dict[str, str] = {}
        if self.flagged_only:
            values["flagged"] = "1"
        if self.since:
            values["since"] = self.since.isoformat()
        if self.until:
            values["until"] = self.until.isoformat()
        if self.search:
            values["q"] = self.search
        if self.reviewed is not None:
            values["reviewed"] = "1" if self.reviewed else "0"
        if self.verdict:
            values["verdict"] = self.verdict
        if self.outcome:
            values["outcome"] = self.outcome
        return values


def _day_after(day: date | None) -> str | None:
    """The exclusive upper bound for an inclusive `until`; the calendar's last day has no day after it."""
    if day is None or day == date.max:
        return None
    return (day + timedelta(days=1)).isoformat()


def _date(value: str, bad: list[str]) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        if len(value) <= 32:
            return date.fromisoformat(value)
    except ValueError:
        pass
    bad.append(clean_text(value)[:32])
    return None


def parse_filters(args: Mapping[str, str]) -> CallFilters:
    """Filters from `flagged`, `since`, `until` (YYYY-MM-DD), `q`, `reviewed` (0/1), `verdict`
    (a verdict code) and `outcome` (blocked, warned, ordinary).

    Bad dates are reported in `bad_dates` and otherwise ignored, never fatal; an unknown verdict
    or outcome is ignored.
    """
    bad: list[str] = []
    since = _date(args.get("since", ""), bad)
    until = _date(args.get("until", ""), bad)
    search = clean_text(args.get("q", "")).strip()[:MAX_SEARCH]
    verdict, outcome = args.get("verdict", ""), args.get("outcome", "")
    return CallFilters(
        flagged_only=args.get("flagged", "").lower() in _TRUE,
        since=since,
        until=until,
        search=search,
        reviewed={"1": True, "0": False}.get(args.get("reviewed", "")),
        verdict=verdict if verdict in VERDICTS else "",
        outcome=outcome if outcome in OUTCOMES else "",
        bad_dates=tuple(bad),
    )


def bounded_int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        number = int(value) if value is not None and len(value) <= 12 else default
    except ValueError:
        number = default
    return min(max(number, low), high)
