"""Caller-ID FSK audio to message bytes: Bell 202 and V.23, 8N1 and NTT's 7E1.

Why our own demodulator: it lets any cheap voice modem read Japan's Number Display (the
modem records 8 kHz audio; we find the V.23 burst in it), and it rescues lines where a modem's
own caller-ID decoder fails.

How it works, in order:
1. The audio (any rate, any sample type) goes through one FFT: the band around 1700 Hz (the
   centre of both Bell 202 and V.23) is cut out, shifted to 0 Hz and brought to a complex
   baseband at 9600 Hz, 8 samples per bit. That one step removes DC offset, hum and out-of-band
   noise, and copes with any input rate.
2. Bursts are found by their in-band energy against the recording's own noise floor; a sender
   that is off frequency is brought back to the nominal centre.
3. A non-coherent sequence detector decides each bit from a three-bit window (five when that
   fails): the baseband is correlated with every phase-continuous waveform of the bit and its
   neighbours, which gains about 3 dB over a one-bit tone detector. The waveforms of Bell 202
   (500 Hz deviation) and V.23 (400 Hz) fit each other's signals badly over three bits, which
   tells the standards apart.
4. The bit clock (rate and phase, so a clock a few percent off is tracked) comes from the
   bit-rate line of the detector output over the whole burst; bits are sampled at a few
   phases around it.
5. Characters are framed (start bit, 8 bits, stop bits, as a UART would, and also on fixed
   strides), messages are cut out (Bellcore/ETSI by type and length, NTT by DLE framing) and
   kept only if their checksum or CRC verifies and their fields look like caller ID. An 8-bit
   sum is weak, so a Bellcore/ETSI message must also be far likelier than any other plausible
   message two bit flips away. If nothing verifies, one bit error that the checksum (or an NTT
   parity bit) pins down may be corrected with the soft values, under the same caution.

Everything is pure: samples in, bytes and `CallerID` records out; numpy is imported lazily.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from callerid.model import CallerID

#: Names accepted by `decode_audio` / `demodulate`; "auto" tries them all.
STANDARD_NAMES = ("bell202", "v23", "ntt")

BAUD = 1200.0
WORK_RATE = 9600  # complex baseband rate: 8 samples per bit
SPB = 8
CENTRE_HZ = 1700.0  # (1200 + 2200) / 2 == (1300 + 2100) / 2
DEVIATION_HZ = {"bell202": 500.0, "v23": 400.0}
#: Band kept around the centre: flat to PASS_HZ, raised-cosine down to STOP_HZ.
PASS_HZ = 1100.0
STOP_HZ = 1500.0
MIN_RATE = 5600  # below this the 2200 Hz space tone cannot be represented

DLE = 0x10


class AudioError(ValueError):
    """The audio cannot be read or is not something we can demodulate (one clear line)."""


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


# ---------------------------------------------------------------------------------------------
# Input: sample arrays (reading WAV files is `callerid.wavfile`'s job: this package does no I/O)


def as_float_samples(samples: Any) -> np.ndarray:
    """Any sample array to mono float64 with full scale 1.0.

    int16 and other signed integers scale by their range; uint8 is offset binary (128 = 0), as
    in WAV files and USR voice modems; floats pass through. A 2-D array is (frames, channels).
    """
    import numpy as np

    arr = np.asarray(samples)
    if arr.ndim == 2:
        arr = arr.astype(np.float64) if arr.dtype.kind == "f" else _int_to_float(arr)
        arr = arr.mean(axis=1)
        return np.nan_to_num(arr, nan=0.0, posinf=0.0, neginf=0.0)
    if arr.ndim != 1:
        raise AudioError(f"audio must be a 1-D (mono) or 2-D (frames, channels) array, not {arr.ndim}-D")
    if arr.dtype.kind == "f":
        return np.nan_to_num(arr.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    if arr.dtype.kind in "iub":
        return _int_to_float(arr)
    raise AudioError(f"unsupported sample type {arr.dtype}")


def _int_to_float(arr: np.ndarray) -> np.ndarray:
    import numpy as np

    if arr.dtype == np.uint8:
        return (arr.astype(np.float64) - 128.0) / 128.0
    if arr.dtype.kind == "b":
        return arr.astype(np.float64)
    info = np.iinfo(arr.dtype)
    if arr.dtype.kind == "u":
        mid = (int(info.max) + 1) / 2
        return (arr.astype(np.float64) - mid) / mid
    return arr.astype(np.float64) / float(-int(info.min))


# ---------------------------------------------------------------------------------------------
# Front end: one FFT to a band-limited complex baseband at WORK_RATE


def _smooth_at_least(k: int) -> int:
    """Smallest integer >= k with no prime factor above 5 (fast FFT sizes)."""
    k = max(1, k)
    while True:
        m = k
        for p in (2, 3, 5):
            while m % p == 0:
                m //= p
        if m == 1:
            return k
        k += 1


def baseband(x: np.ndarray, rate: int) -> np.ndarray:
    """Complex baseband at WORK_RATE of the 1700 Hz band of `x` (float samples at `rate`)."""
    import numpy as np

    if rate < MIN_RATE:
        raise AudioError(f"sample rate {rate} Hz is too low for caller-ID FSK (need {MIN_RATE})")
    g = math.gcd(int(rate), WORK_RATE)
    in_step, out_step = int(rate) // g, WORK_RATE // g
    # Input and output FFT sizes with equal bin spacing (n_in / rate == n_out / WORK_RATE), and
    # a cofactor with small primes only so that both FFTs stay fast.
    k = _smooth_at_least(-(-(len(x) + 64) // in_step))
    n_in, n_out = k * in_step, k * out_step
    spectrum = np.fft.rfft(x, n_in)
    bin_hz = rate / n_in
    lo = max(1, int(math.floor((CENTRE_HZ - STOP_HZ) / bin_hz)))
    hi = min(len(spectrum) - 1, int(math.ceil((CENTRE_HZ + STOP_HZ) / bin_hz)))
    freqs = np.arange(lo, hi + 1) * bin_hz - CENTRE_HZ
    offset = np.abs(freqs)
    taper = np.where(
        offset <= PASS_HZ,
        1.0,
        0.5 * (1 + np.cos(np.pi * np.clip((offset - PASS_HZ) / (STOP_HZ - PASS_HZ), 0, 1))),
    )
    out = np.zeros(n_out, dtype=np.complex128)
    centre_bin = CENTRE_HZ / bin_hz
    # Bin j of the input lands at j - centre_bin; centre_bin may be fractional, so shift in time.
    shift = int(round(centre_bin))
    idx = (np.arange(lo, hi + 1) - shift) % n_out
    out[idx] = spectrum[lo : hi + 1] * taper
    z = np.fft.ifft(out) * (2.0 * n_out / n_in)
    residual = centre_bin - shift
    if abs(residual) > 1e-9:
        z *= np.exp(-2j * np.pi * residual * np.arange(n_out) / n_out)
    return z[: int(len(x) * WORK_RATE / rate)]


# ---------------------------------------------------------------------------------------------
# Detector, bursts and bit timing


@functools.lru_cache(maxsize=8)
def _templates(deviation_hz: float, span: int) -> tuple[np.ndarray, np.ndarray]:
    """Every phase-continuous FSK waveform `span` bits long (conjugated, one per column), and
    which of them have a mark in the middle bit."""
    import numpy as np

    patterns = (np.arange(1 << span)[:, None] >> np.arange(span - 1, -1, -1)[None, :]) & 1  # 1 = mark
    freqs = np.repeat(np.where(patterns == 1, -deviation_hz, deviation_hz), SPB, axis=1)
    waves = np.exp(2j * np.pi * np.cumsum(freqs, axis=1) / WORK_RATE)
    return np.conj(waves).T.astype(np.complex64), patterns[:, span // 2] == 1


def sequence_soft(
    z: np.ndarray, deviation_hz: float, span: int = 3, step: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Soft decision and signal strength for the bit ending at every `step`-th sample.

    A non-coherent detector over `span` bits (the bit and its neighbours): the baseband is
    correlated with every phase-continuous waveform those bits could make, and the best
    waveform with a mark in the middle is weighed against the best with a space. Looking at
    the neighbours recovers what a one-bit detector loses where the tones are not orthogonal
    (V.23's 800 Hz spacing at 1200 bit/s), worth about 3 dB at low SNR. Returns (soft, strength):
    soft > 0 means mark; strength is the best correlation, for level-independent scaling.
    """
    import numpy as np
    from numpy.lib.stride_tricks import sliding_window_view

    width = span * SPB
    before = (span // 2 + 1) * SPB - 1  # so that output n is the middle bit ending at sample n
    after = width - 1 - before
    conj_waves, mark_mid = _templates(float(deviation_hz), span)
    padded = np.concatenate((np.zeros(before), z, np.zeros(after))).astype(np.complex64)
    soft_parts, strength_parts = [], []
    block = 8192 * step  # bounded memory on long bursts
    for at in range(0, len(z), block):
        windows = sliding_window_view(padded[at : at + block + width - 1], width)[::step]
        corr = windows @ conj_waves
        power = corr.real**2 + corr.imag**2
        best_mark = np.sqrt(power[:, mark_mid].max(axis=1))
        best_space = np.sqrt(power[:, ~mark_mid].max(axis=1))
        soft_parts.append(best_mark - best_space)
        strength_parts.append(np.maximum(best_mark, best_space))
    if not soft_parts:
        return np.zeros(0), np.zeros(0)
    return (
        np.concatenate(soft_parts).astype(np.float64),
        np.concatenate(strength_parts).astype(np.float64),
    )


def _smooth(v: np.ndarray, width: int) -> np.ndarray:
    import numpy as np

    if width <= 1 or len(v) == 0:
        return v
    c = np.concatenate(([0.0], np.cumsum(v)))
    half = width // 2
    lo = np.clip(np.arange(len(v)) - half, 0, len(v))
    hi = np.clip(np.arange(len(v)) + width - half, 0, len(v))
    return (c[hi] - c[lo]) / np.maximum(hi - lo, 1)


def find_bursts(z: np.ndarray) -> list[tuple[int, int]]:
    """Sample ranges of the baseband where in-band energy stands clear of the noise floor."""
    import numpy as np

    if len(z) < 4 * SPB:
        return []
    power = _smooth(z.real**2 + z.imag**2, 10 * SPB)  # about 8 ms
    peak = float(power.max())
    if peak <= 1e-12:  # digital silence
        return []
    tenth = len(power) // 10
    floor = float(np.partition(power, tenth)[tenth])
    threshold = max(floor * 3.0, peak * 1e-4, 1e-10)
    if floor * 3.0 >= peak * 0.5:
        # No quiet part to measure a floor against: the whole recording may be one burst.
        return [(0, len(z))]
    above = power > threshold
    edges = np.flatnonzero(np.diff(np.concatenate(([0], above.astype(np.int8), [0]))))
    spans = list(zip(edges[0::2].tolist(), edges[1::2].tolist(), strict=True))
    merged: list[list[int]] = []
    for a, b in spans:
        if merged and a - merged[-1][1] < 40 * SPB:  # gaps under ~33 ms are fades, not pauses
            merged[-1][1] = b
        else:
            merged.append([a, b])
    pad = 4 * SPB
    return [(max(0, a - pad), min(len(z), b + pad)) for a, b in merged if b - a >= 16 * SPB]


CLOCK_BLOCK = 8 * SPB  # samples per block in the clock estimate (8 bits)


def bit_clock(soft: np.ndarray, max_offset: float = 0.05) -> tuple[float, float]:
    """Samples per bit and the first aligned sample index, from the bit-rate line of soft**2.

    The correlator output is largest where its one-bit window lines up with a bit, so its
    square carries a line at the bit rate. Its phase is measured in 8-bit blocks; the rotation
    from block to block (averaged over lags 1, 2, 4, ... so no unwrapping is needed) gives the
    clock rate, and the phase of the whole burst at that rate gives the alignment. Blocks of
    steady marks carry no line and so no weight.
    """
    import numpy as np

    y = soft * soft
    y = y - y.mean()
    n = np.arange(len(y))
    blocks = len(y) // CLOCK_BLOCK
    cycles = 1.0 / SPB  # cycles per sample of the line at the nominal rate
    if blocks >= 2:
        line = y[: blocks * CLOCK_BLOCK] * np.exp(-2j * np.pi * n[: blocks * CLOCK_BLOCK] / SPB)
        per_block = line.reshape(blocks, CLOCK_BLOCK).sum(axis=1)
        rotation = 0.0  # radians per block, relative to the nominal rate
        lag = 1
        while lag < blocks:
            pairs = per_block[lag:] * np.conj(per_block[:-lag]) * np.exp(-1j * rotation * lag)
            rotation += float(np.angle(pairs.sum())) / lag
            lag *= 2
        cycles += rotation / (2 * np.pi * CLOCK_BLOCK)
        cycles = min(max(cycles, (1 - max_offset) / SPB), (1 + max_offset) / SPB)
    period = 1.0 / cycles
    phasor = np.dot(y, np.exp(-2j * np.pi * n * cycles))
    # Aligned samples are where the line peaks: 2*pi*n/period + angle == 0 (mod 2*pi).
    first = (-np.angle(phasor) / (2 * np.pi)) * period % period
    return period, first


# ---------------------------------------------------------------------------------------------
# Bits to characters


MAX_GAP_BITS = 40  # marks allowed between characters before we call the message ended
MIN_LEAD_MARKS = 8  # marks before the first start bit of a message


@dataclass(slots=True)
class _Bits:
    """One sampling of a burst: hard and soft bits plus lookup tables that make framing cheap."""

    hard: list[int]  # 1 = mark
    soft: list[float]  # > 0 mark; magnitude = confidence
    byte_at: list[int]  # the 8 bits after a start bit at each index, LSB first
    next_space: list[int]  # index of the first space at or after each index (len: none)
    starts: list[int]  # start bits that follow at least MIN_LEAD_MARKS marks


def _prepare(values: np.ndarray) -> _Bits:
    import numpy as np

    hard = (values > 0).astype(np.int64)
    n = len(hard)
    byte_at = np.zeros(n, dtype=np.int64)
    if n > 9:
        for k in range(8):
            byte_at[: n - 9] += hard[1 + k : n - 8 + k] << k
    idx = np.where(hard == 0, np.arange(n), n)
    next_space = np.minimum.accumulate(idx[::-1])[::-1] if n else idx
    ones = np.concatenate(([0], np.cumsum(hard)))
    lead = np.zeros(n, dtype=bool)
    if n > MIN_LEAD_MARKS:
        lead[MIN_LEAD_MARKS:] = (ones[MIN_LEAD_MARKS:n] - ones[: n - MIN_LEAD_MARKS]) == MIN_LEAD_MARKS
    starts = np.flatnonzero(lead & (hard == 0))
    return _Bits(hard.tolist(), values.tolist(), byte_at.tolist(), next_space.tolist(), starts.tolist())


def _frame(bits: _Bits, start: int, stride: int | None, count: int) -> list[int]:
    """Bit indices of up to `count` start bits from `start`.

    With `stride` None each next start bit is the first space after the stop bit (a real UART);
    with a stride, characters are taken every `stride` bits (a synchronous sender's spacing),
    which survives a start bit hit by noise.
    """
    out: list[int] = []
    n = len(bits.hard)
    p = start
    while len(out) < count and p + 9 < n:
        out.append(p)
        if stride is not None:
            p += stride
            continue
        q = p + 10
        if q >= n:
            break
        nxt = bits.next_space[q]
        if nxt - q > MAX_GAP_BITS or nxt >= n:
            break
        p = nxt
    return out


# ---------------------------------------------------------------------------------------------
# Message checks: a checksum alone (8 bits) lets too many noisy decodes through, so the fields
# must also look like caller ID (digits where digits belong, a real date, printable names).


#: Bellcore/ETSI message types we look for: SDMF and MDMF caller ID, MDMF message waiting.
BELLCORE_TYPES = frozenset({0x04, 0x80, 0x82})
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


def bellcore_plausible(chars: Sequence[int]) -> bool:
    """A whole Bellcore/ETSI message (type, length, body, checksum) that verifies and looks right."""
    if len(chars) < 4 or chars[0] not in BELLCORE_TYPES or chars[1] + 3 != len(chars):
        return False
    if sum(chars) & 0xFF:
        return False
    body = chars[2:-1]
    if chars[0] == 0x04:  # SDMF: MMDDhhmm then the number or a reason letter
        return len(body) > 8 and _date_ok(body[:8]) and _number_ok(body[8:])
    i = 0
    while i < len(body):
        if i + 2 > len(body) or body[i + 1] == 0 or i + 2 + body[i + 1] > len(body):
            return False
        if body[i] == 0 or not _param_ok(body[i], body[i + 2 : i + 2 + body[i + 1]]):
            return False
        i += 2 + body[i + 1]
    return True


def _crc_kermit(data: Iterable[int]) -> int:
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc


def _parity_ok(byte: int) -> bool:
    return bin(byte).count("1") % 2 == 0


def ntt_frame_length(chars: Sequence[int]) -> int:
    """Length of a verified NTT frame (DLE SOH ... DLE ETX CRC) at the head of `chars`; 0 if none."""
    if len(chars) < 9 or chars[0] != 0x90 or chars[1] != 0x81:
        return 0
    i = 2
    while i < len(chars) - 3:
        c = chars[i]
        if not _parity_ok(c):
            return 0
        if c & 0x7F != DLE:
            i += 1
            continue
        nxt = chars[i + 1]
        if nxt == 0x03:  # DLE ETX (ETX has even parity already): the two CRC bytes follow
            end = i + 2
            crc = _crc_kermit(chars[2:end])
            return end + 2 if chars[end] == crc & 0xFF and chars[end + 1] == crc >> 8 else 0
        if nxt not in (0x90, 0x82):  # only DLE DLE (a doubled 0x10) and DLE STX may follow a DLE
            return 0
        i += 2
    return 0


# ---------------------------------------------------------------------------------------------
# Message search


@dataclass(slots=True)
class _Found:
    standard: str
    chars: list[int]
    positions: list[int]  # bit index of each character's start bit
    corrected: int = 0


@dataclass(slots=True)
class _Attempt:
    """What one pass over a burst looks for, and what it learnt on the way."""

    modem: str
    wanted: Sequence[str]
    correct: bool  # try soft-decision correction
    ambiguous: bool = False  # a message verified but was too close to another: do not correct


def _search(bits: _Bits, attempt: _Attempt) -> list[_Found]:
    """Every verified message in one sampling of a burst, left to right."""
    found: list[_Found] = []
    resume = 0
    for p in bits.starts:
        if p < resume:
            continue
        hit = _message_at(bits, p, attempt)
        if hit is not None:
            found.append(hit)
            resume = hit.positions[-1] + 10
    return found


def _message_at(bits: _Bits, p: int, attempt: _Attempt) -> _Found | None:
    first = bits.byte_at[p]
    bellcore = first in BELLCORE_TYPES and attempt.modem in attempt.wanted
    ntt = first == 0x90 and attempt.modem == "v23" and "ntt" in attempt.wanted
    if not (bellcore or ntt):
        return None
    for stride in (None, 10, 13):
        head = _frame(bits, p, stride, 2)
        if len(head) < 2:
            return None
        if bellcore:
            positions = _frame(bits, p, stride, bits.byte_at[head[1]] + 3)
            chars = [bits.byte_at[i] for i in positions]
            if bellcore_plausible(chars):
                if _unambiguous(bits, chars, positions):
                    return _Found(attempt.modem, chars, positions)
                attempt.ambiguous = True
                continue
            if attempt.correct and not attempt.ambiguous:
                fixed = _correct_bellcore(bits, chars, positions)
                if fixed is not None:
                    return fixed
        elif bits.byte_at[head[1]] == 0x81:
            positions = _frame(bits, p, stride, 300)
            chars = [bits.byte_at[i] for i in positions]
            size = ntt_frame_length(chars)
            if size:
                return _Found("ntt", chars[:size], positions[:size])
            if attempt.correct and (fixed := _correct_ntt(bits, chars, positions)) is not None:
                return fixed
    return None


#: A Bellcore/ETSI decode is kept only if every other plausible message within three bit flips
#: is at least this much less likely. The 8-bit sum cannot see errors that cancel ('1' -> '5'
#: with '4' -> '0'), and with several sampling phases tried such decodes would otherwise slip
#: through at low SNR. The Gaussian model behind the figure is optimistic in the tail (measured
#: at 3 dB SNR: bits it rates at 6-8 nats are wrong about 0.5 % of the time, not 0.1 %), hence a
#: margin of 8 "Gaussian nats" rather than the 5 that would mean 1 % on paper.
MIN_MARGIN_NATS = 8.0
_PAIR_POOL = 24  # least reliable bits searched for cancelling pairs
_TRIPLE_POOL = 14  # ... and for cancelling triples
#: After a one-bit correction, no other data bit may be less certain than this (nats).
CORRECTION_MIN_NATS = 5.0


def _data_bits(bits: _Bits, chars: Sequence[int], positions: Sequence[int]) -> list[tuple[float, int, int]]:
    """(signed soft value agreeing with the decoded bit, char index, bit) for body and checksum."""
    out = []
    for i in range(2, len(chars)):
        base = positions[i] + 1
        for k in range(8):
            s = bits.soft[base + k]
            out.append((s if (chars[i] >> k) & 1 else -s, i, k))
    return out


def _llr_gain(values: Sequence[float]) -> float:
    """Scale from soft values to log-likelihood ratios (Gaussian model fitted to this message)."""
    n = len(values)
    mean = sum(values) / n
    var = sum((v - mean) ** 2 for v in values) / max(n - 1, 1)
    return 2.0 * mean / var if var > 0 and mean > 0 else 0.0


def _alternative_cost(chars: Sequence[int], pool: Sequence[tuple[float, int, int]]) -> float:
    """Lowest LLR cost of two or three flips among `pool` whose sum changes cancel, leaving a
    message that still verifies and looks plausible (inf: none).

    Flipping bit k of a byte changes the sum by +2**k (0 -> 1) or -2**k (1 -> 0); combinations
    that add up to 0 mod 256 ('1' -> '5' with '4' -> '0'; +1 +1 -2; bit 7 twice) fool the checksum.
    """
    flips = [(cost, i, 1 << k, -(1 << k) if (chars[i] >> k) & 1 else 1 << k) for cost, i, k in pool]
    best = math.inf

    def consider(total: float, chosen: Sequence[tuple[float, int, int, int]]) -> None:
        nonlocal best
        other = list(chars)
        for _, i, mask, _ in chosen:
            other[i] ^= mask
        if bellcore_plausible(other):
            best = total

    for x, a in enumerate(flips):
        if a[0] >= best:
            break
        for y in range(x + 1, len(flips)):
            b = flips[y]
            if a[0] + b[0] >= best:
                break
            if (a[3] + b[3]) % 256 == 0:
                consider(a[0] + b[0], (a, b))
            for c in flips[y + 1 : _TRIPLE_POOL]:
                if a[0] + b[0] + c[0] >= best:
                    break
                if (a[3] + b[3] + c[3]) % 256 == 0:
                    consider(a[0] + b[0] + c[0], (a, b, c))
    return best


def _ambiguity(bits: _Bits, chars: Sequence[int], positions: Sequence[int]) -> float:
    """LLR cost (nats) of the likeliest other plausible message two or three flips away."""
    data = _data_bits(bits, chars, positions)
    gain = _llr_gain([v for v, _, _ in data])
    if gain <= 0:
        return 0.0
    pool = sorted((max(v, 0.0) * gain, i, k) for v, i, k in data)[:_PAIR_POOL]
    return _alternative_cost(chars, pool)


def _unambiguous(bits: _Bits, chars: Sequence[int], positions: Sequence[int]) -> bool:
    return _ambiguity(bits, chars, positions) >= MIN_MARGIN_NATS


def _correct_bellcore(bits: _Bits, chars: list[int], positions: list[int]) -> _Found | None:
    """Fix one bit error that the checksum pins down, when the choice is clear.

    A single flipped bit k changes the byte sum by +/- 2**k, so the checksum residue names the bit
    position and direction; among the characters that could hold it (not type or length, which
    would have changed the framing) we flip the one the demodulator was least sure of, provided
    the next candidate, and any cancelling pair on the result, are far less likely.
    """
    if len(chars) < 4 or chars[0] not in BELLCORE_TYPES or chars[1] + 3 != len(chars):
        return None
    residue = sum(chars) & 0xFF
    if residue == 0:
        return None
    data = _data_bits(bits, chars, positions)
    gain = _llr_gain([abs(v) for v, _, _ in data])
    if gain <= 0:
        return None
    options: list[tuple[float, int, int]] = []
    for v, i, k in data:
        received_one = (chars[i] >> k) & 1
        if residue == ((1 << k) if received_one else (256 - (1 << k)) & 0xFF):
            options.append((abs(v) * gain, i, k))
    if not options:
        return None
    options.sort()
    cost, i, k = options[0]
    if len(options) > 1 and options[1][0] - cost < MIN_MARGIN_NATS:
        return None
    # The correction spends the checksum, so every other bit must be beyond doubt.
    if min(abs(v) * gain for v, j, b in data if (j, b) != (i, k)) < CORRECTION_MIN_NATS:
        return None
    fixed = list(chars)
    fixed[i] ^= 1 << k
    if not bellcore_plausible(fixed):
        return None
    fixed_data = _data_bits(bits, fixed, positions)
    pool = sorted((max(v, 0.0) * gain, j, b) for v, j, b in fixed_data)[:_PAIR_POOL]
    if _alternative_cost(fixed, pool) < MIN_MARGIN_NATS:
        return None
    return _Found("", fixed, positions, corrected=1)


def _correct_ntt(bits: _Bits, chars: list[int], positions: list[int]) -> _Found | None:
    """Flip the least reliable bit of each character whose parity fails, then let the CRC judge."""
    fixed = list(chars)
    flips = 0
    for i in range(2, len(fixed)):
        if fixed[i] & 0x7F == DLE and i + 1 < len(fixed) and fixed[i + 1] == 0x03:
            break  # the CRC bytes after DLE ETX carry no parity
        if not _parity_ok(fixed[i]):
            k = min(range(8), key=lambda b: abs(bits.soft[positions[i] + 1 + b]))
            fixed[i] ^= 1 << k
            flips += 1
            if flips > 3:
                return None
    if flips == 0:
        return None
    size = ntt_frame_length(fixed)
    return _Found("ntt", fixed[:size], positions[:size], corrected=flips) if size else None


# ---------------------------------------------------------------------------------------------
# The whole recording

#: Sampling offsets (in baseband samples, 1/8 bit) tried around the recovered bit clock.
PHASE_OFFSETS = (0.0, -1.0, 1.0, -2.0, 2.0)
CHUNK_SECONDS = 20.0
OVERLAP_SECONDS = 4.0  # longer than the longest caller-ID burst (255 bytes at 13 bits is 2.8 s)


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
PASSES = ((3, False), (3, True), (5, True))


#: The later passes run only on bursts where the best three-bit waveform explains at least this
#: share of the energy (median over the burst): ~0.6 for FSK even at 0 dB SNR, ~0.35 for noise.
FSK_LIKENESS = 0.5


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
    centre = _centre_offset(seg)
    if abs(centre) > 10.0:
        seg = _shift(seg, -centre)  # an exchange or sound card off frequency
    detectors: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]] = {}

    def detector(modem: str, span: int) -> tuple[np.ndarray, np.ndarray]:
        if (modem, span) not in detectors:
            detectors[(modem, span)] = sequence_soft(seg, DEVIATION_HZ[modem], span)
        return detectors[(modem, span)]

    order = list(modems)
    if len(order) > 1:
        order = _likely_modems(seg)
    for modem in order:
        doubtful = False  # a pass found a message too close to another: never correct one here
        for span, correct in PASSES:
            if (span, correct) != PASSES[0] and not _fsk_like(seg, detector(modem, PASSES[0][0])[1]):
                break  # not FSK at all: spare the slower passes
            attempt = _Attempt(modem, wanted, correct and not doubtful)
            found = _demodulate_burst(seg, offset, attempt, detector(modem, span))
            if found:
                return found
            doubtful = doubtful or attempt.ambiguous
    return []


