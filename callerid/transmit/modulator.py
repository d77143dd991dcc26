"""Caller-ID FSK modulator: message bytes to phase-continuous Bell 202 / V.23 audio.

It exists so that the modem simulator can stream a real Number Display burst and the tests can
check the demodulator (`callerid.decode.fsk`) against known audio. The preambles follow the
standards (and spandsp, our independent oracle): Bellcore and ETSI send a channel seizure of
alternating bits then a run of marks; NTT sends marks only and, as spandsp does, 4 stop bits.
numpy is imported lazily so that importing the decode package stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from callerid.transmit import encode

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from callerid.model import CallerID

BAUD = 1200.0


@dataclass(frozen=True, slots=True)
class Standard:
    """One caller-ID FSK flavour: tones, preamble and character framing."""

    name: str
    mark_hz: float
    space_hz: float
    seizure_bits: int
    mark_bits: int
    stop_bits: int


#: The three standards by the names the CLI uses.
STANDARDS: dict[str, Standard] = {
    # GR-30: 30 bytes of 0x55 (300 alternating bits) then 180 marks; 8N1.
    "bell202": Standard("bell202", 1200.0, 2200.0, seizure_bits=300, mark_bits=180, stop_bits=1),
    # EN 300 659-1: 300 alternating bits then 180 +/- 25 marks; 8N1.
    "v23": Standard("v23", 1300.0, 2100.0, seizure_bits=300, mark_bits=180, stop_bits=1),
    # NTT: no seizure, about 75 marks, 7E1 bytes (parity in bit 7); spandsp sends 4 stop bits.
    "ntt": Standard("ntt", 1300.0, 2100.0, seizure_bits=0, mark_bits=75, stop_bits=4),
}


def message_bits(
    data: bytes,
    standard: str | Standard,
    *,
    seizure_bits: int | None = None,
    mark_bits: int | None = None,
    stop_bits: int | None = None,
    postamble_bits: int = 5,
) -> list[int]:
    """The bit sequence on the line (1 = mark), LSB first, start bit 0, stop bits 1."""
    std = STANDARDS[standard] if isinstance(standard, str) else standard
    seizure = std.seizure_bits if seizure_bits is None else seizure_bits
    marks = std.mark_bits if mark_bits is None else mark_bits
    stops = std.stop_bits if stop_bits is None else stop_bits
    bits = [i & 1 for i in range(seizure)]  # 0101..., as spandsp starts it
    bits += [1] * marks
    for byte in data:
        bits.append(0)
        bits += [(byte >> k) & 1 for k in range(8)]
        bits += [1] * stops
    bits += [1] * postamble_bits
    return bits


def modulate(
    data: bytes,
    standard: str | Standard = "bell202",
    rate: int = 8000,
    *,
    level_dbfs: float = -12.0,
    seizure_bits: int | None = None,
    mark_bits: int | None = None,
    stop_bits: int | None = None,
    postamble_bits: int = 5,
    freq_scale: float = 1.0,
    freq_offset_hz: float = 0.0,
    baud_scale: float = 1.0,
    preamble_baud_scale: float | None = None,
    drift: float = 0.0,
    phase: float = 0.0,
) -> np.ndarray:
    """Phase-continuous FSK audio (float64, full scale 1.0) for one message.

    `level_dbfs` is the RMS level relative to a full-scale sine's RMS (so -3 dBFS peaks at 0.71).
    `freq_scale`, `freq_offset_hz` and `baud_scale` model an exchange or sound card that is off
    by a few percent; the demodulator must cope with them. Real senders run the channel seizure
    and the message at different rates: `preamble_baud_scale` (default: `baud_scale`) sets the
    seizure and marks apart, and `drift` lets the message clock slide linearly from `baud_scale`
    to `baud_scale * (1 + drift)` by its last bit.
    """
    import numpy as np

    std = STANDARDS[standard] if isinstance(standard, str) else standard
    if rate < 2 * std.space_hz * max(freq_scale, 1.0) + 200:
        raise ValueError(f"sample rate {rate} Hz is too low for {std.space_hz:.0f} Hz tones")
    bits = np.asarray(
        message_bits(
            data,
            std,
            seizure_bits=seizure_bits,
            mark_bits=mark_bits,
            stop_bits=stop_bits,
            postamble_bits=postamble_bits,
        ),
        dtype=np.int8,
    )
    preamble = std.seizure_bits if seizure_bits is None else seizure_bits
    preamble += std.mark_bits if mark_bits is None else mark_bits
    scales = np.full(len(bits), float(baud_scale))
    scales[:preamble] = baud_scale if preamble_baud_scale is None else preamble_baud_scale
    message = len(bits) - preamble
    if drift and message > 0:
        scales[preamble:] *= 1.0 + drift * np.arange(message) / message
    edges = np.concatenate(([0.0], np.cumsum(1.0 / (BAUD * scales))))  # seconds
    n_samples = int(np.ceil(edges[-1] * rate))
    times = np.arange(n_samples) / rate
    bit_index = np.minimum(np.searchsorted(edges, times, side="right") - 1, len(bits) - 1)
    freqs = np.where(bits[bit_index] == 1, std.mark_hz, std.space_hz) * freq_scale + freq_offset_hz
    # Phase accumulates sample by sample: the waveform never jumps at a bit boundary.
    phases = phase + 2 * np.pi * np.cumsum(freqs) / rate
    amplitude = 10 ** (level_dbfs / 20.0)  # a sine at 0 dBFS just reaches full scale
    return amplitude * np.sin(phases)


def caller_audio(caller: CallerID, standard: str = "ntt", rate: int = 8000, **kwargs: float) -> np.ndarray:
    """Audio of a whole caller-ID message for `caller`, encoded per `standard`.

    bell202 sends Bellcore MDMF, v23 sends ETSI call set-up, ntt sends an NTT Number Display frame
    (as the simulator plays it during the CAR sequence).
    """

    if standard == "bell202":
        data = encode.encode_mdmf(caller)
    elif standard == "v23":
        data = encode.encode_etsi(caller)
    elif standard == "ntt":
        data = encode.encode_ntt(caller)
    else:
        raise ValueError(f"unknown FSK standard {standard!r}; choose bell202, v23 or ntt")
    return modulate(data, standard, rate, **kwargs)


def to_pcm(samples: np.ndarray, width: int = 2) -> bytes:
    """Float audio to little-endian PCM bytes: width 2 is int16, width 1 is unsigned 8-bit (WAV, USR)."""
    import numpy as np

    clipped = np.clip(samples, -1.0, 32767 / 32768)
    if width == 2:
        return np.round(clipped * 32768).astype("<i2").tobytes()
    if width == 1:
        return np.clip(np.round(clipped * 128 + 128), 0, 255).astype(np.uint8).tobytes()
    raise ValueError(f"unsupported sample width {width}; use 1 or 2 bytes")
