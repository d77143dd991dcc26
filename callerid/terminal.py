"""Printing caller-controlled text to a terminal: safely, and lined up.

A caller chooses the name field, so it can hold escape sequences that recolour or rewrite the
terminal, bidi overrides that reverse what follows, or 10,000 characters. Tables show such
characters as visible escapes (`\\x1b`) so nothing is hidden and nothing is executed; JSON
output escapes them as `\\uXXXX`, which keeps it valid JSON. Widths count East Asian wide
characters as two columns, so Japanese names line up.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from typing import Any


def _unsafe(ch: str) -> bool:
    # Cc controls, Cf format (bidi overrides, zero-width), Cs lone surrogates, Co/Cn; and the
    # Unicode line/paragraph separators, which some terminals and editors treat as newlines.
    return unicodedata.category(ch)[0] == "C" or ch in "\u2028\u2029"


def _escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def printable(text: str | None) -> str:
    """Text with every control or format character shown as a visible escape."""
    if not text:
        return ""
    return "".join(_escape(ch) if _unsafe(ch) else ch for ch in text)


def width(text: str) -> int:
    """Columns the text takes in a terminal."""
    return sum(_char_width(ch) for ch in text)


def _char_width(ch: str) -> int:
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def clip(text: str, columns: int) -> str:
    """At most `columns` columns, with an ellipsis when cut."""
    if width(text) <= columns:
        return text
    out, used = [], 0
    for ch in text:
        w = width(ch)
        if used + w > columns - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], limits: Sequence[int] | None = None) -> str:
    """An aligned plain-text table; cells are made printable and clipped to `limits` columns."""
    limits = limits or [10_000] * len(headers)
    cells = [[clip(printable(str(c)), limit) for c, limit in zip(row, limits, strict=True)] for row in rows]
    widths = [max([width(h)] + [width(r[i]) for r in cells]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v + " " * (w - width(v)) for v, w in zip(values, widths, strict=True)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in cells)])


def json_line(value: Any) -> str:
    """One line of JSON, readable (non-ASCII kept) but with control and format characters escaped."""
    text = json.dumps(value, ensure_ascii=False)
    out = []
    for ch in text:  # outside strings JSON is plain ASCII, so every hit is inside a string
        if _unsafe(ch):
            code = ord(ch)
            if code > 0xFFFF:
                code -= 0x10000
                out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
            else:
                out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)
