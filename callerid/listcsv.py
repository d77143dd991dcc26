"""The family's lists as CSV (`kind,pattern,label`): one reader and one writer for the CLI and the
website, so both read the same file the same way and write the same safe file.

Reading collects one message per bad line (the website imports the good lines and lists the bad
ones; `callerid list import` refuses the whole file and names the first bad line). Writing makes
the file safe to open in a spreadsheet: a label is caller-chosen text (a caller's name the family
kept), and one such as `=HYPERLINK(...)` must not become a live formula. A cell starting with
`= + - @`, a tab or a CR gets a leading `'`, and so does every piece after a `;` or `,` inside a
label (a spreadsheet that splits lines on semicolons would otherwise start a cell there). Reading
removes exactly those quotes again, so an export/import round trip keeps every label.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable

from callerid.model import ListEntry, ListKind
from callerid.screen.lists import normalise_pattern
from callerid.text import clean_text

COLUMNS = ("kind", "pattern", "label")
MAX_PATTERN = 40
MAX_LABEL = 100
MAX_LINES = 5000
_PATTERN_CHARS = frozenset("0123456789+-() .*")

#: A formula can start a cell, or start a piece after a separator a spreadsheet may split on.
_FORMULA = re.compile(r"""(^|[;,])([\s"]*)(?=[=+\-@])|^(?=[\t\r])""")
_GUARDED = re.compile(r"""(^|[;,])([\s"]*)'(?=[=+\-@])|^'(?=[\t\r])""")


def clean_label(label: str | None) -> str:
    """A label as stored: one visible line, at most MAX_LABEL characters."""
    return clean_text(label or "").strip()[:MAX_LABEL]


def clean_pattern(pattern: str | None, region: str) -> str:
    """A typed number or prefix in its stored form, or ValueError with a one-line reason.

    Hidden characters and absurd lengths are refused here; what counts as a number or prefix is
    the screening package's rule (`normalise_pattern`).
    """
    text = unicodedata.normalize("NFKC", clean_text(pattern or "")).strip()  # full-width digits too
    if not text:
        raise ValueError("no number")
    if len(text) > MAX_PATTERN or sum(ch.isdigit() for ch in text) < 2:
        raise ValueError("not a phone number or prefix")
    if not set(text) <= _PATTERN_CHARS:
        raise ValueError("use only digits, + - ( ) spaces, and * at the end for a prefix")
    return normalise_pattern(text, region)


def read_csv(text: str, region: str) -> tuple[list[ListEntry], list[str]]:
    """Entries from CSV text (header optional, `#` comments and blank lines skipped), and one
    message per line that could not be read, naming the line."""
    entries: list[ListEntry] = []
    errors: list[str] = []
    reader = csv.reader(io.StringIO((text or "").lstrip("\ufeff"), newline=None))  # lone CRs too
    line = 0
    while True:
        line += 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # binary junk or a broken quote: report it and stop reading
            errors.append(f"line {line}: not CSV ({exc})")
            break
        if line > MAX_LINES:
            errors.append(f"line {line}: more than {MAX_LINES} lines; the rest was skipped")
            break
        try:
            entry = _entry(row, region)
        except ValueError as exc:
            errors.append(f"line {line}: {clean_text(str(exc))[:120]}")
            continue
        if entry is not None:
            entries.append(entry)
    return entries, errors


def _entry(row: list[str], region: str) -> ListEntry | None:
    cells = [cell.strip() for cell in row]
    if not cells or not any(cells) or cells[0].startswith("#"):
        return None
    if cells[0].lower() == COLUMNS[0]:  # the header, wherever a spreadsheet put it
        return None
    kind = cells[0].lower()
    if kind not in tuple(ListKind):
        raise ValueError(f"the first column must be 'allow' or 'block', not {cells[0][:20]!r}")
    if len(cells) < 2 or not cells[1]:
        raise ValueError("no number in the second column")
    if len(cells) > len(COLUMNS):
        raise ValueError(f"{len(cells)} columns; expected kind,pattern,label (quote a label with a comma)")
    pattern = clean_pattern(cells[1], region)
    label = unguard(clean_label(cells[2] if len(cells) > 2 else ""))
    return ListEntry(kind=ListKind(kind), pattern=pattern, label=label)


#: Written first: without it Japanese Excel reads the file as Shift_JIS and garbles every label.
BOM = "\ufeff"


def write_csv(entries: Iterable[ListEntry]) -> str:
    """CSV for Excel: a UTF-8 BOM, a header, CRLF line ends, numbers as text, labels spreadsheet-safe.

    A pattern is written after a TAB (`"\t+81312345678"`, `"\t+8112099*"`): Excel will not read a
    cell starting with a tab as a number or a formula, so the `+` (and any leading zero) stays as
    typed; `="..."` would itself be a formula, and a leading `'` would stay visible in the cell.
    Reading strips the tab again (`callerid/calls_csv.py` does the same for the call log).
    """
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for entry in entries:
        writer.writerow([entry.kind, "\t" + entry.pattern, guard(clean_text(entry.label))])
    return out.getvalue()


def guard(cell: str) -> str:
    """`cell` with a `'` before every place a spreadsheet could start a formula."""
    return _FORMULA.sub(lambda m: f"{m.group(1) or ''}{m.group(2) or ''}'", cell)


def unguard(cell: str) -> str:
    """Undo `guard`, so an export/import round trip keeps labels unchanged."""
    return _GUARDED.sub(lambda m: f"{m.group(1) or ''}{m.group(2) or ''}", cell)


__all__ = ["BOM", "COLUMNS", "MAX_LABEL", "MAX_PATTERN", "clean_label", "clean_pattern", "guard", "read_csv",
           "unguard", "write_csv"]
