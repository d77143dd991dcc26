"""FSK caller-ID audio: our modulator, our demodulator, round trips under noise and abuse.

Audio is real: phase-continuous FSK at the standard tones, white Gaussian noise at a stated SNR
(signal power over the full-band noise power), offsets, clipping and resampling as a modem or a
sound card would produce them. The spandsp cross-checks live in test_fsk_spandsp.py.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callerid.decode import fsk
from callerid.model import CallerID
from callerid.transmit import modulator
from callerid.transmit.encode import encode_etsi, encode_mdmf, encode_ntt, encode_sdmf

ENCODERS = {"bell202": encode_mdmf, "v23": encode_etsi, "ntt": encode_ntt}
FORMAT_OF = {"bell202": "mdmf", "v23": "etsi", "ntt": "ntt"}


def random_caller(rng: random.Random, standard: str) -> CallerID:
    number = rng.choice(["0", "090", "03"]) + "".join(rng.choice("0123456789") for _ in range(8))
    name = None
    if standard != "ntt" and rng.random() < 0.7:
        letters = (rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ ") for _ in range(rng.randint(3, 15)))
        name = "".join(letters).strip() or "X"
    date = f"{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    time = f"{rng.randint(0, 23):02d}{rng.randint(0, 59):02d}"
    return CallerID(FORMAT_OF[standard], number=number, name=name, date=date, time=time)


def burst(caller: CallerID, standard: str, rate: int = 8000, **kwargs: float) -> np.ndarray:
    return modulator.modulate(ENCODERS[standard](caller), standard, rate, **kwargs)


def recording(parts: list[np.ndarray], rate: int = 8000, gap: float = 0.3) -> np.ndarray:
    silence = np.zeros(int(gap * rate))
    out = [silence]
    for part in parts:
        out += [part, silence]
    return np.concatenate(out)


def add_noise(x: np.ndarray, signal: np.ndarray, snr_db: float, seed: int) -> np.ndarray:
    """White Gaussian noise over the whole band, SNR = signal power / noise power."""
    power = float(np.mean(signal**2))
    sigma = np.sqrt(power / 10 ** (snr_db / 10))
    return x + np.random.default_rng(seed).normal(0.0, sigma, len(x))


def same_fields(got: CallerID, want: CallerID) -> bool:
    return (got.number, got.name, got.date, got.time, got.absence) == (
        want.number,
        want.name,
        want.date,
        want.time,
        want.absence,
    )


def decoded(x: np.ndarray, rate: int = 8000, standard: str = "auto") -> list[CallerID]:
    return [caller for _, caller in fsk.decode_audio(x, rate, standard)]


# -- the modulator ---------------------------------------------------------------------------


def test_bits_on_the_line_follow_each_standard() -> None:
    bell = modulator.message_bits(b"\x80", "bell202")
    assert bell[:4] == [0, 1, 0, 1] and len(bell) == 300 + 180 + 10 + 5
    assert bell[300:480] == [1] * 180
    assert bell[480:490] == [0, 0, 0, 0, 0, 0, 0, 0, 1, 1]  # start, 0x80 LSB first, one stop bit
    ntt = modulator.message_bits(b"\x90", "ntt")
    assert ntt[:75] == [1] * 75  # no seizure, marks only
    assert ntt[75:88] == [0, 0, 0, 0, 0, 1, 0, 0, 1, 1, 1, 1, 1]  # 0x90, then 4 stop bits like spandsp


@pytest.mark.parametrize("standard,mark,space", [("bell202", 1200, 2200), ("v23", 1300, 2100)])
def test_modulator_tones_level_and_phase_continuity(standard: str, mark: int, space: int) -> None:
    rate = 8000
    audio = modulator.modulate(b"\x00" * 4, standard, rate, level_dbfs=-10.0, seizure_bits=0, mark_bits=240)
    rms_dbfs = 20 * np.log10(np.sqrt(np.mean(audio**2)) * np.sqrt(2))
    assert abs(rms_dbfs - -10.0) < 0.1
    marks = audio[: int(0.2 * rate)]
    spectrum = np.abs(np.fft.rfft(marks * np.hanning(len(marks))))
    assert abs(np.argmax(spectrum) * rate / len(marks) - mark) <= 5
    spaces = modulator.modulate(b"\x00" * 40, standard, rate, seizure_bits=0, mark_bits=0, stop_bits=0)
    spectrum = np.abs(np.fft.rfft(spaces * np.hanning(len(spaces))))
    assert abs(np.argmax(spectrum) * rate / len(spaces) - space) <= 5
    # Phase-continuous: no sample-to-sample step larger than the fastest tone allows.
    peak = np.max(np.abs(audio))
    assert np.max(np.abs(np.diff(audio))) <= peak * 2 * np.pi * space / rate * 1.01


def test_pcm_conversion_and_refusals() -> None:
    audio = np.array([0.0, 0.5, -0.5, 1.5, -1.5])
    assert np.frombuffer(modulator.to_pcm(audio, 2), "<i2").tolist() == [0, 16384, -16384, 32767, -32768]
    assert list(modulator.to_pcm(audio, 1)) == [128, 192, 64, 255, 0]
    with pytest.raises(ValueError, match="width"):
        modulator.to_pcm(audio, 3)
    with pytest.raises(ValueError, match="too low"):
        modulator.modulate(b"\x80", "bell202", 4000)


# -- clean and noisy round trips -------------------------------------------------------------


@pytest.mark.parametrize("standard", ["bell202", "v23", "ntt"])
def test_clean_round_trip_auto_detects_the_standard(standard: str) -> None:
    caller = CallerID(
        FORMAT_OF[standard],
        number="0335814321",
        name=None if standard == "ntt" else "SATO",
        date="1125",
        time="0930",
    )
    records = fsk.decode_audio(recording([burst(caller, standard)]), 8000)
    assert len(records) == 1
    found, got = records[0]
    assert found.standard == standard and found.corrected_bits == 0
    assert got.format == FORMAT_OF[standard] and got.checksum_ok is True
    assert same_fields(got, caller)
    assert found.data == ENCODERS[standard](caller)
    assert 0.25 < found.start < 0.75  # the message starts after the preamble, 0.3 s into the file


def test_sdmf_and_withheld_numbers_over_bell202() -> None:
    sdmf = encode_sdmf("5045551234", "0321", "1405")
    withheld = encode_mdmf(CallerID("mdmf", absence="P", name_absence="P", date="0101", time="0000"))
    x = recording([modulator.modulate(sdmf, "bell202"), modulator.modulate(withheld, "bell202")])
    got = decoded(x, standard="bell202")
    assert [(c.format, c.number, c.absence) for c in got] == [
        ("sdmf", "5045551234", None),
        ("mdmf", None, "P"),
    ]


@pytest.mark.parametrize("standard", ["bell202", "v23", "ntt"])
def test_noisy_round_trips_at_6_db(standard: str) -> None:
    """At 6 dB SNR spandsp decodes almost nothing (see docs/fsk.md); we must decode every one."""
    rng = random.Random(f"noisy-{standard}")
    misses = []
    for i in range(12):
        caller = random_caller(rng, standard)
        clean = burst(caller, standard, phase=rng.random() * 6.28)
        x = add_noise(recording([clean]), clean, 6.0, seed=i)
        got = decoded(x)
        if not (len(got) == 1 and same_fields(got[0], caller)):
            misses.append((caller, got))
    assert not misses


@pytest.mark.parametrize("standard", ["bell202", "v23", "ntt"])
def test_very_low_snr_gives_no_wrong_record(standard: str) -> None:
    """Below the working range we may miss a message, but never report a different one."""
    rng = random.Random(f"wrong-{standard}")
    for i in range(10):
        caller = random_caller(rng, standard)
        clean = burst(caller, standard, phase=rng.random() * 6.28)
        x = add_noise(recording([clean]), clean, 1.0, seed=100 + i)
        for got in decoded(x, standard=standard):
            assert same_fields(got, caller)


# -- level, DC, frequency and clock offsets, other rates --------------------------------------


CALLER = CallerID("ntt", number="0335814321", date="1125", time="0930")


@pytest.mark.parametrize("level_dbfs", [-50.0, -30.0, -3.0])
def test_any_level(level_dbfs: float) -> None:
    x = recording([burst(CALLER, "ntt", level_dbfs=level_dbfs)])
    assert [c.number for c in decoded(x)] == ["0335814321"]


def test_clipped_audio_still_decodes() -> None:
    """FSK lives in the zero crossings: a modem driven into hard clipping still carries it."""
    clean = burst(CALLER, "ntt", level_dbfs=0.0)
    x = np.clip(recording([clean]) * 20, -1.0, 1.0)
    assert np.mean(np.abs(x[np.abs(x) > 0.01]) >= 1.0) > 0.8  # mostly square wave now
    assert [c.number for c in decoded(x)] == ["0335814321"]


def test_dc_offset_and_unsigned_8_bit_samples() -> None:
    x = recording([burst(CALLER, "ntt", level_dbfs=-12.0)]) + 0.4
    assert [c.number for c in decoded(x)] == ["0335814321"]
    u8 = np.frombuffer(modulator.to_pcm(x - 0.4, 1), dtype=np.uint8)
    assert [c.number for c in decoded(u8)] == ["0335814321"]
    i16 = np.frombuffer(modulator.to_pcm(x - 0.4, 2), dtype="<i2")
    assert [c.number for c in decoded(i16)] == ["0335814321"]


@pytest.mark.parametrize(
    "offsets",
    [
        {"freq_scale": 0.97},
        {"freq_scale": 1.03},
        {"freq_offset_hz": -60.0},
        {"freq_offset_hz": 60.0},
        {"baud_scale": 0.98},
        {"baud_scale": 1.02},
        {"freq_scale": 1.03, "baud_scale": 1.03},  # a sound card clock 3 % fast moves both
    ],
)
@pytest.mark.parametrize("standard", ["bell202", "v23", "ntt"])
def test_frequency_and_clock_offsets(standard: str, offsets: dict[str, float]) -> None:
    caller = random_caller(random.Random(str(offsets)), standard)
    clean = burst(caller, standard, **offsets)
    x = add_noise(recording([clean]), clean, 15.0, seed=7)
    got = decoded(x, standard=standard)
    assert len(got) == 1 and same_fields(got[0], caller)


@pytest.mark.parametrize("rate", [8000, 11025, 16000, 22050, 44100, 48000])
def test_any_sample_rate(rate: int) -> None:
    caller = CallerID("mdmf", number="5045551234", name="A N OTHER", date="0321", time="1405")
    x = recording([burst(caller, "bell202", rate)], rate)
    got = decoded(x, rate)
    assert len(got) == 1 and same_fields(got[0], caller)


def test_rate_too_low_is_a_clear_error() -> None:
    with pytest.raises(fsk.AudioError, match="too low"):
        fsk.demodulate(np.zeros(4000), 4000)
    with pytest.raises(ValueError, match="unknown FSK standard"):
        fsk.demodulate(np.zeros(8000), 8000, "v21")


# -- bursts in long recordings ----------------------------------------------------------------


def test_every_burst_in_one_recording_in_order() -> None:
    rng = random.Random("multi")
    callers = [random_caller(rng, s) for s in ("ntt", "v23", "bell202", "ntt")]
    standards = ["ntt", "v23", "bell202", "ntt"]
    parts = [burst(c, s) for c, s in zip(callers, standards, strict=True)]
    x = add_noise(recording(parts, gap=0.8), parts[0], 20.0, seed=3)
    records = fsk.decode_audio(x, 8000)
    assert [b.standard for b, _ in records] == standards
    assert all(same_fields(got, want) for (_, got), want in zip(records, callers, strict=True))
    starts = [b.start for b, _ in records]
    assert starts == sorted(starts) and all(b.end > b.start for b, _ in records)


def test_long_recording_is_chunked_without_losing_or_doubling_a_burst() -> None:
    """A burst across a chunk boundary (and in the overlap) is reported once, at the right time."""
    rate = 8000
    x = add_noise(np.zeros(int(50 * rate)), np.full(10, 0.1), 30.0, seed=5)
    placed = [2.0, fsk.CHUNK_SECONDS - fsk.OVERLAP_SECONDS - 0.2, fsk.CHUNK_SECONDS - 0.5, 45.0]
    for i, at in enumerate(placed):
        audio = burst(CallerID("ntt", number=f"03000000{i:02d}"), "ntt", level_dbfs=-12.0)
        x[int(at * rate) : int(at * rate) + len(audio)] += audio
    records = fsk.decode_audio(x, rate)
    assert [c.number for _, c in records] == [f"03000000{i:02d}" for i in range(4)]
    for (found, _), at in zip(records, placed, strict=True):
        assert at < found.start < at + 0.1  # 75 mark bits (62 ms) precede the first start bit


# -- nothing there: no record and no crash ----------------------------------------------------


def test_silence_noise_and_tones_give_nothing() -> None:
    rate = 8000
    rng = np.random.default_rng(11)
    t = np.arange(5 * rate) / rate
    cases = [
        np.zeros(5 * rate),
        rng.normal(0, 0.3, 5 * rate),
        np.clip(rng.normal(0, 3.0, 5 * rate), -1, 1),  # clipped noise
        0.5 * np.sin(2 * np.pi * 1300 * t),  # steady mark tone, no data
        0.5 * np.sin(2 * np.pi * (1700 + 450 * np.sign(np.sin(2 * np.pi * 600 * t))) * t),  # alternations
        np.full(5 * rate, 0.7),  # DC only
    ]
    for x in cases:
        assert fsk.demodulate(x, rate) == []


def test_random_bytes_as_fsk_give_no_record() -> None:
    """Well-formed FSK carrying junk must not turn into a caller ID."""
    rng = random.Random("junk")
    for standard in ("bell202", "v23", "ntt"):
        for _ in range(5):
            junk = bytes(rng.randrange(256) for _ in range(rng.randint(5, 60)))
            assert decoded(recording([modulator.modulate(junk, standard)])) == []


@pytest.mark.parametrize("standard", ["bell202", "v23", "ntt"])
def test_truncated_bursts_give_no_record(standard: str) -> None:
    caller = random_caller(random.Random("cut"), standard)
    data = ENCODERS[standard](caller)
    clean = modulator.modulate(data, standard, postamble_bits=0)
    body_start = len(modulator.message_bits(b"", standard, postamble_bits=0)) * 8000 // 1200
    for fraction in (0.0, 0.2, 0.5, 0.8, 0.95):
        cut = body_start + int((len(clean) - body_start) * fraction) - 40
        assert decoded(recording([clean[:cut]])) == [], fraction
    assert len(decoded(recording([clean]))) == 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.binary(min_size=0, max_size=12000),
    rate=st.sampled_from([8000, 16000]),
    width=st.sampled_from([1, 2]),
)
def test_arbitrary_audio_never_crashes(data: bytes, rate: int, width: int) -> None:
    samples = np.frombuffer(data[: len(data) // width * width], dtype=np.uint8 if width == 1 else "<i2")
    for burst_found in fsk.demodulate(samples, rate):
        assert burst_found.data  # anything reported is a verified message


def test_float_oddities_are_tolerated() -> None:
    x = recording([burst(CALLER, "ntt")])
    x[100:110] = np.nan
    x[200] = np.inf
    assert [c.number for c in decoded(x)] == ["0335814321"]
    assert fsk.demodulate(np.zeros(10), 8000) == []
    assert fsk.demodulate(np.zeros((16000, 2), dtype=np.int16), 8000) == []
    with pytest.raises(fsk.AudioError, match="1-D"):
        fsk.demodulate(np.zeros((2, 2, 2)), 8000)


def test_stereo_array_is_mixed_down() -> None:
    mono = recording([burst(CALLER, "ntt")])
    stereo = np.stack([mono, np.zeros_like(mono)], axis=1)
    assert [c.number for c in decoded(stereo)] == ["0335814321"]
