"""`callerid decode-audio` on real WAV files, and the WAV reader under it."""

from __future__ import annotations

import json
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from callerid import wavfile
from callerid.cli import main
from callerid.decode import fsk
from callerid.model import CallerID
from callerid.transmit import modulator
from callerid.transmit.encode import encode_etsi, encode_mdmf, encode_ntt
from callerid.wavfile import WavError, iter_wav, read_wav, wav_info

NTT_CALLER = CallerID("ntt", number="0335814321", date="1125", time="0930")
BELL_CALLER = CallerID("mdmf", absence="P", name="A N OTHER", date="0321", time="1405")
ETSI_CALLER = CallerID("etsi", number="01632960001", date="0101", time="0000")


def write_wav(path: Path, samples: np.ndarray, rate: int, width: int, channels: int = 1) -> Path:
    pcm = np.frombuffer(modulator.to_pcm(samples, width), dtype=np.uint8 if width == 1 else "<i2")
    if channels == 2:
        pcm = np.stack([pcm, pcm], axis=1).reshape(-1)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(pcm.tobytes())
    return path


def call_audio(rate: int) -> np.ndarray:
    gap = np.zeros(int(0.25 * rate))
    parts = [
        gap,
        modulator.modulate(encode_ntt(NTT_CALLER), "ntt", rate),
        gap,
        modulator.modulate(encode_mdmf(BELL_CALLER), "bell202", rate),
        gap,
        modulator.modulate(encode_etsi(ETSI_CALLER), "v23", rate),
        gap,
    ]
    x = np.concatenate(parts)
    return x + np.random.default_rng(rate).normal(0, 0.02, len(x))  # about 25 dB SNR


