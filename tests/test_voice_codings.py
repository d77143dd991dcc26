"""The voice-modem recording path in every coding a modem profile can select (+VSM).

A Number Display capture arrives as the modem's raw +VRX stream: 8-bit unsigned (the default),
signed 8 or 16-bit, G.711 μ-law or A-law, or 4-bit IMA ADPCM (Conexant's compression 129).
"""

from __future__ import annotations

import io
import struct
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import soundfile

from callerid import wavfile
from callerid.model import CallerID
from callerid.modem import number_display as nd
from callerid.modem.profiles import CONEXANT, USR
from callerid.transmit import modulator

TANAKA = CallerID("ntt", number="0335814321", date="1125", time="0930")


def capture_audio() -> np.ndarray:
    rng = np.random.default_rng(4)
    burst = modulator.caller_audio(TANAKA, "ntt", 8000, level_dbfs=-14.0)
    x = np.concatenate([np.zeros(2400), burst, np.zeros(2400)])
    return x + rng.normal(0, 0.005, len(x))


_STEPS = wavfile._IMA_STEPS
_INDEX = (-1, -1, -1, -1, 2, 4, 6, 8)


def ima_encode(x: np.ndarray) -> bytes:
    """The reference IMA/DVI ADPCM encoder (low nibble first), written out here for the test."""
    predictor, index, codes = 0, 0, []
    for sample in np.clip(np.round(x * 32768), -32768, 32767).astype(int):
        step = _STEPS[index]
        diff = int(sample) - predictor
        code = 8 if diff < 0 else 0
        diff = abs(diff)
        delta = step >> 3
        for bit, part in ((4, step), (2, step >> 1), (1, step >> 2)):
            if diff >= part:
                code |= bit
                diff -= part
                delta += part
        predictor = max(-32768, min(32767, predictor - delta if code & 8 else predictor + delta))
        index = max(0, min(88, index + _INDEX[code & 7]))
        codes.append(code)
    if len(codes) % 2:
        codes.append(0)
    return bytes(codes[i] | codes[i + 1] << 4 for i in range(0, len(codes), 2))


def encode(x: np.ndarray, coding: str) -> bytes:
    if coding == "ima-adpcm":
        return ima_encode(x)
    if coding == "u8":
        return modulator.to_pcm(x, 1)
    if coding == "s16le":
        return modulator.to_pcm(x, 2)
    if coding == "s8":
        return (np.frombuffer(modulator.to_pcm(x, 1), dtype=np.uint8) ^ 0x80).tobytes()
    out = io.BytesIO()
    subtype = {"ulaw": "ULAW", "alaw": "ALAW"}[coding]
    soundfile.write(out, x, 8000, format="RAW", subtype=subtype)
    return out.getvalue()


@pytest.mark.parametrize("coding", wavfile.VOICE_ENCODINGS)
def test_decode_capture_in_every_coding(coding: str) -> None:
    raw = encode(capture_audio(), coding)
    assert [(c.format, c.number) for c in nd.decode_capture(raw, 8000, coding)] == [("ntt", "0335814321")]


@pytest.mark.parametrize("coding", wavfile.VOICE_ENCODINGS)
def test_burst_watch_in_every_coding_and_any_chunking(coding: str) -> None:
    raw = encode(capture_audio(), coding)
    rng = np.random.default_rng(1)
    watch = nd.BurstWatch(8000, encoding=coding)
    got = b""
    finished_at = None
    while len(got) < len(raw):
        got += raw[len(got) : len(got) + int(rng.integers(1, 700))]
        if watch(got) and finished_at is None:
            finished_at = len(got)
    per_second = len(raw) / (len(capture_audio()) / 8000)
    burst_end = (2400 + len(modulator.caller_audio(TANAKA, "ntt", 8000))) / 8000
    assert finished_at is not None and finished_at / per_second > burst_end  # not before it ended


def test_our_ima_decoder_agrees_with_libsndfile(tmp_path: Path) -> None:
    """libsndfile's IMA ADPCM WAV blocks (header: first sample and step index) decoded by ours."""
    x = capture_audio()[:4000]
    path = wavfile.write_wav(tmp_path / "ima.wav", x, 8000, subtype="IMA_ADPCM")
    theirs, _ = soundfile.read(str(path), dtype="float64")
    data = path.read_bytes()
    fmt_at, data_at = data.index(b"fmt "), data.index(b"data")
    (align,) = struct.unpack_from("<H", data, fmt_at + 8 + 12)
    (size,) = struct.unpack_from("<I", data, data_at + 4)
    payload = data[data_at + 8 : data_at + 8 + size]
    ours = []
    for at in range(0, len(payload), align):
        block = payload[at : at + align]
        predictor, index = struct.unpack_from("<hB", block)
        ours += [predictor / 32768.0, *wavfile.ima_adpcm(block[4:], predictor=predictor, index=index)]
    assert np.array_equal(np.asarray(ours[: len(theirs)]), theirs)


def test_profiles_name_their_coding() -> None:
    assert USR.voice_encoding == "u8" and CONEXANT.voice_encoding == "u8"
    assert replace(CONEXANT, voice_format="+VSM=129,8000").voice_encoding == "ima-adpcm"
    with pytest.raises(ValueError, match="unknown voice encoding"):
        wavfile.voice_samples(b"\x00", "gsm")
