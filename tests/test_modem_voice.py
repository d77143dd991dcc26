"""Voice mode through the pty: the WAV's samples reach the simulator exactly, paced in real time."""

from __future__ import annotations

import time
import wave
from pathlib import Path

import numpy as np
import pytest

from callerid.model import CallerID
from callerid.modem.events import CallEnded, CallerIDReceived, ModemStatus, Ring
from callerid.modem.link import ModemLink
from callerid.modem.probe import open_serial
from callerid.modem.profiles import get_profile
from callerid.modem.sim import SimCall, SimulatedModem
from callerid.modem.voice import enter_voice, leave_voice, receive
from tests.modem_helpers import EventLog, LineRecorder, fast_driver, ready_driver

SCALE = 0.02
HANAKO = CallerID("text", number="0471230000", name="SATO HANAKO", date="1125", time="0930")


def write_wav(path: Path, samples: np.ndarray, rate: int, width: int, channels: int = 1) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(samples.tobytes())
    return path


def u8_test_signal(seconds: float) -> np.ndarray:
    """Every byte value, with long runs of 0x10 (DLE) and DLE next to ETX (0x03)."""
    n = int(8000 * seconds)
    ramp = np.arange(n, dtype=np.uint32) % 256
    signal = ramp.astype(np.uint8)
    signal[100:160] = 0x10
    signal[200:260:2] = 0x10
    signal[201:261:2] = 0x03
    return signal


def play_and_collect(profile: str, wav: Path, **driver_options) -> tuple[SimulatedModem, EventLog, float]:
    events = EventLog()
    sim = SimulatedModem(profile, time_scale=SCALE).start()
    driver = fast_driver(sim.port, events, **driver_options)
    driver.start()
    try:
        assert driver.wait_ready(3.0)
        started = time.monotonic()
        driver.play_to_caller(wav)
        returned = time.monotonic() - started
        assert sim.wait_for(lambda s: s.audio_sessions and s.audio_sessions[-1].ended_at is not None, 10.0)
        cid = "AT#CID=1" if profile == "usr" else "AT+VCID=1"
        assert sim.wait_for(lambda s: s.commands()[-2:] == ["AT+FCLASS=0", cid], 3.0)
    finally:
        driver.stop()
        sim.stop()
    return sim, events, returned


def test_play_to_caller_delivers_the_exact_samples_paced_in_real_time(tmp_path: Path) -> None:
    samples = u8_test_signal(1.0)
    wav = write_wav(tmp_path / "warn.wav", samples, 8000, 1)
    sim, events, returned = play_and_collect("conexant", wav)
    assert returned < 0.01  # play_to_caller() never waits for the modem
    assert sim.received_audio == samples.tobytes()
    commands = sim.commands()
    voice = commands[commands.index("AT+FCLASS=8"):]
    assert voice == ["AT+FCLASS=8", "AT+VSM=1,8000,0,0", "AT+VLS=1", "AT+VTX", "ATH0", "AT+FCLASS=0",
                     "AT+VCID=1"]
    session = sim.audio_sessions[0]
    first, last = session.arrivals[0][0], session.arrivals[-1][0]
    span = last - first
    # 1 s of audio at 8000 samples/s, written 0.1 s ahead: the last chunk goes ~0.88 s after the first
    assert 0.8 <= span <= 1.1, f"audio arrived over {span:.3f} s"
    # no burst faster than real time beyond the lead: at any arrival, samples so far <= elapsed * rate + lead
    total = 0
    for at, count in session.arrivals:
        total += count
        assert total <= (at - first) * 8000 + 0.1 * 8000 + 400
    assert sim.hangups and sim.hangups[0].via == "+VLS=1" and sim.hangups[0].onhook_at is not None


