"""Encoders: `CallerID` to the bytes and lines a line or a modem would deliver.

Used by the modem simulator (`callerid.modem.sim`), the FSK modulator and the tests' round trips.
They raise `ValueError` for what the wire cannot carry (a field longer than its length byte, a
malformed date), because a caller of an encoder is our own code and should hear about it.
"""

from __future__ import annotations

import re

from callerid.decode import mdmf, ntt
from callerid.model import CallerID

_MMDD = re.compile(r"^\d{4}$")


def _date_time(date: str | None, time: str | None) -> bytes:
    for label, value in (("date", date), ("time", time)):
        if value is not None and not _MMDD.match(value):
            raise ValueError(f"{label} must be 4 digits (MMDD / hhmm), got {value!r}")
    return f"{date or '0000'}{time or '0000'}".encode("ascii")


def _param(kind: int, value: bytes, limit: int = 255) -> bytes:
    if len(value) > limit:
        raise ValueError(f"parameter 0x{kind:02x} is {len(value)} bytes; at most {limit} fit")
    return bytes([kind, len(value)]) + value


def _ascii(value: str, what: str) -> bytes:
    try:
        return value.encode("ascii")
    except UnicodeEncodeError:
        raise ValueError(f"{what} must be ASCII, got {value!r}") from None


def _with_checksum(kind: int, body: bytes) -> bytes:
    if len(body) > 255:
        raise ValueError(f"message body is {len(body)} bytes; at most 255 fit")
    message = bytes([kind, len(body)]) + body
    return message + bytes([mdmf.checksum(message)])


def _extra(caller: CallerID, key: str) -> str | None:
    return next((value for k, value in caller.extras if k == key), None)


def encode_sdmf(number: str | None, date: str | None, time: str | None, absence: str | None = None) -> bytes:
    """SDMF (0x04): `MMDDhhmm` then the number, or `P`/`O` when there is none; with checksum.

    SDMF always carries a date and time: a missing one is sent as zeros (decoders read all zeros
    as "no date and no time").
    """
    tail = _ascii(number, "number") if number else (absence or "O")[:1].upper().encode("ascii")
    return _with_checksum(mdmf.SDMF, _date_time(date, time) + tail)


def _common_params(caller: CallerID) -> tuple[bytes, bytes]:
    """(date/time parameter, number and name parameters) shared by MDMF and ETSI."""
    when = _param(0x01, _date_time(caller.date, caller.time)) if caller.date or caller.time else b""
    rest = b""
    if caller.number:
        rest += _param(0x02, _ascii(caller.number, "number"))
    elif caller.absence:
        rest += _param(0x04, caller.absence[:1].encode("ascii"))
    dialled = _extra(caller, "dialled_number")
    if dialled:
        rest += _param(0x03, _ascii(dialled, "dialled number"))
    if caller.name:
        rest += _param(0x07, caller.name.encode("utf-8"))
    elif caller.name_absence:
        rest += _param(0x08, caller.name_absence[:1].encode("ascii"))
    return when, rest


def encode_mdmf(caller: CallerID) -> bytes:
    """Bellcore MDMF (0x80): date/time, number or reason, name or reason; with checksum."""
    when, rest = _common_params(caller)
    return _with_checksum(mdmf.MDMF, when + rest)


def encode_etsi(caller: CallerID) -> bytes:
    """ETSI call set-up (0x80) with the call-type parameter (0x11, voice call unless extras say
    otherwise), which is also what marks it as ETSI for the decoder; with checksum."""
    when, rest = _common_params(caller)
    call_type = _extra(caller, "call_type") or "01"
    try:
        call_type_value = bytes.fromhex(call_type)
    except ValueError:
        raise ValueError(f"call_type extra must be hex, got {call_type!r}") from None
    return _with_checksum(mdmf.MDMF, when + _param(0x11, call_type_value) + rest)


def _seven_bit(value: str) -> bytes:
    """Text for a 7-bit NTT parameter: characters that cannot be sent become `?`."""
    return value.encode("ascii", errors="replace")


def _stuff(data: bytes) -> bytes:
    return data.replace(b"\x10", b"\x10\x10")


def encode_ntt(
    caller: CallerID, *, length_counts_stuffing: bool = True, message_type: int | None = None
) -> bytes:
    """An NTT Number Display frame as on the line: even parity, DLE framing and doubling, CRC.

    The message length counts doubled DLEs, as spandsp does (`length_counts_stuffing=False` gives
    the other reading, for tests). The message type is 0x40 (with ringing) unless `message_type`
    or the `ntt_message_type` extra says 0x42.
    """
    if message_type is None:
        message_type = int(_extra(caller, "ntt_message_type") or "40", 16)
    params = b""
    if caller.date or caller.time:
        params += _param(0x01, _date_time(caller.date, caller.time), 127)
    if caller.number:
        params += _param(0x02, _seven_bit(caller.number), 127)
    elif caller.absence:
        params += _param(0x04, caller.absence[:1].encode("ascii"), 127)
    if caller.name:
        params += _param(0x07, _seven_bit(caller.name), 127)
    elif caller.name_absence:
        params += _param(0x08, caller.name_absence[:1].encode("ascii"), 127)
    dialled = _extra(caller, "dialled_number")
    if dialled:
        params += _param(0x09, _seven_bit(dialled), 127)
    number_type = _extra(caller, "number_type")
    if number_type:
        params += _param(0x21, bytes.fromhex(number_type), 127)
    stuffed = _stuff(params)
    length = len(stuffed) if length_counts_stuffing else len(params)
    if length > 127:
        raise ValueError(f"NTT message is {length} bytes; at most 127 fit a 7-bit length")
    body = _stuff(bytes([message_type, length])) + stuffed
    framed = bytes([ntt.DLE, ntt.SOH, ntt.HEADER, ntt.DLE, ntt.STX]) + body + bytes([ntt.DLE, ntt.ETX])
    wire = ntt.with_parity(framed)
    crc = ntt.crc16_kermit(wire[2:])
    return wire + bytes([crc & 0xFF, crc >> 8])


def _line_value(value: str) -> str:
    return " ".join(value.splitlines()) if value else value


def format_text(caller: CallerID, style: str = "spaced") -> str:
    """The formatted lines a modem prints for this record, CRLF-terminated.

    Styles: "spaced" (`NMBR = x`), "compact" (`NMBR=x`), "oneline" (`--DATE = ..--NMBR = ..--`).
    MESG extras are printed after TIME, before NMBR.
    """
    if style not in ("spaced", "compact", "oneline"):
        raise ValueError(f"unknown text style {style!r}; choose spaced, compact or oneline")
    pairs: list[tuple[str, str]] = []
    if caller.date:
        pairs.append(("DATE", caller.date))
    if caller.time:
        pairs.append(("TIME", caller.time))
    pairs.extend(("MESG", value) for key, value in caller.extras if key == "MESG")
    number = caller.number or caller.absence
    if number:
        pairs.append(("NMBR", number))
    name = caller.name or caller.name_absence
    if name:
        pairs.append(("NAME", name))
    pairs = [(key, _line_value(value)) for key, value in pairs]
    if style == "oneline":
        return "".join(f"--{key} = {value}" for key, value in pairs) + "--\r\n"
    sep = " = " if style == "spaced" else "="
    return "".join(f"{key}{sep}{value}\r\n" for key, value in pairs)
