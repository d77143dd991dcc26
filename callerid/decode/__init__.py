"""Caller-ID wire formats to `CallerID` records: pure functions and state machines, no I/O, no clock.

- `lines`: bytes from the modem to text lines (any line ending, any encoding damage).
- `text`: formatted modem output (`AT+VCID=1`, `AT#CID=1`) assembled into records.
- `mdmf`: Bellcore SDMF/MDMF and ETSI messages; `ntt`: Japan's Number Display frames.
- `hexline`: the hex lines `AT+VCID=2` prints, auto-detected between the binary kinds.
- `stream`: `CallerIDStream`, the one object the modem driver feeds with everything it reads.
- `fsk` (with `fsk_dsp`, `fsk_frames`): FSK audio to messages.

The reverse direction (encoders, FSK modulator) lives apart, in `callerid.transmit`.

Time is always passed in (`now`, in seconds on any monotonic clock) so that tests and
`callerid parse` can replay input without waiting.
"""

from __future__ import annotations

from callerid.decode.stream import CallerIDStream

__all__ = ["CallerIDStream"]


def __getattr__(name: str):  # noqa: ANN202 - lazy re-export, so importing one decoder stays cheap
    if name == "CallerIDStream":

        return CallerIDStream
    raise AttributeError(name)
