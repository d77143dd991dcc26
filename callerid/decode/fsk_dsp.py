"""The FSK demodulator's signal processing: front end, sequence detector, bursts, bit clock.

`callerid.decode.fsk` drives it (see its docstring for the whole method); the message checks
live with the formats (`mdmf.plausible`, `ntt.frame_length`) and the framing in `fsk_frames`.
Pure functions on numpy arrays; numpy is imported lazily.
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

BAUD = 1200.0
WORK_RATE = 9600  # complex baseband rate: 8 samples per bit
SPB = 8
CENTRE_HZ = 1700.0  # (1200 + 2200) / 2 == (1300 + 2100) / 2
DEVIATION_HZ = {"bell202": 500.0, "v23": 400.0}
#: Band kept around the centre: flat to PASS_HZ, raised-cosine down to STOP_HZ.
PASS_HZ = 1100.0
STOP_HZ = 1500.0
MIN_RATE = 5600  # below this the 2200 Hz space tone cannot be represented
#: Passes over a burst use detectors over this many bits (see `sequence_soft`).
FIRST_SPAN = 3


class AudioError(ValueError):
    """The audio cannot be read or is not something we can demodulate (one clear line)."""


# ---------------------------------------------------------------------------------------------
# Input: sample arrays (reading WAV files is `callerid.wavfile`'s job: this package does no I/O)


def as_float_samples(samples: Any) -> np.ndarray:
    """Any sample array to mono float64 with full scale 1.0.

    int16 and other signed integers scale by their range; uint8 is offset binary (128 = 0), as
    in WAV files and USR voice modems; floats pass through. A 2-D array is (frames, channels):
    its first channel is used.
    """
    import numpy as np

    arr = np.asarray(samples)
    if arr.ndim == 2:  # a stereo recording of a line has the line on its first channel
        arr = arr[:, 0] if arr.shape[1] else np.zeros(len(arr))
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
def _patterns(deviation_hz: float, span: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every `span`-bit pattern (1 = mark), the phase each phase-continuous waveform has reached
    at the start of each of its bits (as a unit rotation to undo), and which patterns have a mark
    in the middle bit."""
    import numpy as np

    patterns = (np.arange(1 << span)[:, None] >> np.arange(span - 1, -1, -1)[None, :]) & 1
    freqs = np.where(patterns == 1, -deviation_hz, deviation_hz)
    start = np.concatenate((np.zeros((len(patterns), 1)), np.cumsum(freqs, axis=1)[:, :-1]), axis=1) * SPB
    return patterns, np.exp(-2j * np.pi * start / WORK_RATE), patterns[:, span // 2] == 1


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

    A waveform is a tone per bit, phase-continuous, so its correlation is the sum over its bits
    of one-bit tone correlations (two short filters, one per tone) turned by the phase the
    waveform has reached at that bit: elementwise work, no matrix product (whose threads would
    cost more than they save on a Pi).
    """
    import numpy as np

    width = span * SPB
    before = (span // 2 + 1) * SPB - 1  # so that output n is the middle bit ending at sample n
    after = width - 1 - before
    patterns, turns, mark_mid = _patterns(float(deviation_hz), span)
    k = np.arange(SPB)
    soft_parts, strength_parts = [], []
    block = 32768  # bounded memory on long recordings
    for at in range(0, len(z), block):
        piece = z[max(0, at - before) : at + block + after]
        lead = before - (at - max(0, at - before))
        padded = np.concatenate((np.zeros(lead), piece, np.zeros(max(0, at + block + after - len(z)))))
        count = min(block, len(z) - at)
        # one-bit correlation with each tone, for a bit starting at every sample
        tone = {
            f: np.convolve(padded, np.exp(-2j * np.pi * f * (k + 1) / WORK_RATE)[::-1], mode="valid")
            for f in (-deviation_hz, deviation_hz)
        }
        outputs = len(range(0, count, step))
        best = {True: np.zeros(outputs), False: np.zeros(outputs)}
        for p, bits in enumerate(patterns):
            corr = np.zeros(outputs, dtype=np.complex128)
            for b, bit in enumerate(bits):
                one_bit = tone[-deviation_hz if bit else deviation_hz]
                corr += turns[p, b] * one_bit[b * SPB : b * SPB + count : step]
            middle = best[bool(mark_mid[p])]
            np.maximum(middle, corr.real**2 + corr.imag**2, out=middle)
        best_mark, best_space = np.sqrt(best[True]), np.sqrt(best[False])
        soft_parts.append(best_mark - best_space)
        strength_parts.append(np.maximum(best_mark, best_space))
    if not soft_parts:
        return np.zeros(0), np.zeros(0)
    return np.concatenate(soft_parts), np.concatenate(strength_parts)


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


def likely_modems(seg: np.ndarray) -> list[str]:
    """Which modem(s) to try on a burst, likelier first, from how well each one's waveforms fit.

    Both detectors can read either signal at a good SNR, but a mismatched detector is a worse
    judge of its own errors. Over three bits Bell 202's 500 Hz deviation and V.23's 400 Hz fit
    each other's signals clearly worse: the V.23/Bell fit ratio is under 0.98 for Bell 202 and
    over 1.09 for V.23 at any SNR down to 0 dB, so outside the band between we try one only.
    Every fourth sample is plenty to judge the fit.
    """
    import numpy as np

    def fit(modem: str) -> float:
        strength = sequence_soft(seg, DEVIATION_HZ[modem], FIRST_SPAN, step=4)[1]
        return float(np.mean(strength**2))

    ratio = fit("v23") / (fit("bell202") or 1e-300)
    if ratio < 0.995:
        return ["bell202"]
    if ratio > 1.06:
        return ["v23"]
    return ["bell202", "v23"] if ratio < 1.03 else ["v23", "bell202"]


#: The later passes run only on bursts where the best three-bit waveform explains at least this
#: share of the energy (median over the burst): ~0.6 for FSK even at 0 dB SNR, ~0.35 for noise.
FSK_LIKENESS = 0.5


def fsk_like(seg: np.ndarray, strength: np.ndarray) -> bool:
    """Does the best three-bit FSK waveform explain most of the burst's energy?"""
    import numpy as np

    width = 3 * SPB
    before = 2 * SPB - 1
    energy = np.concatenate(([0.0], np.cumsum(seg.real**2 + seg.imag**2)))
    n = np.arange(len(seg))
    window = energy[np.minimum(n + width - before, len(seg))] - energy[np.maximum(n - before, 0)]
    share = strength**2 / (width * window + 1e-300)
    return bool(np.median(share) >= FSK_LIKENESS)


def shift(seg: np.ndarray, hz: float) -> np.ndarray:
    import numpy as np

    return seg * np.exp(2j * np.pi * hz * np.arange(len(seg)) / WORK_RATE)


# ---------------------------------------------------------------------------------------------
# Following a real sender: seizure and message at different rates, a clock that drifts, a
# centre frequency off nominal, mark and space at different levels.

#: Marks in a row that end the preamble (GR-30 and ETSI send 180, NTT about 75).
LEAD_MARK_BITS = 40


def message_start(soft: np.ndarray) -> int:
    """Sample index where the message proper starts: after the first long run of marks.

    Real senders run the channel seizure at 1200 bit/s and the message a few percent fast, so
    the clock of the message is measured from here on. 0 when there is no such run (no preamble).
    """
    import numpy as np

    run = LEAD_MARK_BITS * SPB
    if len(soft) < 2 * run:
        return 0
    marks = np.concatenate(([0], np.cumsum(soft > 0)))
    full = np.flatnonzero(marks[run:] - marks[:-run] >= run - SPB)  # windows that are (nearly) all mark
    if not len(full):
        return 0
    at = int(full[0]) + run
    spaces = np.flatnonzero(soft[at:] < 0)
    return at + int(spaces[0]) if len(spaces) else 0


def message_clock(soft: np.ndarray) -> tuple[float, float]:
    """`bit_clock` measured on the message alone (after the preamble), aligned for the whole burst."""
    start = message_start(soft)
    if start == 0 or len(soft) - start < 40 * SPB:
        return bit_clock(soft)
    period, first = bit_clock(soft[start:])
    return period, (start + first) % period


def resync_grid(soft: np.ndarray, period: float, first: float) -> np.ndarray:
    """Sampling times (baseband samples) that re-synchronise on every start bit, as a UART does.

    Between characters the grid steps one bit at a time. Where a space appears, the edge into it
    is found (the first sample from half a bit back where the detector stays on space), and the
    start bit is placed within the next bit where the character (start, 8 data bits, stop) fits
    best: start most negative, stop most positive, data as far from zero as they get. So each
    character is read at its own phase, and a clock off by a few percent only matters over ten
    bits, never over the whole message. Searching only one bit past the edge keeps a space in the
    first data bit from passing for the start bit.
    """
    import numpy as np

    n = len(soft)
    grid = np.arange(n, dtype=np.float64)
    steps = np.arange(0.0, period, 0.5)
    ladder = period * np.arange(10)
    out: list[float] = []
    t = first
    limit = n - 3 - 11 * period
    while t < limit:
        here, half = np.interp((t, t + period / 2), grid, soft)
        if here > 0 and half > 0:
            out.append(t)
            t += period
            continue
        lo = max(int(t - period / 2), int(out[-1]) + 1 if out else 0)
        hi = int(t + period) + 1
        window = soft[lo:hi]
        staying = np.flatnonzero((window < 0) & (soft[lo + 2 : hi + 2] < 0))
        if not len(staying):
            out.append(t)
            t += period
            continue
        edge = lo + int(staying[0])
        centres = edge + steps
        values = np.interp(centres[:, None] + ladder[None, :], grid, soft)
        score = -values[:, 0] + values[:, 9] + np.abs(values[:, 1:9]).sum(axis=1)
        best = int(np.argmax(score))
        if values[best, 9] <= 0 or values[best, 0] >= 0:  # no start and stop bit here: noise
            out.append(t)
            t += period
            continue
        out.extend((centres[best] + ladder).tolist())
        t = centres[best] + 10 * period
    while t <= n - 1:
        out.append(t)
        t += period
    return np.asarray(out)


def centre_offset(seg: np.ndarray, soft: np.ndarray, deviation_hz: float) -> float:
    """How far (Hz) the burst's two tones sit off the nominal centre; 0 when the evidence disagrees.

    On the bit clock, the detector names the tone of every bit, and the instantaneous frequency
    in the middle of the bit (away from the transitions) minus that tone's nominal frequency
    measures the offset. Mark and space are measured apart, by the median (a louder mark must not
    outweigh the space, and noise clicks must not drag either), then halved together; the preamble
    (seizure and marks) and the message are estimated apart. Noise pulls each estimate towards the
    nominal tone, and the estimates must agree in sign: the smallest is taken, so a correction
    never moves the wrong way, it can only fall short.
    """
    import numpy as np

    if len(seg) < 16 * SPB:
        return 0.0
    inst = np.angle(seg[1:] * np.conj(seg[:-1])) * WORK_RATE / (2 * np.pi)  # between n and n+1
    period, first = bit_clock(soft)
    ends = np.round(first + period * np.arange(int((len(seg) - 1 - first) / period) + 1)).astype(np.int64)
    ends = ends[(ends >= SPB) & (ends < len(soft))]
    if len(ends) < 16:
        return 0.0
    inner = ends[:, None] + np.arange(-SPB + 2, -1)[None, :]  # the middle of the bit that ends at `ends`
    tone_is_mark = soft[ends] > 0
    start = np.searchsorted(ends, message_start(soft))
    estimates = []
    for part in (slice(0, start), slice(start, None)):
        marks = inst[inner[part][tone_is_mark[part]]].ravel()
        spaces = inst[inner[part][~tone_is_mark[part]]].ravel()
        if len(marks) < 4 * SPB or len(spaces) < 4 * SPB:
            continue
        mark_off = float(np.median(marks)) + deviation_hz
        space_off = float(np.median(spaces)) - deviation_hz
        estimates.append((mark_off + space_off) / 2.0)
    if not estimates or (min(estimates) < 0 < max(estimates)):
        return 0.0
    return min(estimates, key=abs)


def level_split(values: np.ndarray) -> float:
    """The decision threshold for soft bit values when mark and space arrive at different levels.

    Twist (the line attenuating one tone more than the other, by up to 15 dB) makes the soft
    values of one tone larger than the other's; the likeliest boundary is then half-way between
    the typical mark and the typical space value, not zero. Returns 0 for balanced levels.
    """
    import numpy as np

    marks, spaces = values[values > 0], -values[values < 0]
    if len(marks) < 8 or len(spaces) < 8:
        return 0.0
    mark, space = float(np.median(marks)), float(np.median(spaces))
    if max(mark, space) < 1.41 * min(mark, space):  # within 3 dB: leave the threshold at zero
        return 0.0
    return (mark - space) / 2.0
