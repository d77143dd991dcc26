"""The one place that reads and writes audio files, and decodes a voice modem's sample stream.

Everything goes through libsndfile (the `soundfile` package), so every WAV a user, a voice
recorder or a modem writes is read the same way: PCM 8 (unsigned), 16, 24 and 32-bit, 32/64-bit
float, μ-law, A-law, IMA and Microsoft ADPCM, GSM 6.10 (and the other containers libsndfile
knows). Python 3.13 has no `audioop`, and a hand-written RIFF parser would refuse half of these.

Callers: `callerid decode-audio` and the FSK tests (`read_wav`, `iter_wav` in blocks so an hour
of audio costs little memory), the speech cache (`read_wav(mix=True)`, `write_wav`), the modem's
playback (`callerid.modem.audio`) and Number Display capture (`voice_samples`). Kept out of
`callerid.decode`, which does no I/O. soundfile and numpy are imported lazily: the appliance
needs them only off the call path.

Errors are one `WavError` whose message names the file and says why, never a traceback.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

MIN_RATE = 1000


class WavError(ValueError):
    """The file cannot be read (or written) as audio; the message names the file and says why."""


@dataclass(frozen=True, slots=True)
class WavInfo:
    rate: int
    channels: int
    frames: int
    subtype: str  # libsndfile's name for the encoding: PCM_16, ULAW, IMA_ADPCM, FLOAT, ...

    @property
    def seconds(self) -> float:
        return self.frames / self.rate


def wav_info(path: str | Path) -> WavInfo:
    """The format of an audio file, checked: raises WavError for anything we cannot read."""
    with _open(path) as handle:
        return _info(path, handle)


def read_wav(path: str | Path, *, mix: bool = False) -> tuple[np.ndarray, int]:
    """The whole file as mono float64 samples (full scale 1.0) and its sample rate.

    A recording of a phone line with more than one channel has the line on the first channel;
    `mix=True` averages all channels instead (speech from a TTS engine).
    """
    import numpy as np

    info = wav_info(path)
    blocks = list(iter_wav(path, block_frames=max(info.frames, 1), mix=mix))
    return (np.concatenate(blocks) if blocks else np.zeros(0)), info.rate


def iter_wav(path: str | Path, block_frames: int = 1 << 16, *, mix: bool = False) -> Iterator[np.ndarray]:
    """Mono float64 blocks of at most `block_frames` samples, in order (first channel, or `mix`)."""
    with _open(path) as handle:
        _info(path, handle)
        while True:
            try:
                block = handle.read(block_frames, dtype="float64", always_2d=True)
            except (RuntimeError, OSError) as exc:  # soundfile.LibsndfileError is a RuntimeError
                raise WavError(f"{path}: cannot read the audio data ({_reason(exc)})") from None
            if not len(block):
                return
            yield block.mean(axis=1) if mix else block[:, 0].copy()


def read_int16(path: str | Path) -> tuple[np.ndarray, int, int]:
    """The file as int16 frames (frames, channels), its rate and channel count, converted exactly
    by libsndfile (8-bit to the top byte, wider samples to their top 16 bits)."""
    with _open(path) as handle:
        info = _info(path, handle)
        try:
            frames = handle.read(dtype="int16", always_2d=True)
        except (RuntimeError, OSError) as exc:
            raise WavError(f"{path}: cannot read the audio data ({_reason(exc)})") from None
    return frames, info.rate, info.channels


def write_wav(path: str | Path, samples: np.ndarray, rate: int, *, subtype: str = "PCM_16") -> Path:
    """Write mono (or (frames, channels)) audio atomically: a reader never sees half a file.

    `subtype` is libsndfile's encoding name: PCM_16 (default), PCM_U8, PCM_24, PCM_32, FLOAT,
    ULAW, ALAW, IMA_ADPCM, MS_ADPCM. Samples are float, full scale 1.0, and are clipped there.
    """
    import numpy as np
    import soundfile

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = np.clip(np.asarray(samples, dtype=np.float64), -1.0, 32767 / 32768)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        soundfile.write(tmp, data, int(rate), subtype=subtype, format="WAV")
        os.replace(tmp, path)
    except (RuntimeError, ValueError, TypeError) as exc:
        Path(tmp).unlink(missing_ok=True)
        raise WavError(f"{path}: cannot write {subtype} audio ({_reason(exc)})") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def encode_audio(samples: np.ndarray, rate: int, subtype: str) -> bytes:
    """A WAV file's bytes for `samples` in the given encoding (tests and the FSK bench's μ-law)."""
    import numpy as np
    import soundfile

    out = io.BytesIO()
    soundfile.write(out, np.clip(samples, -1.0, 32767 / 32768), int(rate), subtype=subtype, format="WAV")
    return out.getvalue()


def decode_audio_bytes(data: bytes) -> tuple[np.ndarray, int]:
    """The first channel of in-memory audio file bytes as float64, and the rate."""
    import soundfile

    try:
        frames, rate = soundfile.read(io.BytesIO(data), dtype="float64", always_2d=True)
    except (RuntimeError, OSError) as exc:
        raise WavError(f"audio bytes: not a readable audio file ({_reason(exc)})") from None
    return frames[:, 0].copy(), int(rate)


# ---------------------------------------------------------------------------------------------
# A voice modem's sample stream (+VRX): raw samples in the encoding its +VSM selected

#: Encodings a voice modem streams, by the name `ModemProfile.voice_encoding` gives, and the
#: libsndfile RAW subtype that decodes them (IMA ADPCM has no RAW subtype: see `ima_adpcm`).
VOICE_SUBTYPES = {"u8": "PCM_U8", "s8": "PCM_S8", "s16le": "PCM_16", "ulaw": "ULAW", "alaw": "ALAW"}
VOICE_ENCODINGS = (*VOICE_SUBTYPES, "ima-adpcm")


def voice_samples(raw: bytes, encoding: str = "u8") -> np.ndarray:
    """A modem's raw voice samples as float64 (full scale 1.0); a trailing partial sample is dropped."""
    return VoiceDecoder(encoding).decode(raw)


