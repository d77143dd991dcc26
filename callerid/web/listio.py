"""Allow/block list entries from the website: validation, CSV in and out, list membership.

The screening package owns what a valid pattern is (`normalise_pattern`) and the CSV
columns (`kind,pattern,label`); this module only adapts them to web forms: it
cleans what a visitor typed, bounds labels, and makes the exported CSV safe to open
in a spreadsheet (a label such as `=HYPERLINK(...)` that came from a caller's name
must not become a formula).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from callerid.model import ListEntry, ListKind
from callerid.screen.numbers import normalise, region_facts
from callerid.web.present import clean_text

if TYPE_CHECKING:
    from callerid.store import Store

KINDS = tuple(ListKind)
MAX_PATTERN = 40
MAX_LABEL = 100
MAX_IMPORT_LINES = 5000
_PATTERN_CHARS = frozenset("0123456789+-() .*")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def clean_label(label: str | None) -> str:
    return clean_text(label or "").strip()[:MAX_LABEL]


def validate_pattern(pattern: str | None, store: Store) -> str:
    """The pattern as the Store will keep it, or ValueError with a one-line reason.

    Hidden characters and absurd lengths are refused here; what counts as a number or
    prefix is the screening package's rule, applied through `Store.normalise_pattern`.
    """
    text = unicodedata.normalize("NFKC", clean_text(pattern or "")).strip()  # full-width digits too
    if not text:
        raise ValueError("empty number")
    if len(text) > MAX_PATTERN or sum(ch.isdigit() for ch in text) < 2:
        raise ValueError("not a phone number or prefix")
    if not set(text) <= _PATTERN_CHARS or "*" in text[:-1]:
        raise ValueError("use only digits, + - ( ) spaces, and * at the end for a prefix")
    return store.normalise_pattern(text)


def parse_csv(text: str, store: Store) -> tuple[list[ListEntry], list[str]]:
    """Entries from CSV text (header `kind,pattern,label` optional) and one message per bad line."""
    entries: list[ListEntry] = []
    errors: list[str] = []
    reader = csv.reader(io.StringIO(text, newline=None))  # universal newlines: lone CRs too
    line_no = 0
    while True:
        line_no += 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # binary junk or a broken quote: report it and stop reading
            errors.append(f"line {line_no}: not CSV ({exc})")
            break
        if line_no > MAX_IMPORT_LINES:
            errors.append(f"line {line_no}: more than {MAX_IMPORT_LINES} lines; the rest was skipped")
            break
        cells = [cell.strip() for cell in row]
        if not cells or not any(cells) or cells[0].startswith("#"):
            continue
        if line_no == 1 and cells[0].lower() == "kind":
            continue
        kind = cells[0].lower()
        if kind not in KINDS or len(cells) < 2:
            errors.append(f"line {line_no}: the first column must be allow or block, then the number")
            continue
        try:
            pattern = validate_pattern(cells[1], store)
        except ValueError as exc:
            errors.append(f"line {line_no}: {clean_text(str(exc))[:120]}")
            continue
        label = _unescape_formula(clean_label(cells[2] if len(cells) > 2 else ""))
        entries.append(ListEntry(kind=kind, pattern=pattern, label=label))
    return entries, errors


def _spreadsheet_safe(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def _unescape_formula(label: str) -> str:
    """Undo `_spreadsheet_safe` on import so an export/import round trip keeps labels unchanged."""
    if label.startswith("'") and label[1:].startswith(_FORMULA_START):
        return label[1:]
    return label


def export_csv(entries: list[ListEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["kind", "pattern", "label"])
    for entry in entries:
        writer.writerow([entry.kind, entry.pattern, _spreadsheet_safe(clean_text(entry.label))])
    return out.getvalue()


def pattern_display(pattern: str, region: str) -> str:
    """A stored pattern as the family would write it: `+81337654321` is `03-3765-4321`.

    Only for showing: forms still post the stored pattern, so removal always finds it.
    """
    try:
        if pattern.endswith("*"):
            cc, _idd, trunk, _required = region_facts(region)
            home = f"+{cc}"
            if pattern.startswith(home):
                return f"{trunk}{pattern[len(home):]}"
            return pattern
        number = normalise(pattern, region)
        if number.country == region and number.national:
            return number.national
        return number.display or pattern
    except (ValueError, KeyError):
        return pattern


@dataclass(frozen=True)
class Membership:
    allowed: bool
    blocked: bool


def membership(store: Store, number: str, region: str) -> Membership:
    """Whether `number` is caught by each list, prefixes included, as the screening engine matches."""
    try:
        lists = store.family_lists(region)
        return Membership(allowed=bool(lists.allowed(number)), blocked=bool(lists.blocked(number)))
    except ValueError:
        return Membership(allowed=False, blocked=False)
