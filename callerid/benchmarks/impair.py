"""What a real phone line and a real recorder do to caller-ID audio, applied to clean audio.

`callerid bench fsk` (the "real line" table) and the FSK tests use these to build each condition
the demodulator must survive: twist (one tone attenuated more than the other), DC offset, mains
hum, clipping, μ-law coding, white noise at a stated SNR. Pure numpy on float samples (full scale
1.0); the sender's clock and sample rate are the modulator's own parameters
(`callerid.transmit.modulator.modulate`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from callerid import wavfile

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np


def twist(
    x: np.ndarray, rate: int, db: float, mark_hz: float = 1200.0, space_hz: float = 2200.0
) -> np.ndarray:
    """Mark `db` dB louder than space (negative: space louder), as a line's slope would make it.

    The gain changes linearly in dB with frequency through both tones (half the twist each way
    from their midpoint), flat beyond them; applied in the frequency domain, so phase is kept.
    """
    import numpy as np

    spectrum = np.fft.rfft(x)
    freqs = np.fft.rfftfreq(len(x), 1.0 / rate)
    where = np.clip((freqs - mark_hz) / (space_hz - mark_hz), 0.0, 1.0)  # 0 at mark, 1 at space
    gain_db = db / 2.0 - db * where
    out = np.fft.irfft(spectrum * 10 ** (gain_db / 20.0), len(x))
    return out * _rms(x) / (_rms(out) or 1.0)  # same overall level


def hum(x: np.ndarray, rate: int, hz: float = 50.0, db: float = 10.0, phase: float = 0.3) -> np.ndarray:
    """Mains hum `db` dB above the signal's RMS: the fundamental with odd harmonics at -10, -20 dB."""
    import numpy as np

    t = np.arange(len(x)) / rate
    wave = np.sin(2 * np.pi * hz * t + phase)
    wave += 10 ** (-10 / 20) * np.sin(2 * np.pi * 3 * hz * t + 2 * phase)
    wave += 10 ** (-20 / 20) * np.sin(2 * np.pi * 5 * hz * t + 3 * phase)
    level = _rms(x) * 10 ** (db / 20.0) / (_rms(wave) or 1.0)
    return x + level * wave


def dc(x: np.ndarray, offset: float = 0.25) -> np.ndarray:
    """A DC offset (full scale 1.0), as from a cheap sound card or a 'zero' that is not 128."""
    return x + offset


def clip(x: np.ndarray, drive_db: float = 9.0, ceiling: float = 0.99) -> np.ndarray:
    """Driven `drive_db` dB hotter than it fits, then hard-clipped (a generator into a line input)."""
    import numpy as np

    peak = float(np.max(np.abs(x))) or 1.0
    return np.clip(x * (ceiling / peak) * 10 ** (drive_db / 20.0), -ceiling, ceiling)


def mulaw(x: np.ndarray, rate: int) -> np.ndarray:
    """Through G.711 μ-law and back (libsndfile's codec), as a recorder or modem stores it."""
    samples, _ = wavfile.decode_audio_bytes(wavfile.encode_audio(x, rate, "ULAW"))
    return samples


def noise(
    x: np.ndarray, snr_db: float, rng: np.random.Generator, reference: np.ndarray | None = None
) -> np.ndarray:
    """White Gaussian noise over the whole band: power(reference or x) / noise power = `snr_db`."""
    ref = x if reference is None else reference
    sigma = _rms(ref) / 10 ** (snr_db / 20.0)
    return x + rng.normal(0.0, sigma, len(x))


def _rms(x: np.ndarray) -> float:
    import numpy as np

    return float(np.sqrt(np.mean(np.square(x)))) if len(x) else 0.0


__all__ = ["clip", "dc", "hum", "mulaw", "noise", "twist"]