def _likely_modems(seg: np.ndarray) -> list[str]:
    """Which modem(s) to try on a burst, likelier first, from how well each one's waveforms fit.

    Both detectors can read either signal at a good SNR, but a mismatched detector is a worse
    judge of its own errors. Over three bits Bell 202's 500 Hz deviation and V.23's 400 Hz fit
    each other's signals clearly worse: the V.23/Bell fit ratio is under 0.98 for Bell 202 and
    over 1.09 for V.23 at any SNR down to 0 dB, so outside the band between we try one only.
    Every fourth sample is plenty to judge the fit.
    """
    import numpy as np

    def fit(modem: str) -> float:
        strength = sequence_soft(seg, DEVIATION_HZ[modem], PASSES[0][0], step=4)[1]
        return float(np.mean(strength**2))

    ratio = fit("v23") / (fit("bell202") or 1e-300)
    if ratio < 0.995:
        return ["bell202"]
    if ratio > 1.06:
        return ["v23"]
    return ["bell202", "v23"] if ratio < 1.03 else ["v23", "bell202"]


def _fsk_like(seg: np.ndarray, strength: np.ndarray) -> bool:
    """Does the best three-bit FSK waveform explain most of the burst's energy?"""
    import numpy as np

    width = 3 * SPB
    before = 2 * SPB - 1
    energy = np.concatenate(([0.0], np.cumsum(seg.real**2 + seg.imag**2)))
    n = np.arange(len(seg))
    window = energy[np.minimum(n + width - before, len(seg))] - energy[np.maximum(n - before, 0)]
    share = strength**2 / (width * window + 1e-300)
    return bool(np.median(share) >= FSK_LIKENESS)


