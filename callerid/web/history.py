"""The /history page's numbers and pictures: calls per day and per week, police calls, top callers.

The charts are SVG drawn on the server (no JavaScript; the CSP stays `script-src 'none'`), as
plain shapes whose colours come from the stylesheet's classes (inline styles would break the
CSP). Every chart has its numbers in a table for screen readers beside it. All counting is one
Store query over a year of calls, grouped by the household's calendar day in SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from callerid.store import CallerCount, DayCounts, Store

DAYS = 30
WEEKS = 52
MONTHS = 12
SERIES = ("blocked", "warned", "plain")  # bottom to top: the serious part of a bar is its base

#: Chart geometry in SVG user units; the viewBox scales to the page width (about 1:1 on a phone).
WIDTH, HEIGHT = 360, 170
LEFT, RIGHT, TOP, BOTTOM = 26, 4, 8, 22


@dataclass(frozen=True)
class Period:
    """One bar: its first day, a short axis label, the table label, and its counts."""

    start: date
    axis: str
    label: str
    blocked: int = 0
    warned: int = 0
    plain: int = 0  # nothing done: an ordinary call
    police: int = 0

    @property
    def total(self) -> int:
        return self.blocked + self.warned + self.plain


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


@dataclass(frozen=True)
class Chart:
    """Shapes ready for the template: bars (stacked rects), axis labels and the scale line."""

    bars: list[Rect] = field(default_factory=list)
    ticks: list[tuple[float, str]] = field(default_factory=list)  # x, label under the axis
    top_value: int = 0
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    baseline: int = HEIGHT - BOTTOM


def nice_ceiling(value: int) -> int:
    """The scale's top: 1, 2, 5, 10, 20, 50, ... at least `value` (so the grid reads easily)."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def draw(periods: Sequence[Period], series: Mapping[str, str], every: int) -> Chart:
    """Stacked bars for `periods`, one segment per key of `series` (key: its words in the bar's
    tooltip), an axis label every `every` bars."""
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    highest = max((sum(getattr(p, s) for s in series) for p in periods), default=0)
    top_value = nice_ceiling(max(highest, 1))
    slot = plot_w / max(len(periods), 1)
    bar_w = max(slot * 0.78, 1.0)
    baseline = HEIGHT - BOTTOM
    bars: list[Rect] = []
    ticks: list[tuple[float, str]] = []
    for index, period in enumerate(periods):
        x = LEFT + index * slot + (slot - bar_w) / 2
        y = float(baseline)
        for name in series:
            count = getattr(period, name)
            if not count:
                continue
            height = count / top_value * plot_h
            y -= height
            tooltip = f"{period.label}: {series[name]} {count}"
            bars.append(
                Rect(round(x, 2), round(y, 2), round(bar_w, 2), round(height, 2), f"seg-{name}", tooltip)
            )
        if index % every == 0:
            ticks.append((round(LEFT + index * slot + slot / 2, 2), period.axis))
    return Chart(bars=bars, ticks=ticks, top_value=top_value)


def _fill(counts: dict[date, DayCounts], first: date, days: int) -> list[DayCounts]:
    return [counts.get(first + timedelta(days=i), DayCounts(first + timedelta(days=i))) for i in range(days)]


def _sum(start: date, axis: str, label: str, days: Sequence[DayCounts]) -> Period:
    return Period(
        start=start,
        axis=axis,
        label=label,
        blocked=sum(d.blocked for d in days),
        warned=sum(d.warned for d in days),
        plain=sum(d.plain for d in days),
        police=sum(d.police for d in days),
    )


def _month_start(day: date, back: int) -> date:
    month = day.year * 12 + day.month - 1 - back
    return date(month // 12, month % 12 + 1, 1)


@dataclass(frozen=True)
class History:
    days: list[Period]
    weeks: list[Period]
    months: list[Period]
    top: list[CallerCount]


def collect(store: Store, today: date, zone: tzinfo, date_label: Callable[[date], str]) -> History:
    """A year of the household's calls, by day (30), by week (52, Monday first) and by month (12)."""
    day_start = today - timedelta(days=DAYS - 1)
    week_start = today - timedelta(days=today.weekday()) - timedelta(weeks=WEEKS - 1)
    month_start = _month_start(today, MONTHS - 1)
    first = min(day_start, week_start, month_start)
    begin = datetime.combine(first, time(), zone)
    end = datetime.combine(today + timedelta(days=1), time(), zone)
    counts = {d.day: d for d in store.day_counts(begin, end, zone)}

    days = [
        _sum(d.day, str(d.day.day), date_label(d.day), [d]) for d in _fill(counts, day_start, DAYS)
    ]
    weeks = []
    for index in range(WEEKS):
        start = week_start + timedelta(weeks=index)
        span = _fill(counts, start, 7)
        weeks.append(_sum(start, f"{start.month}/{start.day}", date_label(start), span))
    months = []
    for back in range(MONTHS - 1, -1, -1):
        start = _month_start(today, back)
        following = _month_start(today, back - 1) if back else today + timedelta(days=1)
        span = [counts[d] for d in counts if start <= d < following]
        months.append(_sum(start, str(start.month), f"{start.year}-{start.month:02d}", span))
    top = store.top_callers(datetime.combine(today - timedelta(days=364), time(), zone), end, limit=10)
    return History(days=days, weeks=weeks, months=months, top=top)


__all__ = [
    "DAYS", "MONTHS", "SERIES", "WEEKS",
    "Chart", "History", "Period", "Rect", "collect", "draw", "nice_ceiling",
]
