"""Interpreting parameter values shared by the binary formats (SDMF, MDMF, ETSI, NTT).

The caller (or a spoofing gateway) controls these bytes: every helper here accepts any bytes and
returns clean text or None, never raises.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping

from callerid.decode.lines import clean_line, decode_text
from callerid.model import CallerID

ABSENCE_CODES = ("P", "O", "C", "S")


def text_of(value: bytes) -> str:
    """Bytes of a name or number as clean text (see `decode_text`); controls removed, a tab is a space
    (the name field is the caller's to choose: no control character may reach a page or a log)."""
    return clean_line(decode_text(value)).replace("\t", " ").strip()


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


_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # 29 February may be a leap day


def date_of(digits: str) -> str | None:
    """`MMDD` as sent, or None when it is not 4 digits or not a day of the year (month or day 0
    is a sender's filler; 1301 or 0231 is an impossible date, which `date_time_flags` reports)."""
    if len(digits) != 4 or not (digits.isdigit() and digits.isascii()):
        return None
    month, day = int(digits[:2]), int(digits[2:])
    if not (1 <= month <= 12 and 1 <= day <= _DAYS[month - 1]):
        return None
    return digits


def time_of(digits: str) -> str | None:
    """`hhmm` as sent, or None when it is not 4 digits or not a time of day (2423 and 1260 are
    impossible: a line that says so is wrong, and the record must not pretend otherwise)."""
    if len(digits) != 4 or not (digits.isdigit() and digits.isascii()):
        return None
    if int(digits[:2]) > 23 or int(digits[2:]) > 59:
        return None
    return digits


def date_time_of(value: bytes) -> tuple[str | None, str | None]:
    """`MMDDhhmm` -> ("MMDD", "hhmm"), each None when missing, malformed or impossible.

    SDMF always carries a date; a sender with no clock sends zeros, which therefore read as "no date
    and no time" (a lone `0000` time next to a real date is midnight).
    """
    digits = value.decode("ascii", errors="replace")
    if digits.strip("0") == "":
        return None, None  # all zeros: the sender has no clock
    return date_of(digits[:4]), time_of(digits[4:8])


def date_time_flags(value: bytes) -> list[tuple[str, str]]:
    """Extras that keep a date or time we could not accept, raw, under a key that says so.

    `("invalid_date", "1301")`, `("invalid_time", "2423")`: what the line said stays in the
    record (and the log) instead of being silently accepted or silently dropped.
    """
    text = value.decode("ascii", errors="replace")
    if text.strip("0") == "":
        return []
    date, time = date_time_of(value)
    flags = []
    if date is None:
        flags.append(("invalid_date", text[:4]))
    if time is None:
        flags.append(("invalid_time", text[4:8]))
    return flags


def extra_value(value: bytes) -> str:
    """An unknown or secondary parameter for `extras`: text when printable ASCII, else hex."""
    if value and all(0x20 <= b < 0x7F for b in value):
        return value.decode("ascii")
    return value.hex()


def caller_from_params(
    fmt: str,
    params: Iterable[tuple[int, bytes]],
    extra_names: Mapping[int, str],
    *,
    checksum_ok: bool | None,
    raw: bytes,
    lead: Iterable[tuple[str, str]] = (),
    tail: Iterable[tuple[str, str]] = (),
    absence_in_number: bool = False,
    number_fallback: int | None = None,
) -> CallerID | None:
    """A `CallerID` from (type, value) parameters, or None when none of them is caller data.

    MDMF, ETSI and NTT Number Display share the parameter types: 0x01 date/time, 0x02 number,
    0x04 reason for no number, 0x07 name, 0x08 reason for no name. Other types go to `extras`
    (named by `extra_names`), between the caller's `lead` and `tail` extras. With
    `absence_in_number`, a number parameter that reads `P` or `O` is taken as that reason
    (Bellcore senders do this). `number_fallback` names a parameter type whose value becomes the
    number when no 0x02 came (Bellcore's 0x03, the caller's Dialable Directory Number); it stays
    in `extras` too.
    """
    number = name = absence = name_absence = date = time = None
    extras = list(lead)
    params = list(params)
    for kind, value in params:
        if kind == 0x01:
            date, time = date_time_of(value)
            extras.extend(date_time_flags(value))
        elif kind == 0x02:
            if absence_in_number and text_of(value).upper() in ("P", "O"):
                absence = absence_of(value)
            else:
                number = number_of(value)
        elif kind == 0x04:
            absence = absence_of(value)
        elif kind == 0x07:
            name = text_of(value) or None
        elif kind == 0x08:
            name_absence = absence_of(value)
        else:
            extras.append((extra_names.get(kind, f"param_{kind:02x}"), extra_value(value)))
    if number is None and absence is None and number_fallback is not None:
        fallback = next((value for kind, value in params if kind == number_fallback), None)
        if fallback is not None:
            number = number_of(fallback)
    extras.extend(tail)
    if all(v is None for v in (number, name, absence, name_absence, date, time)):
        return None
    return CallerID(
        format=fmt,
        number=number,
        name=name,
        absence=absence,
        name_absence=name_absence,
        date=date,
        time=time,
        checksum_ok=checksum_ok,
        raw=raw,
        extras=tuple(extras),
    )
