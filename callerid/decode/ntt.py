"""Japan's NTT Number Display (ナンバー・ディスプレイ) frames.

On the line each byte is 7 data bits plus even parity in bit 7, and a frame is

    DLE SOH header(0x07) DLE STX type length parameters... DLE ETX CRClo CRChi

with every 0x10 inside type, length or parameters doubled (DLE DLE). The CRC is CRC-16 in the
KERMIT style (polynomial 0x8408 reflected, init 0, no final xor), low byte first, over the header
byte through ETX as sent (parity bits and doubled DLEs included). The CRC bytes carry no parity
and are never doubled.

What this decoder accepts, and why:
- Parity: checked and stripped; a parity error fails the CRC (which covers the parity bits) and is
  counted in `extras`. A modem that already stripped the parity (every bit 7 clear; a real frame
  always has a DLE, 0x90 with parity) is fine too: the CRC is then checked over the bytes with even
  parity put back.
- Length: spandsp counts doubled DLEs in the message length; a sender following the other reading
  does not. The end is found by the DLE ETX framing instead, so both are accepted.
- Types 0x40 (caller information with ringing) and 0x42 (notice without ringing) are caller
  records; others are not.
- Parameters 0x01 date/time, 0x02 number, 0x04 reason for no number (P/O/C/S), 0x07 name,
  0x08 reason for no name, 0x09 dialled number, 0x21/0x22 number types (kept in `extras`).
- A frame cut short (no DLE ETX, or no CRC) still yields what it carried, with checksum_ok False.
"""

from __future__ import annotations

import binascii
from collections.abc import Sequence

from callerid.decode.fields import caller_from_params
from callerid.model import CallerID

DLE, SOH, STX, ETX = 0x10, 0x01, 0x02, 0x03
HEADER = 0x07
TYPE_WITH_RINGING = 0x40
TYPE_WITHOUT_RINGING = 0x42
CALLER_TYPES = (TYPE_WITH_RINGING, TYPE_WITHOUT_RINGING)

EXTRA_NAMES = {0x09: "dialled_number", 0x21: "number_type", 0x22: "dialled_number_type"}

_MASK7 = bytes(b & 0x7F for b in range(256))
_REVERSE8 = bytes(int(f"{b:08b}"[::-1], 2) for b in range(256))
_EVEN_PARITY = bytes((b & 0x7F) | ((bin(b & 0x7F).count("1") & 1) << 7) for b in range(256))
_START = bytes([DLE, SOH])


def crc16_kermit(data: bytes) -> int:
    """CRC-16/KERMIT: the reflected CCITT CRC (binascii's crc_hqx on bit-reversed bytes, reversed)."""
    crc = binascii.crc_hqx(data.translate(_REVERSE8), 0)
    return int(f"{crc:016b}"[::-1], 2)


def with_parity(data: bytes) -> bytes:
    """Each byte as 7 data bits plus even parity in bit 7."""
    return data.translate(_EVEN_PARITY)


def strip_parity(data: bytes) -> bytes:
    return data.translate(_MASK7)


def parity_ok(byte: int) -> bool:
    """Does this byte as on the line (7 data bits, bit 7 the parity) have even parity?"""
    return _EVEN_PARITY[byte & 0x7F] == byte


def parity_errors(data: bytes) -> int:
    """Bytes whose bit 7 is not the even parity of the other seven (0 when all parity is stripped)."""
    if all(b < 0x80 for b in data):
        return 0
    return sum(1 for a, b in zip(data, with_parity(data), strict=True) if a != b)


def _scan_to_etx(masked: bytes, pos: int) -> tuple[bytes, int | None, int]:
    """Unstuff from `pos` to DLE ETX: (payload, index just after ETX or None, lone DLEs seen)."""
    out = bytearray()
    lone = 0
    n = len(masked)
    while pos < n:
        nxt = masked.find(DLE, pos)
        if nxt < 0:
            out += masked[pos:]
            return bytes(out), None, lone
        out += masked[pos:nxt]
        follower = masked[nxt + 1] if nxt + 1 < n else None
        if follower == ETX:
            return bytes(out), nxt + 2, lone
        if follower == DLE:
            out.append(DLE)
            pos = nxt + 2
        elif follower == SOH:
            return bytes(out), None, lone  # a new frame starts: this one was cut short
        else:
            if follower is None:
                return bytes(out), None, lone
            out.append(DLE)  # a lone DLE: keep it as data, the CRC will judge
            lone += 1
            pos = nxt + 1
    return bytes(out), None, lone