def _demodulate_burst(
    seg: np.ndarray, offset: int, attempt: _Attempt, detector: tuple[np.ndarray, np.ndarray]
) -> list[Burst]:
    import numpy as np

    soft, strength = detector
    scale = float(np.median(strength[::4])) or 1.0
    period, first = bit_clock(soft)
    count = int((len(seg) - 1 - first) / period) + 1
    grid = np.arange(len(seg))
    for shift in PHASE_OFFSETS:
        t = first + shift + period * np.arange(count)
        t = t[(t >= 0) & (t <= len(seg) - 1)]
        if len(t) < 30:
            continue
        bits = _prepare(np.interp(t, grid, soft) / scale)
        hits = _search(bits, attempt)
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


def _shift(seg: np.ndarray, hz: float) -> np.ndarray:
    import numpy as np

    return seg * np.exp(2j * np.pi * hz * np.arange(len(seg)) / WORK_RATE)


def _centre_offset(seg: np.ndarray) -> float:
    """How far (Hz) the burst's two tones sit off the nominal 1700 Hz centre.

    The energy-weighted mean instantaneous frequency below and above the centre gives the mark
    and space tones; their midpoint is the offset (noise pulls it towards zero, never past it).
    """
    import numpy as np

    inst = np.angle(seg[1:] * np.conj(seg[:-1])) * WORK_RATE / (2 * np.pi)
    weight = np.abs(seg[1:]) ** 2 + 1e-30
    low = inst < 0
    if not low.any() or low.all():
        return 0.0
    mark = float(np.average(inst[low], weights=weight[low]))
    space = float(np.average(inst[~low], weights=weight[~low]))
    return (mark + space) / 2.0


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
    from callerid.decode import mdmf, ntt

    if burst.standard == "ntt":
        return [(burst, caller) for caller in ntt.find_frames(burst.data)]
    # The audio tells Bellcore MDMF (Bell 202) from ETSI (V.23); the bytes alone often cannot.
    expect = None
    if burst.data[:1] == b"\x80":
        expect = "etsi" if burst.standard == "v23" else "mdmf"
    caller = mdmf.decode_message(burst.data, expect=expect)
    return [] if caller is None else [(burst, caller)]
