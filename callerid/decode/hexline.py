"""Hex lines as `AT+VCID=2` prints them: which binary kind is it, and what does it say.

A line is hex when, spaces removed, it is an even number (at least 6) of hex digits. NTT frames
are recognised by DLE SOH (with or without parity) at the start, or later in a line that does not
start like an SDMF/MDMF/ETSI message; anything else is tried as an SDMF/MDMF/ETSI message (see
`mdmf`'s rule for telling MDMF from ETSI).
"""

from __future__ import annotations

import string

from callerid.decode import mdmf, ntt
from callerid.model import CallerID

_HEX = frozenset(string.hexdigits)


def hex_bytes(text: str) -> bytes | None:
    """The bytes a hex line spells, or None when the line is not (only) hex."""
    compact = "".join(text.split())
    if compact[:2] in ("0x", "0X"):
        compact = compact[2:]
    if len(compact) < 6 or len(compact) % 2 or not _HEX.issuperset(compact):
        return None
    return bytes.fromhex(compact)


def _looks_ntt(data: bytes) -> bool:
    """NTT when the line starts with DLE SOH, or when it does not start like an SDMF/MDMF/ETSI
    message (after any channel seizure or marks) but has a DLE SOH further on. Looking only at
    the start matters: an MDMF message of length 0x10 has the bytes 10 01 right after its type."""
    if ntt.strip_parity(data[:2]) == b"\x10\x01":
        return True
    first = data.lstrip(b"\x55\xff")[:1]
    if first and first[0] in (mdmf.SDMF, mdmf.MDMF, *mdmf.NOT_CALLER_RECORDS):
        return False
    return ntt.strip_parity(data).find(b"\x10\x01") >= 0


def decode_hex_all(text: str, force_format: str | None = None) -> list[CallerID]:
    """Every caller record on one hex line (normally one); [] when there is none."""
    data = hex_bytes(text)
    if data is None:
        return []
    if force_format == "ntt" or (force_format is None and _looks_ntt(data)):
        return ntt.find_frames(data)
    if force_format not in (None, "sdmf", "mdmf", "etsi"):
        return []
    record = mdmf.decode_message(data, expect=force_format)
    return [record] if record is not None else []


def decode_hex(text: str, force_format: str | None = None) -> CallerID | None:
    """The caller record on one hex line, or None."""
    records = decode_hex_all(text, force_format)
    return records[0] if records else None
