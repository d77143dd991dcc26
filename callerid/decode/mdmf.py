"""Bellcore SDMF (0x04), Bellcore MDMF (0x80) and ETSI call set-up (0x80) messages.

Layout: type, length, body, checksum (two's complement of the byte sum). SDMF's body is
`MMDDhhmm` then the number (or `P`/`O`); MDMF and ETSI bodies are parameters (type, length, value).

MDMF or ETSI? Both use message type 0x80 with the same parameter layout. Bellcore defines
parameter types 0x01-0x09 only; ETSI EN 300 659-3 adds 0x0B and up (0x11 call type, 0x1A
redirecting number, ...). So a 0x80 message is reported as "etsi" when it carries any parameter
type of 0x0A or above, else as "mdmf". Common caller-ID messages (date, number, name) are the same
bytes in both, and decode to the same fields either way; only the label depends on the rule.

Quirks accepted: a hex line without the checksum byte (`checksum_ok` None), leading channel
seizure (0x55) or mark (0xFF) bytes, and spandsp's CLASS/CLIP encoder doubling a parameter length
of 0x10 (16-character field), recognised only when the plain reading does not fit the message.
Message waiting (0x06, 0x82), charge (0x86) and SMS (0x89) messages are not caller records.

Parameter 0x03 means different things: in Bellcore MDMF it is the caller's Dialable Directory
Number (the number in the form one would dial back), taken as the number when no 0x02 came; in
ETSI it is the called line, kept in `extras` only. A date or time that cannot be (hour 24, month
13) is not accepted but kept raw in `extras` as `invalid_date` / `invalid_time`.
"""

from __future__ import annotations

from collections.abc import Sequence

from callerid.decode.fields import (
    absence_of,
    caller_from_params,
    date_time_flags,
    date_time_of,
    number_of,
    text_of,
)
from callerid.model import CallerID

SDMF = 0x04
MDMF = 0x80
NOT_CALLER_RECORDS = {0x06, 0x82, 0x86, 0x89}

#: Bellcore MDMF parameter 0x03: the calling number in dialable form (ETSI: the called line).
DIALABLE_DIRECTORY_NUMBER = 0x03

#: Highest parameter type Bellcore GR-30 defines; anything above is ETSI-only.
BELLCORE_MAX_PARAM = 0x09

#: Secondary parameters kept in `extras`, by name.
EXTRA_NAMES = {
    0x03: "dialled_number",
    0x05: "redirect",
    0x06: "qualifier",
    0x09: "alternate_route",
    0x0B: "visual_indicator",
    0x0D: "message_id",
    0x10: "complementary_number",
    0x11: "call_type",
    0x13: "message_count",
    0x15: "forwarded_call_type",
    0x16: "calling_user_type",
    0x1A: "redirecting_number",
    0x20: "charge",
    0x21: "additional_charge",
    0x23: "duration",
    0x50: "display_info",
    0x55: "service_info",
}


def checksum(data: bytes) -> int:
    """The byte that makes the sum of the message (type through checksum) 0 mod 256."""
    return -sum(data) & 0xFF


def parse_params(body: bytes) -> tuple[list[tuple[int, bytes]], bool]:
    """Parameters of an MDMF/ETSI body, and whether they filled it exactly.

    Tries the plain layout first; when that does not fit and the body has a 0x10 length followed
    by another 0x10, retries reading that as spandsp's doubled length byte.
    """
    params, exact = _walk(body, undouble=False)
    if not exact and b"\x10\x10" in body:
        undoubled, exact_undoubled = _walk(body, undouble=True)
        if exact_undoubled:
            return undoubled, True
    return params, exact


def _walk(body: bytes, *, undouble: bool) -> tuple[list[tuple[int, bytes]], bool]:
    params: list[tuple[int, bytes]] = []
    pos = 0
    while pos + 2 <= len(body):
        kind, length = body[pos], body[pos + 1]
        pos += 2
        if undouble and length == 0x10 and pos < len(body) and body[pos] == 0x10:
            pos += 1
        value = body[pos : pos + length]
        if len(value) < length:
            if value:
                params.append((kind, value))  # truncated: keep what arrived, report not exact
            return params, False
        params.append((kind, value))
        pos += length
    return params, pos == len(body)