def test_play_converts_16_bit_audio_exactly_and_uses_the_usr_voice_format(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    pcm = rng.integers(-32768, 32767, size=2400, dtype=np.int16)
    pcm[:50] = 0x1000  # top byte 0x10 -> sample 0x90; and values whose sample is 0x10:
    pcm[50:100] = (0x10 - 128) << 8
    wav = write_wav(tmp_path / "warn16.wav", pcm, 8000, 2)
    sim, _, _ = play_and_collect("usr", wav)
    expected = ((pcm.astype(np.int32) >> 8) + 128).astype(np.uint8).tobytes()
    assert sim.received_audio == expected
    assert expected.count(0x10) >= 50
    assert "AT+VSM=128,8000" in sim.commands()
    assert sim.commands()[-1] == "AT#CID=1"


def test_play_resamples_stereo_22k_audio(tmp_path: Path) -> None:
    rate = 22050
    t = np.arange(int(rate * 0.5)) / rate
    tone = 0.5 * np.sin(2 * np.pi * 1000 * t)
    stereo = np.stack([tone, tone], axis=1)
    pcm = (stereo * 32767).astype("<i2")
    wav = write_wav(tmp_path / "stereo.wav", pcm, rate, 2, channels=2)
    sim, _, _ = play_and_collect("conexant", wav)
    got = np.frombuffer(sim.received_audio, dtype=np.uint8).astype(float) - 128
    assert len(got) == pytest.approx(4000, abs=2)
    spectrum = np.abs(np.fft.rfft(got * np.hanning(len(got))))
    peak_hz = np.argmax(spectrum) * 8000 / len(got)
    assert peak_hz == pytest.approx(1000, abs=10)
    assert np.max(np.abs(got)) == pytest.approx(64, abs=4)  # half scale survives


def test_refused_voice_mode_reports_an_error_and_caller_id_keeps_working(tmp_path: Path) -> None:
    """Some USR firmware answers ERROR to +FCLASS=8."""
    wav = write_wav(tmp_path / "w.wav", u8_test_signal(0.1), 8000, 1)
    events = EventLog()
    with SimulatedModem("usr", time_scale=SCALE, refuse=("+FCLASS=8",)) as sim:
        with ready_driver(sim.port, events) as driver:
            driver.play_to_caller(wav)
            assert events.wait_state("error", timeout=3.0)
            sim.play_call(SimCall(HANAKO, rings=2))
            received = events.wait_count(CallerIDReceived, 1, timeout=3.0)
        commands = sim.commands()
    error = next(e for e in events.of(ModemStatus) if e.state == "error")
    assert "+FCLASS=8 answered ERROR" in error.detail
    assert commands[commands.index("AT+FCLASS=8"):][:4] == ["AT+FCLASS=8", "ATH0", "AT+FCLASS=0", "AT#CID=1"]
    assert "AT+VTX" not in commands
    assert received[0].caller.number == "0471230000"


def test_unreadable_wav_is_an_error_without_going_off_hook(tmp_path: Path) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    events = EventLog()
    with SimulatedModem("conexant", time_scale=SCALE) as sim:
        with ready_driver(sim.port, events) as driver:
            driver.play_to_caller(bad)
            driver.play_to_caller(tmp_path / "missing.wav")
            assert events.wait_state("error", count=2, timeout=3.0)
        assert "AT+FCLASS=8" not in sim.commands()
        assert sim.hangups == []
    details = [e.detail for e in events.of(ModemStatus) if e.state == "error"]
    assert "not a readable WAV" in details[0] and "no such file" in details[1]


def test_playback_stops_when_the_caller_hangs_up(tmp_path: Path) -> None:
    wav = write_wav(tmp_path / "long.wav", u8_test_signal(3.0), 8000, 1)
    events = EventLog()
    with SimulatedModem("conexant", time_scale=SCALE) as sim:
        with ready_driver(sim.port, events) as driver:
            sim.play_call(SimCall(HANAKO, rings=5, ring_period=50.0))
            events.wait_count(Ring, 1, timeout=3.0)
            driver.play_to_caller(wav)
            assert sim.wait_for(lambda s: len(s.received_audio) > 2000, 3.0)
            sim.send_raw(b"\x10b")  # DLE b: busy tone, the caller has gone
            assert sim.wait_for(lambda s: s.audio_sessions[0].ended_at is not None, 3.0)
            assert sim.wait_for(lambda s: s.commands()[-1] == "AT+VCID=1", 3.0)
            assert events.wait_count(CallEnded, 1, timeout=2.0)
        session = sim.audio_sessions[0]
    assert session.aborted
    assert len(session.samples) < 8000 * 1.5  # far less than the 3 s of the WAV
    assert session.ended_at - session.started_at < 1.5


def test_stop_during_playback_puts_the_line_back_on_hook(tmp_path: Path) -> None:
    wav = write_wav(tmp_path / "long.wav", u8_test_signal(5.0), 8000, 1)
    events = EventLog()
    with SimulatedModem("conexant", time_scale=SCALE) as sim:
        driver = fast_driver(sim.port, events)
        driver.start()
        assert driver.wait_ready(3.0)
        driver.play_to_caller(wav)
        assert sim.wait_for(lambda s: len(s.received_audio) > 1000, 3.0)
        started = time.monotonic()
        driver.stop()
        took = time.monotonic() - started
        assert sim.wait_for(lambda s: s.hangups and s.hangups[0].onhook_at is not None, 1.0)
    assert took < 2.0


def test_receive_streams_dle_shielded_audio_from_the_simulator() -> None:
    """+VRX (used by Number Display capture): the samples come back exactly, 0x10 included."""
    burst = bytes([0x10, 0x10, 0x03, 0x21, 0x80, 0x7F]) * 200 + bytes(range(256))
    profile = get_profile("conexant")
    with SimulatedModem("conexant", time_scale=0.1) as sim:
        sim.queue_rx_audio(burst)
        link = ModemLink(open_serial(sim.port, 1.0), LineRecorder(), clock=time.monotonic, name=sim.port)
        try:
            assert link.command("E0", 1.0).ok
            enter_voice(link, profile, 1.0)
            samples, events = receive(link, seconds=2.0, timeout=1.0, clock=time.monotonic,
                                      until=lambda got: len(got) >= len(burst) + 800)
            leave_voice(link, profile, "+VCID=1", 1.0)
        finally:
            link.close()
        commands = sim.commands()
    assert samples[: len(burst)] == burst
    assert set(samples[len(burst):]) == {0x80}  # then silence
    assert events == []
    assert commands[-4:] == ["AT+VRX", "ATH0", "AT+FCLASS=0", "AT+VCID=1"]
