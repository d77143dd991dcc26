"""Turn stored calls into what a page shows: safe text, verdict words, colours, times.

The caller controls the name (and on text-mode modems the number): it can hold
HTML, SQL, terminal escapes, right-to-left overrides or ten thousand characters.
Jinja's auto-escaping handles HTML; this module handles what escaping does not:
invisible control and formatting characters (replaced with a visible U+FFFD so
nobody is fooled by reordered text) and length (shortened visibly).
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import TYPE_CHECKING

from callerid.model import Action, CallRecord, ListEntry, Reason, VerdictCode
from callerid.screen.messages import advice_text, verdict_text
from callerid.text import REPLACEMENT, clean_text
from callerid.web.i18n import translate

if TYPE_CHECKING:
    from callerid.screen.lists import FamilyLists

ELLIPSIS = "…"

#: How a verdict is coloured: danger (red), caution (amber), safe (green), plain.
SEVERITY = {
    VerdictCode.BLOCKLISTED: "danger",
    VerdictCode.POLICE_LOOKALIKE: "danger",
    VerdictCode.POLICE_NUMBER: "danger",
    VerdictCode.INTERNATIONAL: "caution",
    VerdictCode.WITHHELD: "caution",
    VerdictCode.UNAVAILABLE: "caution",
    VerdictCode.PAYPHONE: "caution",
    VerdictCode.INVALID: "caution",
    VerdictCode.ALLOWLISTED: "safe",
    VerdictCode.ORDINARY: "plain",
}

#: Actions shown to the family, in the order they matter.
ACTION_KEYS = (
    (Action.BLOCK, "act_block"),
    (Action.WARN_HOUSEHOLD, "act_warn_household"),
    (Action.WARN_CALLER, "act_warn_caller"),
    (Action.NOTIFY, "act_notify"),
    (Action.PANEL, "act_panel"),
)


def shorten(text: str, limit: int) -> str:
    """`text` cut to `limit` characters with a visible ellipsis when it was longer."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + ELLIPSIS


@dataclass(frozen=True)
class ShownText:
    """A caller-controlled field prepared for a page: the shown part and whether it was cut."""

    text: str
    total: int
    truncated: bool


def show(value: object, limit: int) -> ShownText:
    cleaned = clean_text(value)
    shown = shorten(cleaned, limit)
    return ShownText(text=shown, total=len(cleaned), truncated=len(cleaned) > limit)


def severity(code: str) -> str:
    return SEVERITY.get(code, "caution")


def verdict_headline(code: str, lang: str) -> str:
    """A short headline for a verdict: the screening package's words when present, else ours."""
    try:

        text = verdict_text(code, lang)
        if text:
            return text
    except (ImportError, KeyError, ValueError, LookupError):
        pass
    if code in SEVERITY:
        return translate(lang, f"v_{code}")
    return translate(lang, "v_unknown")


def verdict_advice(code: str, lang: str) -> str:
    """What to do about a verdict, from the screening package; empty when it has nothing."""
    try:

        return advice_text(code, lang) or ""
    except (ImportError, KeyError, ValueError, LookupError):
        return ""


def reason_text(reason: Reason, lang: str) -> str:
    if lang == "ja" and reason.detail_ja:
        return clean_text(reason.detail_ja)
    return clean_text(reason.detail or reason.code)


def action_labels(
    actions: tuple[str, ...] | list[str], lang: str, *, quiet: tuple[str, ...] = (), empty: bool = True
) -> list[str]:
    """What the appliance did, in words; `quiet` actions are left out (lists skip the lights)."""
    labels = [translate(lang, key) for name, key in ACTION_KEYS if name in actions and name not in quiet]
    return labels or ([translate(lang, "act_none")] if empty else [])


def list_entry(record: CallRecord, lists: FamilyLists | None) -> ListEntry | None:
    """The family's list entry that covers this call's number (exact or prefix), if any."""
    return number_entry(record.verdict.e164 or record.verdict.number or record.caller.number, lists)


def number_entry(number: str | None, lists: FamilyLists | None) -> ListEntry | None:
    """The family's list entry that covers `number` (exact or prefix), if any."""
    if not number or lists is None or not len(lists):
        return None
    try:
        return lists.match(number)
    except (ValueError, KeyError):
        return None


def number_text(record: CallRecord, lang: str) -> str:
    """The number as the family should read it, or why there is none."""
    caller, verdict = record.caller, record.verdict
    if caller.absence and not caller.number:
        if caller.absence in ("P", "O", "C", "S"):
            return translate(lang, f"abs_{caller.absence}")
        return shorten(clean_text(caller.absence), 16)
    return clean_text(verdict.display or caller.number or verdict.number) or "—"


def listable_number(record: CallRecord) -> str | None:
    """The number to put on a list for this call: the screened digits when sane, else what the line said."""
    for candidate in (record.verdict.number, record.caller.number):
        text = clean_text(candidate).strip()
        if text and REPLACEMENT not in text and len(text) <= 32:
            return text
    return None


#: Caller-ID wire formats the decoders report, named in words on the call page's technical fold.
FORMATS = ("ntt", "sdmf", "mdmf", "etsi", "text")


def format_text(code: str | None, lang: str) -> str:
    """The caller-ID format in words with its code, e.g. `NTT Number Display (ntt)`."""
    cleaned = clean_text(code or "")[:16]
    if cleaned in FORMATS:
        return f"{translate(lang, 'fmt_' + cleaned)} ({cleaned})"
    return cleaned or "—"


def date_text(day: date, lang: str) -> str:
    """`2026年11月25日` (ja) or `2026-11-25` (en)."""
    if lang == "ja":
        return f"{day.year}年{day.month}月{day.day}日"
    return day.isoformat()


def parse_time(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def time_text(value: str, lang: str, today: str | None = None, tz: tzinfo | None = None) -> str:
    """`09:30` for today, else `2026-11-25 09:30` (en) or `2026年11月25日 09:30` (ja).

    `tz` is the household's zone: every time is shown on the household's clock, whatever zone
    it was logged in (a time without an offset is this machine's local time, as the Store reads
    it). Unparseable text is shown cleaned and shortened.
    """
    moment = parse_time(value)
    if moment is None:
        return shorten(clean_text(value), 40)
    if tz is not None:
        with suppress(OverflowError, ValueError, OSError):  # year 1 or 9999: the edge of the calendar
            moment = moment.astimezone(tz)
    clock = moment.strftime("%H:%M")
    if today is not None and moment.date().isoformat() == today:
        return clock
    if lang == "ja":
        return f"{moment.year}年{moment.month}月{moment.day}日 {clock}"
    return f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d} {clock}"
