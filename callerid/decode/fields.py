"""Interpreting parameter values shared by the binary formats (SDMF, MDMF, ETSI, NTT).

The caller (or a spoofing gateway) controls these bytes: every helper here accepts any bytes and
returns clean text or None, never raises.
"""

from __future__ import annotations

import unicodedata

from callerid.decode.lines import clean_line

ABSENCE_CODES = ("P", "O", "C", "S")


def text_of(value: bytes) -> str:
    """Bytes of a name or number as clean text: UTF-8 when it is, else Latin-1; controls removed."""
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        text = value.decode("latin-1")
    return clean_line(text).strip()


def to_ascii_digits(text: str) -> str:
    """NFKC plus any Unicode decimal digit made ASCII: `０３` and `٠٣` both become `03`.

    Japanese equipment and typed input write numbers in full-width digits; the number they
    spell is the same, and must not be mistaken for "no number".
    """
    text = unicodedata.normalize("NFKC", text)
    if text.isascii():
        return text
    out = []
    for ch in text:
        value = unicodedata.decimal(ch, None)
        out.append(str(value) if value is not None else ch)
    return "".join(out)


def number_of(value: bytes) -> str | None:
    """A caller-number parameter as text (digits, `+`, `*`, `#`; anything else kept for screening)."""
    text = "".join(text_of(value).split())
    return text or None


def absence_of(value: bytes) -> str:
    """A reason-for-absence parameter: P, O, C or S; anything unknown counts as unavailable (O)."""
    code = text_of(value)[:1].upper()
    return code if code in ABSENCE_CODES else "O"


def date_of(digits: str) -> str | None:
    """`MMDD` as sent, or None when it is not 4 digits or names month or day 0 (a sender's filler)."""
    if len(digits) != 4 or not (digits.isdigit() and digits.isascii()):
        return None
    if digits[:2] == "00" or digits[2:] == "00":
        return None
    return digits


def time_of(digits: str) -> str | None:
    """`hhmm` as sent (kept even when odd, e.g. 2405: it is what the line said), or None if not 4 digits."""
    if len(digits) != 4 or not (digits.isdigit() and digits.isascii()):
        return None
    return digits


def date_time_of(value: bytes) -> tuple[str | None, str | None]:
    """`MMDDhhmm` -> ("MMDD", "hhmm"), each None when missing or malformed.

    SDMF always carries a date; a sender with no clock sends zeros, which therefore read as "no date
    and no time" (a lone `0000` time next to a real date is midnight).
    """
    digits = value.decode("ascii", errors="replace")
    if digits.strip("0") == "":
        return None, None  # all zeros: the sender has no clock
    return date_of(digits[:4]), time_of(digits[4:8])


def extra_value(value: bytes) -> str:
    """An unknown or secondary parameter for `extras`: text when printable ASCII, else hex."""
    if value and all(0x20 <= b < 0x7F for b in value):
        return value.decode("ascii")
    return value.hex()