def decode_message(data: bytes, *, expect: str | None = None) -> CallerID | None:
    """One SDMF/MDMF/ETSI message -> `CallerID`, or None when it is not a caller record.

    `expect` ("sdmf", "mdmf" or "etsi") forces the kind: other message types are refused and
    0x80 messages get the forced label instead of the MDMF/ETSI rule.
    """
    data = bytes(data).lstrip(b"\x55\xff")
    if len(data) < 2:
        return None
    kind, length = data[0], data[1]
    if kind in NOT_CALLER_RECORDS or kind not in (SDMF, MDMF):
        return None
    if expect == "sdmf" and kind != SDMF or expect in ("mdmf", "etsi") and kind != MDMF:
        return None
    body = data[2 : 2 + length]
    if len(data) >= length + 3:
        checksum_ok: bool | None = checksum(data[: length + 2]) == data[length + 2]
        raw = data[: length + 3]
    elif len(data) == length + 2:
        checksum_ok, raw = None, data  # the modem printed the message without its checksum
    else:
        checksum_ok, raw = False, data  # truncated
    if kind == SDMF:
        return _sdmf(body, checksum_ok, raw)
    return _mdmf(body, checksum_ok, raw, expect)


def _sdmf(body: bytes, checksum_ok: bool | None, raw: bytes) -> CallerID | None:
    date, time = date_time_of(body[:8])
    flags = tuple(date_time_flags(body[:8]))
    rest = body[8:]
    number = absence = None
    if text_of(rest).upper() in ("P", "O"):
        absence = absence_of(rest)
    else:
        number = number_of(rest)
    if number is None and absence is None and date is None and time is None:
        return None
    return CallerID(
        format="sdmf",
        number=number,
        absence=absence,
        date=date,
        time=time,
        checksum_ok=checksum_ok,
        raw=raw,
        extras=flags,
    )


def _mdmf(body: bytes, checksum_ok: bool | None, raw: bytes, expect: str | None) -> CallerID | None:
    params, exact = parse_params(body)
    if not exact and checksum_ok is not False:
        checksum_ok = False  # the parameters do not fill the message: something is wrong with it
    if expect in ("mdmf", "etsi"):
        label = expect
    else:
        label = "etsi" if any(kind > BELLCORE_MAX_PARAM for kind, _ in params) else "mdmf"
    return caller_from_params(
        label,
        params,
        EXTRA_NAMES,
        checksum_ok=checksum_ok,
        raw=raw,
        absence_in_number=True,
        # Bellcore's 0x03 is the caller's number in dialable form (a Dialable Directory Number);
        # ETSI's 0x03 is the called line, never the caller.
        number_fallback=DIALABLE_DIRECTORY_NUMBER if label == "mdmf" else None,
    )


# ---------------------------------------------------------------------------------------------
# Is a candidate from the FSK demodulator a real message? An 8-bit sum lets too many noisy
# decodes through, so the fields must also look like caller ID (digits where digits belong, a
# real date, printable names). The demodulator (`callerid.decode.fsk`) asks; the rules live here.

#: Message types the demodulator looks for: SDMF and MDMF caller ID, MDMF message waiting.
FSK_TYPES = frozenset({SDMF, MDMF, 0x82})
_DIGITS = frozenset(b"0123456789")
_NUMBER_CHARS = _DIGITS | frozenset(b"+*#")
_NAME_BYTES = frozenset(range(0x20, 0x7F)) | frozenset(range(0x80, 0x100))  # ASCII, Latin-1, UTF-8


def _date_ok(value: Sequence[int]) -> bool:
    if len(value) != 8 or any(c not in _DIGITS for c in value):
        return False
    month, day, hour, minute = (int(bytes(value[i : i + 2])) for i in range(0, 8, 2))
    return month <= 12 and day <= 31 and hour <= 23 and minute <= 59


def _number_ok(value: Sequence[int]) -> bool:
    if len(value) == 1 and 0x41 <= value[0] <= 0x5A:  # a reason letter where a number would be
        return True
    return bool(value) and all(c in _NUMBER_CHARS for c in value)


def _param_ok(kind: int, value: Sequence[int]) -> bool:
    if kind == 0x01:
        return _date_ok(value)
    if kind in (0x02, 0x03, 0x1A):
        return _number_ok(value)
    if kind in (0x04, 0x08):
        return len(value) == 1 and 0x41 <= value[0] <= 0x5A
    if kind == 0x07:
        return all(c in _NAME_BYTES for c in value)
    return True


def plausible(chars: Sequence[int]) -> bool:
    """A whole message (type, length, body, checksum) that verifies and looks like caller ID."""
    if len(chars) < 4 or chars[0] not in FSK_TYPES or chars[1] + 3 != len(chars):
        return False
    if sum(chars) & 0xFF:
        return False
    body = chars[2:-1]
    if chars[0] == SDMF:  # MMDDhhmm then the number or a reason letter
        return len(body) > 8 and _date_ok(body[:8]) and _number_ok(body[8:])
    i = 0
    while i < len(body):
        if i + 2 > len(body) or body[i + 1] == 0 or i + 2 + body[i + 1] > len(body):
            return False
        if body[i] == 0 or not _param_ok(body[i], body[i + 2 : i + 2 + body[i + 1]]):
            return False
        i += 2 + body[i + 1]
    return True