@pytest.mark.parametrize("rate,width", [(8000, 1), (8000, 2), (16000, 1), (16000, 2)])
def test_json_records_for_8_and_16_bit_at_8_and_16_khz(
    tmp_path: Path, rate: int, width: int, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_wav(tmp_path / f"call-{rate}-{width}.wav", call_audio(rate), rate, width)
    assert main(["decode-audio", "--json", str(path)]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert records == [
        {**NTT_CALLER.to_json(), "checksum_ok": True, "file": str(path)},
        {**BELL_CALLER.to_json(), "checksum_ok": True, "file": str(path)},
        {**ETSI_CALLER.to_json(), "checksum_ok": True, "file": str(path)},
    ]


@pytest.mark.parametrize(
    "subtype", ["PCM_U8", "PCM_24", "PCM_32", "FLOAT", "DOUBLE", "ULAW", "ALAW", "IMA_ADPCM", "MS_ADPCM"]
)
def test_every_wav_encoding_a_recorder_or_modem_writes(
    tmp_path: Path, subtype: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """μ-law (format 7), A-law (6), IMA ADPCM (17) and the rest, written by libsndfile."""
    path = wavfile.write_wav(tmp_path / f"call-{subtype}.wav", call_audio(8000), 8000, subtype=subtype)
    assert wavfile.wav_info(path).subtype == subtype
    assert main(["decode-audio", "--json", str(path)]) == 0
    numbers = [json.loads(line)["number"] for line in capsys.readouterr().out.splitlines()]
    assert numbers == ["0335814321", None, "01632960001"]


def test_readable_lines_and_stereo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_wav(tmp_path / "stereo.wav", call_audio(8000), 8000, 2, channels=2)
    assert main(["decode-audio", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert (
        lines[0].startswith(f"{path} 0.") and "ntt ntt: number 0335814321 date 11-25 time 09:30" in lines[0]
    )
    assert "bell202 mdmf: no number (P: withheld) name 'A N OTHER' date 03-21 time 14:05" in lines[1]
    assert "v23 etsi: number 01632960001" in lines[2]


def test_forced_standard(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_wav(tmp_path / "call.wav", call_audio(8000), 8000, 2)
    assert main(["decode-audio", "--json", "--standard", "ntt", str(path)]) == 0
    assert [json.loads(line)["format"] for line in capsys.readouterr().out.splitlines()] == ["ntt"]


def test_bad_files_are_one_line_each_and_the_rest_still_decode(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write_wav(tmp_path / "good.wav", call_audio(8000), 8000, 2)
    text = tmp_path / "notes.wav"
    text.write_text("this is not audio at all, just some text pretending to be a WAV file\n")
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    low = write_wav(tmp_path / "low.wav", np.zeros(4000), 4000, 2)
    args = [
        "decode-audio",
        "--json",
        str(text),
        str(tmp_path / "missing.wav"),
        str(empty),
        str(low),
        str(tmp_path),
        str(good),
    ]
    assert main(args) == 2
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 3  # good.wav still decoded, after the failures
    errors = captured.err.splitlines()
    assert len(errors) == 5 and all(e.startswith("callerid decode-audio: ") for e in errors)
    assert "not a readable WAV file" in errors[0] and "no such file" in errors[1]
    assert "not a readable WAV file" in errors[2] and "too low" in errors[3] and "is a directory" in errors[4]
    assert "Traceback" not in captured.err


def test_no_message_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    noise = write_wav(tmp_path / "noise.wav", np.random.default_rng(1).normal(0, 0.2, 16000), 8000, 2)
    assert main(["decode-audio", str(noise)]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "no caller-ID message found" in captured.err


def test_runs_as_a_real_process(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "call.wav", call_audio(8000), 8000, 1)
    out = subprocess.run(
        [sys.executable, "-m", "callerid", "decode-audio", "--json", str(path)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert [json.loads(line)["number"] for line in out.stdout.splitlines()] == [
        "0335814321",
        None,
        "01632960001",
    ]


# -- the WAV reader ------------------------------------------------------------------------------


def test_reader_widths_channels_and_blocks(tmp_path: Path) -> None:
    x = np.sin(np.arange(10000) / 7.0) * 0.5
    for width in (1, 2):
        samples, rate = read_wav(write_wav(tmp_path / f"w{width}.wav", x, 11025, width, channels=2))
        assert rate == 11025 and len(samples) == len(x)
        assert np.max(np.abs(samples - x)) < (1 / 100 if width == 1 else 1e-4)
    path = tmp_path / "w2.wav"
    blocks = list(iter_wav(path, block_frames=999))
    assert [len(b) for b in blocks[:-1]] == [999] * 10 and len(blocks[-1]) == 10
    assert wav_info(path).seconds == pytest.approx(10000 / 11025)
    # 24-bit and 32-bit PCM by hand
    ints = np.array([0, 1 << 22, -(1 << 22), (1 << 23) - 1, -(1 << 23)])
    raw24 = b"".join(int(v & 0xFFFFFF).to_bytes(3, "little") for v in ints)
    assert read_wav(riff(tmp_path / "w24.wav", raw24, 1, 24))[0].tolist() == pytest.approx(
        [0, 0.5, -0.5, 1 - 2**-23, -1.0]
    )
    raw32 = np.array([0, 1 << 30, -(1 << 31)], dtype="<i4").tobytes()
    assert read_wav(riff(tmp_path / "w32.wav", raw32, 1, 32))[0].tolist() == [0.0, 0.5, -1.0]
    floats = np.array([0.0, 0.25, -0.75], dtype="<f4").tobytes()
    assert read_wav(riff(tmp_path / "f32.wav", floats, 3, 32))[0].tolist() == [0.0, 0.25, -0.75]


def riff(path: Path, data: bytes, tag: int, bits: int, rate: int = 8000) -> Path:
    """A one-channel WAV written byte by byte (format tag 1 PCM, 3 IEEE float), not by our writer."""
    align = bits // 8
    fmt = tag.to_bytes(2, "little") + (1).to_bytes(2, "little") + rate.to_bytes(4, "little")
    fmt += (rate * align).to_bytes(4, "little") + align.to_bytes(2, "little") + bits.to_bytes(2, "little")
    body = b"WAVEfmt " + len(fmt).to_bytes(4, "little") + fmt
    body += b"data" + len(data).to_bytes(4, "little") + data
    path.write_bytes(b"RIFF" + len(body).to_bytes(4, "little") + body)
    return path


def test_reader_refusals(tmp_path: Path) -> None:
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF....WAVEnot really")
    with pytest.raises(WavError, match="junk.wav: not a readable WAV file"):
        read_wav(junk)
    with pytest.raises(WavError, match="no such file"):
        read_wav(tmp_path / "nope.wav")
    with pytest.raises(WavError, match="is a directory"):
        wav_info(tmp_path)
    truncated = write_wav(tmp_path / "cut.wav", np.zeros(1000), 8000, 2)
    truncated.write_bytes(truncated.read_bytes()[:-501])  # header promises more than is there
    samples, _ = read_wav(truncated)
    assert len(samples) < 1000  # what is there is read; a half frame is dropped


def test_demodulating_in_small_blocks_matches_the_whole(tmp_path: Path) -> None:
    x = call_audio(8000)
    path = write_wav(tmp_path / "call.wav", x, 8000, 2)
    whole = fsk.demodulate(read_wav(path)[0], 8000)
    streamed = list(fsk.demodulate_stream(iter_wav(path, block_frames=777), 8000))
    assert [b.data for b in streamed] == [b.data for b in whole] and len(whole) == 3
