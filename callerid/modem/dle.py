"""DLE shielding of voice-mode audio (ITU-T V.253 / IS-101).

In voice mode the modem and the host share one byte stream for samples and events: a DLE (0x10)
introduces a code, and a sample that happens to be 0x10 is sent as DLE DLE. `shield` prepares
samples for +VTX; `Unshielder` splits a +VRX stream (or what the modem sends during +VTX) back into
samples and event codes, keeping a trailing lone DLE for the next chunk.
"""

from __future__ import annotations

from dataclasses import dataclass

DLE = 0x10
ETX = 0x03
DLE_BYTE = bytes([DLE])
END_OF_DATA = bytes([DLE, ETX])  # host -> modem: end of +VTX audio; modem -> host: end of +VRX
STOP_RECEIVE = bytes([DLE, ord("!")])  # host -> modem: stop +VRX
ABORT_TRANSMIT = bytes([DLE, 0x18])  # host -> modem: DLE CAN, drop buffered +VTX audio

#: Event codes a modem reports after DLE (V.253 table), and what they mean to a call.
EVENTS = {
    ord("b"): "busy",
    ord("d"): "dial-tone",
    ord("s"): "silence",
    ord("q"): "quiet",
    ord("R"): "ring",
    ord("h"): "handset-on-hook",
    ord("H"): "handset-off-hook",
    ord("c"): "calling-tone",
    ord("e"): "answer-tone",
    ord("u"): "underrun",
    ord("o"): "overrun",
    ETX: "end",
}


def shield(samples: bytes) -> bytes:
    """Double every DLE so the modem plays 0x10 as a sample instead of reading a code."""
    return samples.replace(DLE_BYTE, DLE_BYTE + DLE_BYTE)


@dataclass(frozen=True, slots=True)
class Unshielded:
    samples: bytes
    events: tuple[int, ...]
    end: int | None  # index just past DLE ETX in the chunk fed, when the data ended there


class Unshielder:
    """Incremental inverse of `shield`: feed chunks, get samples and event codes.

    A DLE split across two chunks is remembered. DLE ETX ends the data: `end` says where, and the
    bytes after it (the modem's OK) are left for the command-mode reader.
    """

    __slots__ = ("_pending_dle",)

    def __init__(self) -> None:
        self._pending_dle = False

    def feed(self, data: bytes) -> Unshielded:
        samples = bytearray()
        events: list[int] = []
        i = 0
        if self._pending_dle and data:
            self._pending_dle = False
            if self._code(data[0], samples, events):
                return Unshielded(bytes(samples), tuple(events), 1)
            i = 1
        while i < len(data):
            j = data.find(DLE, i)
            if j < 0:
                samples += data[i:]
                break
            samples += data[i:j]
            if j + 1 >= len(data):
                self._pending_dle = True
                break
            if self._code(data[j + 1], samples, events):
                return Unshielded(bytes(samples), tuple(events), j + 2)
            i = j + 2
        return Unshielded(bytes(samples), tuple(events), None)

    @staticmethod
    def _code(code: int, samples: bytearray, events: list[int]) -> bool:
        """Handle the byte after a DLE; True when it was ETX (end of data)."""
        if code == DLE:
            samples.append(DLE)
            return False
        events.append(code)
        return code == ETX


def event_name(code: int) -> str:
    return EVENTS.get(code, f"0x{code:02x}")


__all__ = [
    "ABORT_TRANSMIT",
    "DLE",
    "END_OF_DATA",
    "ETX",
    "EVENTS",
    "STOP_RECEIVE",
    "Unshielded",
    "Unshielder",
    "event_name",
    "shield",
]
