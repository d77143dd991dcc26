"""WAV files to the voice modem's sample format (8-bit unsigned linear, 8000 Hz, mono).

The TTS cache can hold any WAV (16-bit, 22050 Hz, stereo...). The modem plays one format, so we
convert once before going off-hook, reading the file through `callerid.wavfile` (any encoding).
numpy is imported lazily (a Pi Zero pays about a second for the import).
"""

from __future__ import annotations

from pathlib import Path

from callerid.wavfile import WavError, read_int16


def wav_to_u8(path: str | Path, rate: int = 8000) -> bytes:
    """The WAV's samples as 8-bit unsigned linear PCM, mono (first channel), at `rate` Hz.

    Any encoding `callerid.wavfile` reads; raises its `WavError` (one line naming the file).
    At the modem's rate the conversion is exact integer arithmetic (an 8-bit file is copied,
    wider samples keep their top byte); other rates are filtered and resampled.
    """
    import numpy as np

    frames, src_rate, channels = read_int16(path)
    if src_rate == rate and (channels == 1 or not len(frames)):
        ints = frames[:, 0].astype(np.int32) if len(frames) else np.zeros(0, dtype=np.int32)
        return ((ints >> 8) + 128).astype(np.uint8).tobytes()
    signal = frames.astype(np.float64).mean(axis=1) / 32768.0
    if src_rate != rate:
        signal = _resample(np, signal, src_rate, rate)
    return np.clip(np.floor(signal * 128.0 + 128.5), 0, 255).astype(np.uint8).tobytes()


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


__all__ = ["WavError", "wav_to_u8"]
