"""The call log as CSV for a spreadsheet: the website's /calls.csv and `callerid log --csv`.

Made for Japanese Excel, which opens a CSV by double-click and guesses every cell:
- UTF-8 *with* a BOM (the caller adds it when encoding: `"utf-8-sig"`); without one Excel reads
  Shift_JIS and garbles every Japanese label.
- Phone numbers as text that keeps its leading zero: a number cell is written with a leading TAB
  (`"\\t0335814321"`). Excel will not read a cell that starts with a tab as a number, so it keeps
  the text, zero and all, and shows the tab as nothing. Why not the alternatives: `="0335814321"`
  is itself a formula (formula-guarded exports must not contain any), and a leading apostrophe is
  only hidden when typed into Excel; in a CSV it stays visible in the cell. The tab is applied
  only to cells that are a phone number (digits, an optional leading +, spaces and hyphens), so
  it can never carry a formula: anything else a caller put on the line is formula-guarded.
- Caller names and list labels formula-guarded with the list CSV's guard (`listcsv.guard`:
  `=cmd|...` gets a leading apostrophe), so a caller cannot plant a formula in the family's
  spreadsheet.
- Times on the household's clock (`household.zone`), not the Pi's.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from callerid.listcsv import guard as formula_guard
from callerid.model import Absence, CallRecord, ListKind
from callerid.screen.messages import verdict_text
from callerid.text import clean_text

if TYPE_CHECKING:
    from callerid.screen.lists import FamilyLists

#: One phone number and nothing else: safe to mark as text with a leading tab.
_PHONE_NUMBER = re.compile(r"\+?[0-9][0-9 \-]{0,39}")
_ABSENCE_WORDS = {
    "en": {Absence.WITHHELD: "number withheld", Absence.OUT_OF_AREA: "out of area",
           Absence.PAYPHONE: "public phone", Absence.SERVICE_CONFLICT: "no number"},
    "ja": {Absence.WITHHELD: "非通知", Absence.OUT_OF_AREA: "表示圏外",
           Absence.PAYPHONE: "公衆電話", Absence.SERVICE_CONFLICT: "通知不可能"},
}
HEADERS = {
    "en": ("id", "time", "number", "shown as", "list label", "list", "caller name", "verdict",
           "verdict code", "what the appliance did", "reviewed"),
    "ja": ("ID", "日時", "番号", "表示", "リストのメモ", "リスト", "発信者名", "判定",
           "判定コード", "本体の対応", "確認済み"),
}
_LIST_WORDS = {
    "en": {ListKind.ALLOW: "trusted", ListKind.BLOCK: "blocked"},
    "ja": {ListKind.ALLOW: "安心な番号", ListKind.BLOCK: "着信拒否"},
}
_YES = {"en": "yes", "ja": "済"}


def number_cell(value: str | None) -> str:
    """A phone number as text Excel keeps (leading tab); anything else formula-guarded."""
    text = unicodedata.normalize("NFKC", value or "").strip()  # full-width digits too
    if _PHONE_NUMBER.fullmatch(text):
        return "\t" + text
    return formula_guard(_one_line(text))


def text_cell(value: str | None) -> str:
    """Caller- or family-written text: one line, and never a formula."""
    return formula_guard(_one_line(value or ""))


def _one_line(text: str) -> str:
    """One line of visible text (hidden characters become U+FFFD), at most 400 characters."""
    return clean_text(text)[:400]


def _time(received_at: str, zone: tzinfo) -> str:
    try:
        moment = datetime.fromisoformat(received_at)
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError, OverflowError, OSError):
        return text_cell(received_at)


def _verdict_words(code: str, lang: str) -> str:
    try:
        return verdict_text(code, lang) or code
    except (KeyError, ValueError, LookupError):  # a code from a newer or hand-edited row
        return code


def to_csv(
    records: Iterable[CallRecord],
    *,
    zone: tzinfo,
    lists: FamilyLists | None = None,
    lang: str = "en",
    action_words: Callable[[tuple[str, ...]], str] | None = None,
) -> str:
    """The calls as CSV text (CRLF lines, header first); encode with "utf-8-sig" for the BOM.

    `lists` adds each number's list label; `action_words` turns actions into the page's words
    (default: the action codes, as `callerid log --json` has them).
    """
    lang = lang if lang in HEADERS else "en"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS[lang])
    labels: dict[str, tuple[str, str]] = {}
    for record in records:
        caller, verdict = record.caller, record.verdict
        number = caller.number or verdict.number or ""
        if not number and caller.absence:
            number = _ABSENCE_WORDS[lang].get(caller.absence, caller.absence)
        key = verdict.e164 or verdict.number or caller.number or ""
        if key not in labels:
            labels[key] = _label(key, lists)
        label, kind = labels[key]
        actions = tuple(str(a) for a in record.actions)
        did = action_words(actions) if action_words else " ".join(actions)
        writer.writerow(
            [
                record.id if record.id is not None else "",
                _time(record.received_at, zone),
                number_cell(number),
                number_cell(verdict.display if verdict.display != number else ""),
                text_cell(label),
                _LIST_WORDS[lang].get(kind, ""),
                text_cell(caller.name),
                text_cell(_verdict_words(verdict.verdict, lang)),
                text_cell(verdict.verdict),
                text_cell(did),
                _YES[lang] if record.reviewed else "",
            ]
        )
    return out.getvalue()


def _label(number: str, lists: FamilyLists | None) -> tuple[str, str]:
    if not number or lists is None or not len(lists):
        return "", ""
    try:
        entry = lists.match(number)
    except (ValueError, KeyError):
        return "", ""
    return (entry.label, entry.kind) if entry else ("", "")


__all__ = ["HEADERS", "number_cell", "text_cell", "to_csv"]
