"""Caller-controlled text made into one visible line (the website, the list CSV, the logs).

The caller chooses the name field, so it can hold controls, bidi overrides that reorder what
follows, zero-width characters or line separators. `clean_text` replaces each with a visible
U+FFFD, so nothing is hidden and nobody is fooled by reordered text. (Terminals have their own,
stricter helper: callerid.terminal.printable shows such characters as escapes.)
"""

from __future__ import annotations

import unicodedata

#: Unicode categories that can hide or reorder text: controls, bidi/zero-width formats,
#: private use, surrogates, line and paragraph separators.
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Zl", "Zp"})
REPLACEMENT = "\ufffd"


def clean_text(value: object) -> str:
    """`value` as one visible line: hidden characters become U+FFFD, tabs become spaces."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    out = []
    for ch in text:
        if ch == "\t":
            out.append(" ")
        elif unicodedata.category(ch) in HIDDEN_CATEGORIES:
            out.append(REPLACEMENT)
        else:
            out.append(ch)
    return "".join(out)


__all__ = ["HIDDEN_CATEGORIES", "REPLACEMENT", "clean_text"]
