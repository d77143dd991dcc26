"""Caller-ID FSK audio to message bytes: Bell 202 and V.23, 8N1 and NTT's 7E1.

Why our own demodulator: it lets any cheap voice modem read Japan's Number Display (the
modem records 8 kHz audio; we find the V.23 burst in it), and it rescues lines where a modem's
own caller-ID decoder fails.

How it works, in order (the signal processing is in `fsk_dsp`, the framing in `fsk_frames`):
1. The audio (any rate, any sample type) goes through one FFT: the band around 1700 Hz (the
   centre of both Bell 202 and V.23) is cut out, shifted to 0 Hz and brought to a complex
   baseband at 9600 Hz, 8 samples per bit. That one step removes DC offset, hum and out-of-band
   noise, and copes with any input rate.
2. Bursts are found by their in-band energy against the recording's own noise floor; a sender
   that is off frequency is brought back to the nominal centre, measured from the tones the
   detector names (mark and space apart, preamble and message apart, never the wrong way).
3. A non-coherent sequence detector decides each bit from a three-bit window (five when that
   fails): the baseband is correlated with every phase-continuous waveform of the bit and its
   neighbours, which gains about 3 dB over a one-bit tone detector. The waveforms of Bell 202
   (500 Hz deviation) and V.23 (400 Hz) fit each other's signals badly over three bits, which
   tells the standards apart.
4. The bit clock: first one clock (rate and phase) for the whole burst from the bit-rate line of
   the detector output, then one measured on the message alone (real senders run the seizure at
   1200 bit/s and the message a few percent fast), then a grid that re-synchronises on every
   start bit, as a UART does, for a clock that drifts or characters sent at their own phase.
   When mark and space arrive at different levels (twist), the decision threshold moves to
   half-way between them.
5. Characters are framed, messages cut out and verified (`fsk_frames`: checksum or CRC, fields
   that look like caller ID, no likelier alternative a few bit flips away), and one bit error
   may be corrected with the soft values under the same caution.

Everything is pure: samples in, bytes and `CallerID` records out; numpy is imported lazily.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from callerid.decode import mdmf, ntt
from callerid.decode.fsk_dsp import (
    DEVIATION_HZ,
    FIRST_SPAN,
    MIN_RATE,
    SPB,
    WORK_RATE,
    AudioError,
    as_float_samples,
    baseband,
    bit_clock,
    centre_offset,
    find_bursts,
    fsk_like,
    level_split,
    likely_modems,
    message_clock,
    resync_grid,
    sequence_soft,
    shift,
)
from callerid.decode.fsk_frames import Attempt, prepare, search

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from callerid.model import CallerID

#: Names accepted by `decode_audio` / `demodulate`; "auto" tries them all.
STANDARD_NAMES = ("bell202", "v23", "ntt")

__all__ = [
    "MIN_RATE",
    "STANDARD_NAMES",
    "AudioError",
    "Burst",
    "as_float_samples",
    "decode_audio",
    "decode_stream",
    "demodulate",
    "demodulate_stream",
    "records_of",
]


@dataclass(frozen=True, slots=True)
class Burst:
    """One verified FSK message found in a recording.

    `data` is the message exactly as on the line: Bellcore/ETSI type, length, body, checksum;
    NTT DLE SOH ... DLE ETX CRC with parity bits kept. `corrected_bits` counts bits the
    soft-decision correction flipped (0 for a clean decode).
    """

    standard: str  # "bell202" | "v23" | "ntt"
    data: bytes
    start: float  # seconds into the recording where the message's first start bit is
    end: float
    corrected_bits: int = 0


#: Sampling offsets (in baseband samples, 1/8 bit) tried around a whole-burst bit clock.
PHASE_OFFSETS = (0.0, -1.0, 1.0, -2.0, 2.0)
CHUNK_SECONDS = 20.0
OVERLAP_SECONDS = 4.0  # longer than the longest caller-ID burst (255 bytes at 13 bits is 2.8 s)
#: A message clock this far (relative) from the whole-burst clock is worth its own pass.
CLOCK_DIFFERS = 0.003
#: Centre offsets (Hz) smaller than this are left alone: the detector does not notice them.
CENTRE_TOLERANCE_HZ = 10.0
CENTRE_STEPS = 3
#: No sender is this far off (tones 3 % off move the centre 51 Hz); an estimate beyond it means
#: the burst is something else, and shifting it would only cost time.
MAX_CENTRE_HZ = 150.0


def demodulate(samples: Any, rate: int, standard: str = "auto") -> list[Burst]:
    """Every verified caller-ID message in a recording, in time order.

    `standard` is "auto" (try all three), "bell202", "v23" (ETSI, 8N1) or "ntt" (V.23, 7E1).
    Never raises on odd audio (noise, silence, clipping, a cut-off burst): it finds nothing.
    """
    return list(demodulate_stream([samples], rate, standard))


def demodulate_stream(blocks: Iterable[Any], rate: int, standard: str = "auto") -> Iterator[Burst]:
    """Like `demodulate` for audio that arrives in blocks of any size (a long file, a recording).

    The audio is processed in chunks of CHUNK_SECONDS that overlap by more than the longest
    burst, so memory stays small on a Pi and no burst is cut in two or reported twice.
    """
    if standard != "auto" and standard not in STANDARD_NAMES:
        raise ValueError(f"unknown FSK standard {standard!r}; choose auto, {', '.join(STANDARD_NAMES)}")
    if rate < MIN_RATE:
        raise AudioError(f"sample rate {rate} Hz is too low for caller-ID FSK (need {MIN_RATE})")
    import numpy as np

    wanted = STANDARD_NAMES if standard == "auto" else (standard,)
    chunk = int(CHUNK_SECONDS * rate)
    step = chunk - int(OVERLAP_SECONDS * rate)
    pending: list[np.ndarray] = []
    held = 0  # samples in pending
    at = 0  # sample index of pending[0][0] in the whole recording
    for block in blocks:
        samples = as_float_samples(block)
        pending.append(samples)
        held += len(samples)
        while held >= chunk:
            buffer = np.concatenate(pending)
            for burst in _demodulate_chunk(buffer[:chunk], rate, wanted):
                # A burst that starts in the overlap is left to the next chunk, which sees all of it.
                if burst.start < step / rate:
                    yield _moved(burst, at / rate)
            pending, held, at = [buffer[step:]], len(buffer) - step, at + step
    if held:
        for burst in _demodulate_chunk(np.concatenate(pending), rate, wanted):
            yield _moved(burst, at / rate)


def _moved(burst: Burst, seconds: float) -> Burst:
    return replace(burst, start=burst.start + seconds, end=burst.end + seconds)


#: Decoding passes over a burst, cheapest first; later passes run only when earlier ones found
#: nothing: (detector span in bits, soft-decision correction on?).
PASSES = ((FIRST_SPAN, False), (FIRST_SPAN, True), (5, True))


def _demodulate_chunk(x: np.ndarray, rate: int, wanted: Sequence[str]) -> list[Burst]:
    if len(x) < rate * 0.02:
        return []
    z = baseband(x, rate)
    modems = [m for m in ("bell202", "v23") if m in wanted or (m == "v23" and "ntt" in wanted)]
    results: list[Burst] = []
    for a, b in find_bursts(z):
        results.extend(_decode_segment(z[a:b], a, modems, wanted))
    results.sort(key=lambda burst: burst.start)
    return results


def _decode_segment(
    seg: np.ndarray, offset: int, modems: Sequence[str], wanted: Sequence[str]
) -> list[Burst]:
    """The verified messages in one burst, trying the likelier modem and the cheaper passes first."""
    order = list(modems)
    if len(order) > 1:
        order = likely_modems(seg)
    for modem in order:
        found = _decode_as(seg, offset, modem, wanted)
        if found:
            return found
    return []


def _decode_as(seg: np.ndarray, offset: int, modem: str, wanted: Sequence[str]) -> list[Burst]:
    """The passes for one modem: the tones re-centred first when the sender is off frequency."""
    soft = sequence_soft(seg, DEVIATION_HZ[modem], FIRST_SPAN)
    for _ in range(CENTRE_STEPS):  # each step falls short (never past), so a few converge
        centre = centre_offset(seg, soft[0], DEVIATION_HZ[modem])
        if not CENTRE_TOLERANCE_HZ < abs(centre) <= MAX_CENTRE_HZ:
            break  # close enough, or so far off that this is no caller-ID sender (ringing, speech)
        seg = shift(seg, -centre)  # an exchange or sound card off frequency
        soft = sequence_soft(seg, DEVIATION_HZ[modem], FIRST_SPAN)
    detectors = {FIRST_SPAN: soft}
    like = fsk_like(seg, soft[1])  # not FSK at all: spare the slower passes and clocks
    doubtful = False  # a pass found a message too close to another: never correct one here
    for span, correct in PASSES if like else PASSES[:1]:
        if span not in detectors:
            detectors[span] = sequence_soft(seg, DEVIATION_HZ[modem], span)
        attempt = Attempt(modem, wanted, correct and not doubtful)
        found = _demodulate_burst(seg, offset, attempt, detectors[span], follow=like)
        if found:
            return found
        doubtful = doubtful or attempt.ambiguous
    return []


def _grids(soft: np.ndarray, length: int, follow: bool) -> Iterator[np.ndarray]:
    """Sampling times to try, cheapest and likeliest first (see the module docstring, step 4);
    the clocks that follow a real sender only when `follow` (the burst looks like FSK)."""
    import numpy as np

    period, first = bit_clock(soft)
    count = int((length - 1 - first) / period) + 1
    for phase in PHASE_OFFSETS:
        yield first + phase + period * np.arange(count)
    if not follow:
        return
    message_period, message_first = message_clock(soft)
    if abs(message_period / period - 1.0) > CLOCK_DIFFERS:
        count = int((length - 1 - message_first) / message_period) + 1
        for phase in PHASE_OFFSETS[:3]:
            yield message_first + phase + message_period * np.arange(count)
    yield resync_grid(soft, message_period, message_first)


def _demodulate_burst(
    seg: np.ndarray, offset: int, attempt: Attempt, detector: tuple[np.ndarray, np.ndarray], *, follow: bool
) -> list[Burst]:
    import numpy as np

    soft, strength = detector
    scale = float(np.median(strength[::4])) or 1.0
    grid = np.arange(len(seg))
    for t in _grids(soft, len(seg), follow):
        t = t[(t >= 0) & (t <= len(seg) - 1)]
        if len(t) < 30:
            continue
        values = np.interp(t, grid, soft) / scale
        bits = prepare(values - level_split(values))
        hits = search(bits, attempt)
        if hits:
            out = []
            for hit in hits:
                start = (offset + t[hit.positions[0]] - SPB) / WORK_RATE
                end_bit = min(hit.positions[-1] + 9, len(t) - 1)
                out.append(
                    Burst(
                        hit.standard or attempt.modem,
                        bytes(hit.chars),
                        start,
                        (offset + t[end_bit]) / WORK_RATE,
                        hit.corrected,
                    )
                )
            return out
    return []


def decode_audio(samples: Any, rate: int, standard: str = "auto") -> list[tuple[Burst, CallerID]]:
    """Every caller-ID message in a recording as (burst, CallerID) pairs, in time order.

    Bellcore/ETSI bytes go to `callerid.decode.mdmf.decode_message` (V.23 messages are labelled
    "etsi"), NTT frames to `callerid.decode.ntt.find_frames`. A message the frame decoders
    reject (message waiting, say) gives no record.
    """
    return list(decode_stream([samples], rate, standard))


def decode_stream(
    blocks: Iterable[Any], rate: int, standard: str = "auto"
) -> Iterator[tuple[Burst, CallerID]]:
    """`decode_audio` for audio in blocks (see `demodulate_stream`)."""
    for burst in demodulate_stream(blocks, rate, standard):
        yield from records_of(burst)


def records_of(burst: Burst) -> list[tuple[Burst, CallerID]]:
    """The caller-ID records the frame decoders read from one verified burst."""
    if burst.standard == "ntt":
        return [(burst, caller) for caller in ntt.find_frames(burst.data)]
    # The audio tells Bellcore MDMF (Bell 202) from ETSI (V.23); the bytes alone often cannot.
    expect = None
    if burst.data[:1] == b"\x80":
        expect = "etsi" if burst.standard == "v23" else "mdmf"
    caller = mdmf.decode_message(burst.data, expect=expect)
    return [] if caller is None else [(burst, caller)]
