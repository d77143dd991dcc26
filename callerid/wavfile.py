"""Reading PCM WAV files as float samples, whole or in blocks, with one-line errors.

Kept out of `callerid.decode` (which does no I/O): `callerid decode-audio` and the tests read
recordings here and hand the samples to `callerid.decode.fsk`. Blocks keep memory flat on a
Pi even for an hour-long recording. 8-bit (unsigned), 16, 24 and 32-bit integer PCM are read;
stereo and multi-channel files are mixed down to mono.
"""

from __future__ import annotations

import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

MIN_RATE = 1000


class WavError(ValueError):
    """The file cannot be read as PCM WAV; the message names the file and says why."""


@dataclass(frozen=True, slots=True)
class WavInfo:
    rate: int
    channels: int
    width: int  # bytes per sample
    frames: int

    @property
    def seconds(self) -> float:
        return self.frames / self.rate


def wav_info(path: str | Path) -> WavInfo:
    """The format of a WAV file, checked: raises WavError for anything we cannot read."""
    with _open(path) as wav:
        return _info(path, wav)


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """The whole file as mono float64 samples (full scale 1.0) and its sample rate."""
    import numpy as np

    info = wav_info(path)
    blocks = list(iter_wav(path, block_frames=max(info.frames, 1)))
    return (np.concatenate(blocks) if blocks else np.zeros(0)), info.rate


def iter_wav(path: str | Path, block_frames: int = 1 << 16) -> Iterator[np.ndarray]:
    """Mono float64 blocks of at most `block_frames` samples, in order (call wav_info first)."""
    with _open(path) as wav:
        info = _info(path, wav)
        while True:
            try:
                raw = wav.readframes(block_frames)
            except (wave.Error, EOFError, OSError) as exc:
                raise WavError(f"{path}: cannot read the audio data ({exc})") from None
            if not raw:
                return
            samples = pcm_to_float(raw, info.width, info.channels)
            if len(samples):
                yield samples


def pcm_to_float(raw: bytes, width: int, channels: int = 1) -> np.ndarray:
    """Little-endian PCM bytes to mono float64 in [-1, 1); a trailing partial frame is dropped."""
    import numpy as np

    usable = len(raw) // (width * channels) * width * channels
    raw = raw[:usable]
    if width == 1:
        samples = (np.frombuffer(raw, dtype=np.uint8).astype(np.float64) - 128.0) / 128.0
    elif width == 2:
        samples = np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0
    elif width == 3:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        ints = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        samples = np.where(ints >= 1 << 23, ints - (1 << 24), ints).astype(np.float64) / float(1 << 23)
    elif width == 4:
        samples = np.frombuffer(raw, dtype="<i4").astype(np.float64) / float(1 << 31)
    else:
        raise ValueError(f"unsupported sample width of {width} bytes")
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1)
    return samples


def _open(path: str | Path) -> wave.Wave_read:
    try:
        return wave.open(str(path), "rb")
    except FileNotFoundError:
        raise WavError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise WavError(f"{path}: is a directory") from None
    except PermissionError:
        raise WavError(f"{path}: permission denied") from None
    except wave.Error as exc:
        raise WavError(f"{path}: not a PCM WAV file ({exc})") from None
    except EOFError:
        raise WavError(f"{path}: not a WAV file (too short)") from None
    except OSError as exc:
        raise WavError(f"{path}: cannot read ({exc.strerror or exc})") from None


def _info(path: str | Path, wav: wave.Wave_read) -> WavInfo:
    info = WavInfo(wav.getframerate(), wav.getnchannels(), wav.getsampwidth(), wav.getnframes())
    if info.channels < 1:
        raise WavError(f"{path}: the WAV header says it has no channels")
    if info.width not in (1, 2, 3, 4):
        raise WavError(f"{path}: unsupported sample width of {info.width} bytes ({8 * info.width}-bit)")
    if info.rate < MIN_RATE:
        raise WavError(f"{path}: implausible sample rate {info.rate} Hz")
    return info