class VoiceDecoder:
    """Decodes a modem's +VRX stream chunk by chunk (IMA ADPCM carries its state across chunks)."""

    def __init__(self, encoding: str = "u8") -> None:
        if encoding not in VOICE_ENCODINGS:
            raise ValueError(f"unknown voice encoding {encoding!r}; choose {', '.join(VOICE_ENCODINGS)}")
        self.encoding = encoding
        self._predictor = 0
        self._index = 0
        self._held = b""  # half a 16-bit sample from the previous chunk

    def decode(self, raw: bytes) -> np.ndarray:
        import numpy as np
        import soundfile

        if self.encoding == "ima-adpcm":
            out, self._predictor, self._index = _ima_adpcm(bytes(raw), self._predictor, self._index)
            return out
        if self.encoding == "s16le":
            raw = self._held + bytes(raw)
            usable = len(raw) // 2 * 2
            raw, self._held = raw[:usable], raw[usable:]
        if not raw:
            return np.zeros(0)
        data, _ = soundfile.read(
            io.BytesIO(bytes(raw)),
            samplerate=8000,
            channels=1,
            format="RAW",
            subtype=VOICE_SUBTYPES[self.encoding],
            endian="LITTLE",
            dtype="float64",
        )
        return data


_IMA_STEPS = (
    7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 19, 21, 23, 25, 28, 31, 34, 37, 41, 45, 50, 55, 60, 66, 73,
    80, 88, 97, 107, 118, 130, 143, 157, 173, 190, 209, 230, 253, 279, 307, 337, 371, 408, 449, 494,
    544, 598, 658, 724, 796, 876, 963, 1060, 1166, 1282, 1411, 1552, 1707, 1878, 2066, 2272, 2499,
    2749, 3024, 3327, 3660, 4026, 4428, 4871, 5358, 5894, 6484, 7132, 7845, 8630, 9493, 10442,
    11487, 12635, 13899, 15289, 16818, 18500, 20350, 22385, 24623, 27086, 29794, 32767,
)  # fmt: skip
_IMA_INDEX = (-1, -1, -1, -1, 2, 4, 6, 8)


def ima_adpcm(raw: bytes, *, predictor: int = 0, index: int = 0) -> np.ndarray:
    """A headerless 4-bit IMA ADPCM stream (low nibble first, as modems and WAV pack it) to floats.

    libsndfile decodes IMA ADPCM only inside a WAV/AIFF container, whose blocks each restart the
    decoder from a header; a modem's stream is one long block with no header, so it is decoded
    here: the IMA/DVI algorithm, about 7 ms of CPU per second of 8 kHz audio.
    """
    return _ima_adpcm(raw, predictor, index)[0]


def _ima_adpcm(raw: bytes, predictor: int, index: int) -> tuple[np.ndarray, int, int]:
    import numpy as np

    out = np.empty(2 * len(raw), dtype=np.float64)
    i = 0
    for byte in raw:
        for code in (byte & 0x0F, byte >> 4):
            step = _IMA_STEPS[index]
            diff = step >> 3
            if code & 4:
                diff += step
            if code & 2:
                diff += step >> 1
            if code & 1:
                diff += step >> 2
            predictor = predictor - diff if code & 8 else predictor + diff
            predictor = -32768 if predictor < -32768 else 32767 if predictor > 32767 else predictor
            index = min(max(index + _IMA_INDEX[code & 7], 0), 88)
            out[i] = predictor / 32768.0
            i += 1
    return out, predictor, index


# ---------------------------------------------------------------------------------------------


def _open(path: str | Path) -> Any:
    import soundfile

    p = Path(path)
    if not p.exists():
        raise WavError(f"{path}: no such file")
    if p.is_dir():
        raise WavError(f"{path}: is a directory")
    if not os.access(p, os.R_OK):
        raise WavError(f"{path}: permission denied")
    try:
        return soundfile.SoundFile(str(p))
    except (RuntimeError, OSError, TypeError) as exc:
        raise WavError(f"{path}: not a readable WAV file ({_reason(exc)})") from None


def _info(path: str | Path, handle: Any) -> WavInfo:
    info = WavInfo(int(handle.samplerate), int(handle.channels), int(handle.frames), str(handle.subtype))
    if info.channels < 1:
        raise WavError(f"{path}: the header says it has no channels")
    if info.rate < MIN_RATE:
        raise WavError(f"{path}: implausible sample rate {info.rate} Hz")
    return info


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text.split(": ", 1)[-1] if text.startswith("Error opening") else text or type(exc).__name__
