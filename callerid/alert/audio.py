"""Speech audio as numbers: trim, normalise loudness, join, measure (files: `callerid.wavfile`).

Every spoken warning goes through here so that all of them reach the listener
at the same loudness whatever engine made them (Open JTalk renders far quieter
than espeak-ng), without the long silences the engines put around speech (each
one is latency before the first word). numpy is imported lazily: the appliance
only needs it in the background render thread, never on the call path.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

# Reading and writing WAV files is the package's one WAV module's job (any encoding, atomic
# writes); the speech cache uses it through these names.
from callerid.wavfile import read_wav, write_wav

if TYPE_CHECKING:
    import numpy as np

#: Target loudness of speech frames (gated RMS, dBFS). Loud and clear on a small
#: speaker, with room for speech peaks (crest factor about 15 dB) under the ceiling.
TARGET_DBFS = -18.0
#: No sample goes above this (-1 dBFS); louder peaks are softly limited.
CEILING = 0.89
#: Frames more than this far below the loudest frame are pauses, not speech.
GATE_DB = 30.0
FRAME_SECONDS = 0.02


@dataclass(frozen=True)
class WavStats:
    """What a test or `alert-test` reports about one WAV file."""

    duration: float  # seconds
    rate: int
    rms_dbfs: float  # gated: loudness of the speech, not of the pauses
    peak_dbfs: float


def _frame_power(samples: np.ndarray, rate: int) -> np.ndarray:
    import numpy as np

    size = max(1, int(rate * FRAME_SECONDS))
    count = len(samples) // size
    if count == 0:
        return np.array([float(np.mean(samples**2))]) if len(samples) else np.zeros(0)
    frames = samples[: count * size].reshape(count, size)
    return (frames.astype(np.float64) ** 2).mean(axis=1)


def gated_rms_dbfs(samples: np.ndarray, rate: int) -> float:
    """Loudness of the speech itself: RMS over frames within GATE_DB of the loudest frame."""
    import numpy as np

    power = _frame_power(samples, rate)
    if power.size == 0 or float(power.max()) <= 0.0:
        return -120.0
    speech = power[power >= power.max() * 10 ** (-GATE_DB / 10)]
    return float(10 * np.log10(speech.mean()))


def peak_dbfs(samples: np.ndarray) -> float:
    import numpy as np

    peak = float(np.max(np.abs(samples))) if len(samples) else 0.0
    return 20 * float(np.log10(peak)) if peak > 0 else -120.0


def trim_silence(
    samples: np.ndarray, rate: int, *, below_peak_db: float = 35.0, pad: float = 0.05
) -> np.ndarray:
    """Cut leading and trailing silence (Open JTalk adds ~0.4 s before and ~0.8 s after)."""
    import numpy as np

    if not len(samples):
        return samples
    power = _frame_power(samples, rate)
    if power.size == 0 or float(power.max()) <= 0.0:
        return samples[:0]
    loud = np.nonzero(power >= power.max() * 10 ** (-below_peak_db / 10))[0]
    size = max(1, int(rate * FRAME_SECONDS))
    start = max(0, loud[0] * size - int(pad * rate))
    end = min(len(samples), (loud[-1] + 1) * size + int(pad * rate))
    return samples[start:end]


def normalise(
    samples: np.ndarray, rate: int, *, target_dbfs: float = TARGET_DBFS, volume: float = 1.0
) -> np.ndarray:
    """Scale speech to the target loudness times `volume`, softly limiting peaks under CEILING."""
    import numpy as np

    if not len(samples):
        return samples
    level = gated_rms_dbfs(samples, rate)
    if level <= -100.0:
        return samples
    volume = min(max(volume, 0.0), 2.0)
    scaled = samples.astype(np.float64) * (10 ** ((target_dbfs - level) / 20) * volume)
    knee = 0.6 * CEILING
    over = np.abs(scaled) > knee
    if over.any():
        # Above the knee, tanh squeezes the rest of the way to the ceiling: no hard clipping.
        excess = (np.abs(scaled[over]) - knee) / (CEILING - knee)
        scaled[over] = np.sign(scaled[over]) * (knee + (CEILING - knee) * np.tanh(excess))
    return scaled.astype(np.float32)


def silence(rate: int, seconds: float) -> np.ndarray:
    import numpy as np

    return np.zeros(max(0, int(rate * seconds)), dtype=np.float32)


def chime(rate: int, level_dbfs: float = TARGET_DBFS) -> np.ndarray:
    """A soft two-note "ping-pong" (G5, E5): the familiar cue that an announcement follows."""
    import numpy as np

    notes = []
    for freq in (784.0, 659.3):
        t = np.arange(int(rate * 0.32)) / rate
        tone = np.sin(2 * np.pi * freq * t) * np.exp(-t * 7.0)
        attack = np.minimum(1.0, t / 0.01)
        notes.append(tone * attack)
    out = np.concatenate([notes[0], notes[1], silence(rate, 0.15)]).astype(np.float32)
    # A sine's RMS is peak/sqrt(2); match its gated loudness to the speech.
    return out * (10 ** (level_dbfs / 20) * np.sqrt(2) * 0.8)


def concat(parts: list[np.ndarray]) -> np.ndarray:
    import numpy as np

    return np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, dtype=np.float32)


def measure(path: str | Path) -> WavStats:
    """Duration and loudness of a WAV file (what `alert-test` prints and the tests check)."""
    samples, rate = read_wav(path, mix=True)
    return WavStats(
        duration=len(samples) / rate if rate else 0.0,
        rate=rate,
        rms_dbfs=gated_rms_dbfs(samples, rate),
        peak_dbfs=peak_dbfs(samples),
    )


__all__ = [
    "WavStats",
    "chime",
    "concat",
    "gated_rms_dbfs",
    "measure",
    "normalise",
    "peak_dbfs",
    "read_wav",
    "silence",
    "trim_silence",
    "write_wav",
]
