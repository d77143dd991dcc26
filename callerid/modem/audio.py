"""WAV files to the voice modem's sample format (8-bit unsigned linear, 8000 Hz, mono).

The TTS cache can hold any WAV (16-bit, 22050 Hz, stereo...). The modem plays one format, so we
convert once before going off-hook. numpy is imported only when a conversion needs arithmetic
(a Pi Zero pays about a second for the import); an 8-bit mono WAV at the modem's rate is copied.
"""

from __future__ import annotations

import wave
from pathlib import Path


class AudioError(ValueError):
    """The WAV cannot be read or converted; the message names the file and the reason."""


def wav_to_u8(path: str | Path, rate: int = 8000) -> bytes:
    """The WAV's samples as 8-bit unsigned linear PCM, mono, at `rate` Hz."""
    try:
        with wave.open(str(path), "rb") as wav:
            channels, width, src_rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            frames = wav.readframes(wav.getnframes())
    except FileNotFoundError:
        raise AudioError(f"{path}: no such file") from None
    except (wave.Error, EOFError, OSError) as exc:
        raise AudioError(f"{path}: not a readable PCM WAV ({exc})") from None
    if width not in (1, 2, 3, 4) or channels < 1 or src_rate <= 0:
        raise AudioError(f"{path}: unsupported WAV ({channels} channels, {8 * width}-bit, {src_rate} Hz)")
    if width == 1 and channels == 1 and src_rate == rate:
        return bytes(frames)
    return _convert(frames, channels, width, src_rate, rate)


def _convert(frames: bytes, channels: int, width: int, src_rate: int, rate: int) -> bytes:
    import numpy as np

    if width == 2 and channels == 1 and src_rate == rate:
        # exact integer mapping for the common case: the top byte, offset to unsigned
        ints = np.frombuffer(frames[: len(frames) // 2 * 2], dtype="<i2").astype(np.int32)
        return ((ints >> 8) + 128).astype(np.uint8).tobytes()
    signal = _to_float(np, frames, width)
    usable = len(signal) - len(signal) % channels
    signal = signal[:usable].reshape(-1, channels).mean(axis=1)
    if src_rate != rate:
        signal = _resample(np, signal, src_rate, rate)
    return np.clip(np.floor(signal * 128.0 + 128.5), 0, 255).astype(np.uint8).tobytes()


def _to_float(np, frames: bytes, width: int):  # noqa: ANN001, ANN202 - numpy passed in lazily
    """Samples in [-1, 1) whatever the WAV's sample width."""
    if width == 1:
        return (np.frombuffer(frames, dtype=np.uint8).astype(np.float64) - 128.0) / 128.0
    if width == 2:
        return np.frombuffer(frames[: len(frames) // 2 * 2], dtype="<i2").astype(np.float64) / 32768.0
    if width == 3:
        raw = np.frombuffer(frames[: len(frames) // 3 * 3], dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        ints = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
        ints = np.where(ints >= 1 << 23, ints - (1 << 24), ints)
        return ints.astype(np.float64) / float(1 << 23)
    return np.frombuffer(frames[: len(frames) // 4 * 4], dtype="<i4").astype(np.float64) / float(1 << 31)


def _resample(np, signal, src_rate: int, rate: int):  # noqa: ANN001, ANN202
    """Band-limit below the new Nyquist frequency, then interpolate at the new sample times.

    A windowed-sinc low-pass keeps a 6 kHz tone in a 22 kHz file from folding down to an audible
    2 kHz whistle on the phone line.
    """
    if len(signal) == 0:
        return signal
    if rate < src_rate:
        cutoff = 0.45 * rate / src_rate  # cycles per input sample, a little under Nyquist
        taps = 101
        n = np.arange(taps) - (taps - 1) / 2
        kernel = 2 * cutoff * np.sinc(2 * cutoff * n) * np.blackman(taps)
        kernel /= kernel.sum()
        signal = np.convolve(signal, kernel, mode="same")
    count = int(round(len(signal) * rate / src_rate))
    times = np.arange(count) * (src_rate / rate)
    return np.interp(times, np.arange(len(signal)), signal)


__all__ = ["AudioError", "wav_to_u8"]
