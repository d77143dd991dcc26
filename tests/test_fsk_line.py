"""The FSK demodulator on a real line: each condition synthesised with our modulator, plus the two
real recordings in ../shared/vectors/real/ (skipped when absent).

Every test asserts both halves: the exact message is found, and nothing else is reported.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from callerid import wavfile
from callerid.benchmarks import fsk_line, impair
from callerid.benchmarks.fsk_messages import random_callers, wire_message
from callerid.cli import main
from callerid.decode import fsk, fsk_dsp
from callerid.transmit import modulator

RATE = 8000
TONES = {"bell202": (1200.0, 2200.0), "v23": (1300.0, 2100.0), "ntt": (1300.0, 2100.0)}


def messages(standard: str, count: int, seed: int) -> list[bytes]:
    return [wire_message(standard, c) for c in random_callers(standard, count, seed)]


def line(
    wire: bytes,
    standard: str,
    rng: np.random.Generator,
    *,
    rate: int = RATE,
    snr_db: float = 15.0,
    twist_db: float = 0.0,
    **sender: float,
) -> np.ndarray:
    """One message as a line delivers it: random start phase, 0.25 s either side, white noise."""
    burst = modulator.modulate(
        wire, standard, rate, level_dbfs=-13.0, phase=float(rng.uniform(0, 6.28)), **sender
    )
    if twist_db:
        burst = impair.twist(burst, rate, twist_db, *TONES[standard])
    pad = np.zeros(rate // 4)
    return impair.noise(np.concatenate([pad, burst, pad]), snr_db, rng, reference=burst)


def assert_exact(x: np.ndarray, rate: int, wire: bytes, standard: str = "auto") -> None:
    assert [b.data for b in fsk.demodulate(x, rate, standard)] == [wire]


# -- the sender's clock --------------------------------------------------------------------------


@pytest.mark.parametrize("standard", ["bell202", "v23", "ntt"])
@pytest.mark.parametrize("scale", [1.025, 0.975])
def test_message_clock_differs_from_a_1200_seizure(standard: str, scale: float) -> None:
    """Real senders run the seizure at 1200 bit/s and the message a few percent off."""
    rng = np.random.default_rng(int(scale * 1000))
    for wire in messages(standard, 4, seed=int(scale * 100)):
        assert_exact(line(wire, standard, rng, baud_scale=scale, preamble_baud_scale=1.0), RATE, wire)


@pytest.mark.parametrize("standard", ["bell202", "ntt"])
@pytest.mark.parametrize("drift", [0.03, -0.03])
def test_clock_drifting_through_the_message(standard: str, drift: float) -> None:
    rng = np.random.default_rng(7)
    for wire in messages(standard, 4, seed=3):
        x = line(wire, standard, rng, baud_scale=1.0 - drift / 2, preamble_baud_scale=1.0, drift=drift)
        assert_exact(x, RATE, wire)


def test_resync_grid_follows_each_start_bit() -> None:
    """Sampled on the per-character grid, every character of a +3 % message lands on its bits."""
    wire = messages("bell202", 1, seed=5)[0]
    x = line(wire, "bell202", np.random.default_rng(1), snr_db=40.0, baud_scale=1.03, preamble_baud_scale=1.0)
    z = fsk_dsp.baseband(x, RATE)
    ((a, b),) = fsk_dsp.find_bursts(z)
    soft, _ = fsk_dsp.sequence_soft(z[a:b], fsk_dsp.DEVIATION_HZ["bell202"])
    period, first = fsk_dsp.message_clock(soft)
    assert period == pytest.approx(8.0 / 1.03, rel=0.004)  # the message's own rate, not the seizure's
    grid = fsk_dsp.resync_grid(soft, period, first)
    bits = "".join("1" if v > 0 else "0" for v in np.interp(grid, np.arange(b - a), soft))
    body = "".join("0" + format(byte, "08b")[::-1] + "1" for byte in wire)
    assert body in bits


# -- the line and the recorder -------------------------------------------------------------------


@pytest.mark.parametrize("standard", ["bell202", "v23"])
@pytest.mark.parametrize("twist_db", [15.0, -15.0, 10.0, -10.0])
def test_twist_mark_and_space_at_different_levels(standard: str, twist_db: float) -> None:
    rng = np.random.default_rng(int(abs(twist_db)))
    for wire in messages(standard, 3, seed=int(twist_db) + 50):
        assert_exact(line(wire, standard, rng, snr_db=12.0, twist_db=twist_db), RATE, wire)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda x: impair.dc(x, 0.3), id="dc"),
        pytest.param(lambda x: impair.hum(x, RATE, 50.0, 10.0), id="hum-50"),
        pytest.param(lambda x: impair.hum(x, RATE, 60.0, 10.0), id="hum-60"),
        pytest.param(lambda x: impair.clip(x, 12.0), id="clipped"),
        pytest.param(lambda x: impair.clip(impair.dc(impair.twist(x, RATE, 12.0), 0.1), 9.0), id="generator"),
        pytest.param(lambda x: impair.mulaw(x, RATE), id="mu-law"),
    ],
)
@pytest.mark.parametrize("standard", ["bell202", "ntt"])
def test_front_end_conditions(standard: str, damage) -> None:  # noqa: ANN001 - a lambda
    rng = np.random.default_rng(11)
    for wire in messages(standard, 3, seed=21):
        assert_exact(damage(line(wire, standard, rng)), RATE, wire)


@pytest.mark.parametrize("rate", [7200, 8000, 11025, 16000, 19200, 22050, 44100, 48000])
def test_every_sample_rate_in_8_and_16_bit(rate: int, tmp_path: Path) -> None:
    rng = np.random.default_rng(rate)
    wire = messages("bell202", 1, seed=rate)[0]
    x = line(wire, "bell202", rng, rate=rate, baud_scale=1.02, preamble_baud_scale=1.0)
    for subtype in ("PCM_U8", "PCM_16"):
        path = wavfile.write_wav(tmp_path / f"{rate}-{subtype}.wav", x * 0.5, rate, subtype=subtype)
        samples, got_rate = wavfile.read_wav(path)
        assert got_rate == rate
        assert_exact(samples, rate, wire)


def test_first_channel_of_a_stereo_recording(tmp_path: Path) -> None:
    """A stereo recorder puts the line on one channel; the other (a room microphone) is ignored."""
    rng = np.random.default_rng(2)
    wire = messages("bell202", 1, seed=2)[0]
    x = line(wire, "bell202", rng)
    room = rng.normal(0, 0.3, len(x))
    path = wavfile.write_wav(tmp_path / "stereo.wav", np.stack([x, room], axis=1), RATE)
    assert_exact(wavfile.read_wav(path)[0], RATE, wire)


@pytest.mark.parametrize("offset_hz", [-60.0, -25.0, 25.0, 60.0])
@pytest.mark.parametrize(("twist_db", "snr_db"), [(0.0, 40.0), (0.0, 6.0), (12.0, 12.0), (-12.0, 12.0)])
def test_centre_estimate_never_moves_the_wrong_way(offset_hz: float, twist_db: float, snr_db: float) -> None:
    rng = np.random.default_rng(int(offset_hz) + 100)
    wire = messages("bell202", 1, seed=9)[0]
    x = line(wire, "bell202", rng, snr_db=snr_db, twist_db=twist_db, freq_offset_hz=offset_hz)
    z = fsk_dsp.baseband(x, RATE)
    ((a, b),) = fsk_dsp.find_bursts(z)
    soft, _ = fsk_dsp.sequence_soft(z[a:b], fsk_dsp.DEVIATION_HZ["bell202"])
    estimate = fsk_dsp.centre_offset(z[a:b], soft, fsk_dsp.DEVIATION_HZ["bell202"])
    assert estimate == 0.0 or (estimate > 0) == (offset_hz > 0)
    assert abs(estimate) <= abs(offset_hz) + 5.0
    assert_exact(x, RATE, wire)


def test_no_message_in_impaired_noise() -> None:
    """Hum, DC and clipping on noise alone: the detector finds nothing, whatever the front end keeps."""
    rng = np.random.default_rng(5)
    x = impair.clip(impair.hum(impair.dc(rng.normal(0, 0.1, RATE * 20), 0.2), RATE, 60.0, 10.0), 6.0)
    assert fsk.demodulate(x, RATE) == []


# -- real recordings -----------------------------------------------------------------------------

REAL = fsk_line.real_folder()


@pytest.mark.parametrize("name", sorted(fsk_line.REAL_FILES))
def test_real_recordings_decode_to_their_numbers(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = REAL / name
    if not path.is_file():
        pytest.skip(f"{path} is absent (real recordings live beside the checkout, not in it)")
    assert main(["decode-audio", "--json", str(path)]) == 0
    import json

    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["number"] for r in records] == list(fsk_line.REAL_FILES[name])
    assert all(r["checksum_ok"] is True and r["format"] == "mdmf" for r in records)