def decode_frame(data: bytes) -> CallerID | None:
    """One frame (anything before DLE SOH is skipped) -> `CallerID`, or None if it is not a caller record."""
    data = bytes(data)
    masked = strip_parity(data)
    start = masked.find(_START)
    if start < 0 or start + 5 > len(masked):
        return None
    if masked[start + 3] != DLE or masked[start + 4] != STX:
        return None
    header = masked[start + 2]
    payload, end, lone = _scan_to_etx(masked, start + 5)
    if end is None or end + 2 > len(data):
        checksum_ok = False
        raw = data[start:] if end is None else data[start:end]
        covered = raw
    else:
        raw = data[start : end + 2]
        span = data[start + 2 : end]
        sent = data[end] | data[end + 1] << 8
        if all(b < 0x80 for b in span):  # the modem stripped the parity: put it back for the CRC
            span = with_parity(span)
        checksum_ok = crc16_kermit(span) == sent
        covered = data[start:end]
    if len(payload) < 2 or payload[0] not in CALLER_TYPES:
        return None
    return _record(payload, header, checksum_ok, raw, parity_errors(covered), lone)


def _record(
    payload: bytes, header: int, checksum_ok: bool, raw: bytes, bad_parity: int, lone: int
) -> CallerID | None:
    kind = payload[0]
    params: list[tuple[int, bytes]] = []
    pos, body = 0, payload[2:]
    while pos + 2 <= len(body):
        param, length = body[pos], body[pos + 1]
        value = body[pos + 2 : pos + 2 + length]
        pos += 2 + length
        if len(value) < length:
            checksum_ok = False  # runs past DLE ETX
            if not value:
                break
        params.append((param, value))
    tail: list[tuple[str, str]] = []
    if header != HEADER:
        tail.append(("ntt_header", f"{header:02x}"))
    if bad_parity:
        tail.append(("parity_errors", str(bad_parity)))
    if lone:
        tail.append(("unpaired_dle", str(lone)))
    return caller_from_params(
        "ntt",
        params,
        EXTRA_NAMES,
        checksum_ok=checksum_ok,
        raw=raw,
        lead=[("ntt_message_type", f"{kind:02x}")],
        tail=tail,
    )


def frame_spans(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of each frame in a byte stream: DLE SOH to the CRC after DLE ETX.

    A frame cut short by the next DLE SOH (or by the end of the data) ends there.
    """
    masked = strip_parity(bytes(data))
    spans: list[tuple[int, int]] = []
    pos = 0
    while True:
        start = masked.find(_START, pos)
        if start < 0:
            return spans
        _, end, _ = _scan_to_etx(masked, start + 2)
        if end is None:
            nxt = masked.find(_START, start + 2)
            stop = nxt if nxt >= 0 else len(masked)
            spans.append((start, stop))
            pos = stop
        else:
            stop = min(end + 2, len(masked))
            spans.append((start, stop))
            pos = stop


def find_frames(data: bytes) -> list[CallerID]:
    """Every caller record in a byte stream (FSK output, a capture), junk between frames skipped."""
    data = bytes(data)
    out = []
    for start, stop in frame_spans(data):
        record = decode_frame(data[start:stop])
        if record is not None:
            out.append(record)
    return out


def frame_length(chars: Sequence[int]) -> int:
    """Length of a verified frame (DLE SOH ... DLE ETX CRC, parity kept) at the head of `chars`; 0 if none.

    The FSK demodulator's test of a candidate: every byte up to ETX must have even parity, a DLE
    may only be followed by DLE (a doubled 0x10) or STX before the closing DLE ETX, and the CRC
    must match.
    """
    if len(chars) < 9 or chars[0] != DLE | 0x80 or chars[1] != SOH | 0x80:
        return 0
    i = 2
    while i < len(chars) - 3:
        c = chars[i]
        if not parity_ok(c):
            return 0
        if c & 0x7F != DLE:
            i += 1
            continue
        nxt = chars[i + 1]
        if nxt == ETX:  # ETX has even parity already: the two CRC bytes follow
            end = i + 2
            crc = crc16_kermit(bytes(chars[2:end]))
            return end + 2 if chars[end] == crc & 0xFF and chars[end + 1] == crc >> 8 else 0
        if nxt not in (DLE | 0x80, STX | 0x80):
            return 0
        i += 2
    return 0
