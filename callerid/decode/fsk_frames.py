"""Bits to verified messages: UART framing, message search, soft-decision checks and correction.

Given one sampling of a burst (soft bit values on a bit grid), find every Bellcore/ETSI message
(by type and length) and NTT frame (by DLE framing) whose checksum or CRC verifies and whose
fields look like caller ID (`mdmf.plausible`, `ntt.frame_length`). An 8-bit sum is weak, so a
Bellcore/ETSI message must also be far likelier than any other plausible message two or three
bit flips away; one bit error that the checksum (or an NTT parity bit) pins down may be corrected
with the soft values, under the same caution.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from callerid.decode import mdmf, ntt

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

# ---------------------------------------------------------------------------------------------
# Bits to characters


MAX_GAP_BITS = 40  # marks allowed between characters before we call the message ended
MIN_LEAD_MARKS = 8  # marks before the first start bit of a message


@dataclass(slots=True)
class Bits:
    """One sampling of a burst: hard and soft bits plus lookup tables that make framing cheap."""

    hard: list[int]  # 1 = mark
    soft: list[float]  # > 0 mark; magnitude = confidence
    byte_at: list[int]  # the 8 bits after a start bit at each index, LSB first
    next_space: list[int]  # index of the first space at or after each index (len: none)
    starts: list[int]  # start bits that follow at least MIN_LEAD_MARKS marks


def prepare(values: np.ndarray) -> Bits:
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
    return Bits(hard.tolist(), values.tolist(), byte_at.tolist(), next_space.tolist(), starts.tolist())


def _frame(bits: Bits, start: int, stride: int | None, count: int) -> list[int]:
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
# Message search


@dataclass(slots=True)
class Found:
    standard: str
    chars: list[int]
    positions: list[int]  # bit index of each character's start bit
    corrected: int = 0


@dataclass(slots=True)
class Attempt:
    """What one pass over a burst looks for, and what it learnt on the way."""

    modem: str
    wanted: Sequence[str]
    correct: bool  # try soft-decision correction
    ambiguous: bool = False  # a message verified but was too close to another: do not correct


def search(bits: Bits, attempt: Attempt) -> list[Found]:
    """Every verified message in one sampling of a burst, left to right."""
    found: list[Found] = []
    resume = 0
    for p in bits.starts:
        if p < resume:
            continue
        hit = _message_at(bits, p, attempt)
        if hit is not None:
            found.append(hit)
            resume = hit.positions[-1] + 10
    return found


def _message_at(bits: Bits, p: int, attempt: Attempt) -> Found | None:
    first = bits.byte_at[p]
    bellcore = first in mdmf.FSK_TYPES and attempt.modem in attempt.wanted
    is_ntt = first == 0x90 and attempt.modem == "v23" and "ntt" in attempt.wanted
    if not (bellcore or is_ntt):
        return None
    for stride in (None, 10, 13):
        head = _frame(bits, p, stride, 2)
        if len(head) < 2:
            return None
        if bellcore:
            positions = _frame(bits, p, stride, bits.byte_at[head[1]] + 3)
            chars = [bits.byte_at[i] for i in positions]
            if mdmf.plausible(chars):
                if _unambiguous(bits, chars, positions):
                    return Found(attempt.modem, chars, positions)
                attempt.ambiguous = True
                continue
            if attempt.correct and not attempt.ambiguous:
                fixed = _correct_bellcore(bits, chars, positions)
                if fixed is not None:
                    return fixed
        elif bits.byte_at[head[1]] == 0x81:
            positions = _frame(bits, p, stride, 300)
            chars = [bits.byte_at[i] for i in positions]
            size = ntt.frame_length(chars)
            if size:
                return Found("ntt", chars[:size], positions[:size])
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


def _data_bits(bits: Bits, chars: Sequence[int], positions: Sequence[int]) -> list[tuple[float, int, int]]:
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
        if mdmf.plausible(other):
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


def _ambiguity(bits: Bits, chars: Sequence[int], positions: Sequence[int]) -> float:
    """LLR cost (nats) of the likeliest other plausible message two or three flips away."""
    data = _data_bits(bits, chars, positions)
    gain = _llr_gain([v for v, _, _ in data])
    if gain <= 0:
        return 0.0
    pool = sorted((max(v, 0.0) * gain, i, k) for v, i, k in data)[:_PAIR_POOL]
    return _alternative_cost(chars, pool)


def _unambiguous(bits: Bits, chars: Sequence[int], positions: Sequence[int]) -> bool:
    return _ambiguity(bits, chars, positions) >= MIN_MARGIN_NATS


def _correct_bellcore(bits: Bits, chars: list[int], positions: list[int]) -> Found | None:
    """Fix one bit error that the checksum pins down, when the choice is clear.

    A single flipped bit k changes the byte sum by +/- 2**k, so the checksum residue names the bit
    position and direction; among the characters that could hold it (not type or length, which
    would have changed the framing) we flip the one the demodulator was least sure of, provided
    the next candidate, and any cancelling pair on the result, are far less likely.
    """
    if len(chars) < 4 or chars[0] not in mdmf.FSK_TYPES or chars[1] + 3 != len(chars):
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
    if not mdmf.plausible(fixed):
        return None
    fixed_data = _data_bits(bits, fixed, positions)
    pool = sorted((max(v, 0.0) * gain, j, b) for v, j, b in fixed_data)[:_PAIR_POOL]
    if _alternative_cost(fixed, pool) < MIN_MARGIN_NATS:
        return None
    return Found("", fixed, positions, corrected=1)


def _correct_ntt(bits: Bits, chars: list[int], positions: list[int]) -> Found | None:
    """Flip the least reliable bit of each character whose parity fails, then let the CRC judge."""
    fixed = list(chars)
    flips = 0
    for i in range(2, len(fixed)):
        if fixed[i] & 0x7F == ntt.DLE and i + 1 < len(fixed) and fixed[i + 1] == 0x03:
            break  # the CRC bytes after DLE ETX carry no parity
        if not ntt.parity_ok(fixed[i]):
            k = min(range(8), key=lambda b: abs(bits.soft[positions[i] + 1 + b]))
            fixed[i] ^= 1 << k
            flips += 1
            if flips > 3:
                return None
    if flips == 0:
        return None
    size = ntt.frame_length(fixed)
    return Found("ntt", fixed[:size], positions[:size], corrected=flips) if size else None
