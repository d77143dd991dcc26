"""The simulator alone, driven through its pty like a terminal program would (no driver)."""

from __future__ import annotations

import os
import select
import time

import pytest

from callerid.model import CallerID
from callerid.modem.dle import Unshielder
from callerid.modem.sim import SimCall, SimulatedModem
from callerid.transmit.encode import encode_mdmf, format_text

HANAKO = CallerID("text", number="0471230000", name="SATO HANAKO", date="1125", time="0930")


class Terminal:
    """A raw client on the pty slave: write commands, read what the modem says."""

    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)

    def send(self, text: str | bytes) -> None:
        os.write(self.fd, text.encode() if isinstance(text, str) else text)

    def read_until(self, marker: bytes, timeout: float = 2.0) -> bytes:
        data = b""
        deadline = time.monotonic() + timeout
        while marker not in data:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {marker!r} in {data!r}")
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if ready:
                chunk = os.read(self.fd, 4096)
                if not chunk:
                    raise EOFError(data)
                data += chunk
        return data

    def read_for(self, seconds: float) -> bytes:
        data = b""
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                data += chunk
        return data

    def result(self, timeout: float = 2.0) -> bytes:
        """Everything up to the next final result code, OK or ERROR."""
        data = b""
        while not data.endswith((b"OK\r\n", b"ERROR\r\n")):
            data += self.read_until(b"\r\n", timeout)
        return data

    def ask(self, command: str) -> bytes:
        self.send(command + "\r")
        return self.read_until(b"OK\r\n" if not command.endswith(("VTX", "VRX")) else b"CONNECT\r\n")

    def close(self) -> None:
        os.close(self.fd)


@pytest.fixture
def conexant():
    with SimulatedModem("conexant", time_scale=0.02) as sim:
        term = Terminal(sim.port)
        yield sim, term
        term.close()


def test_echo_until_ate0_and_after_atz(conexant) -> None:  # noqa: ANN001
    sim, term = conexant
    assert term.ask("AT") == b"AT\r\r\nOK\r\n"
    assert term.ask("ATE0").startswith(b"ATE0\r")
    assert term.ask("AT") == b"\r\nOK\r\n"
    assert term.ask("ATZ") == b"\r\nOK\r\n"
    assert term.ask("AT") == b"AT\r\r\nOK\r\n"  # reset: echo is back on
    assert sim.commands() == ["AT", "ATE0", "AT", "ATZ", "AT"]


@pytest.mark.parametrize(
    ("profile", "accepted", "refused"),
    [
        ("usr", ["AT#CID=1", "AT+GCI=B5"], ["AT+VCID=1", "AT%CCID=1", "AT+VCDT=3"]),
        ("conexant", ["AT+VCID=1", "AT+VCID=2"], ["AT#CID=1", "AT+VCDT=3", "AT+VCID=7"]),
        ("silabs", ["AT+VCID=1", "AT+VCDT=3"], ["AT#CID=1"]),
        ("generic", ["AT+VCID=1", "AT#CID=1", "AT%CCID=1"], ["AT+VCDT=3", "AT+BOGUS"]),
    ],
)
def test_each_profile_answers_only_the_commands_it_takes(profile: str, accepted, refused) -> None:  # noqa: ANN001
    with SimulatedModem(profile) as sim:
        term = Terminal(sim.port)
        try:
            term.ask("ATE0")
            for command in accepted:
                term.send(command + "\r")
                assert term.result() == b"\r\nOK\r\n", command
            for command in refused:
                term.send(command + "\r")
                assert term.result() == b"\r\nERROR\r\n", command
        finally:
            term.close()


def test_ati_answers_come_from_the_profile() -> None:
    with SimulatedModem("usr") as sim:
        term = Terminal(sim.port)
        try:
            term.ask("ATE0")
            assert term.ask("ATI3") == b"\r\nU.S. Robotics 56K FAX USB V1.2.23\r\n\r\nOK\r\n"
        finally:
            term.close()


def test_voice_commands_need_voice_mode_and_the_profile_format(conexant) -> None:  # noqa: ANN001
    _, term = conexant
    term.ask("ATE0")
    term.send("AT+VLS=1\r")
    assert term.read_until(b"ERROR\r\n") == b"\r\nERROR\r\n"  # not in voice mode
    term.ask("AT+FCLASS=8")
    term.send("AT+VSM=128,8000\r")
    assert term.read_until(b"ERROR\r\n") == b"\r\nERROR\r\n"  # the USR format, not this modem's
    term.ask("AT+VSM=1,8000,0,0")
    term.send("AT+VTX\r")
    assert term.read_until(b"ERROR\r\n") == b"\r\nERROR\r\n"  # on-hook: nothing to play to
    term.ask("AT+VLS=1")
    assert term.ask("AT+VTX") == b"\r\nCONNECT\r\n"


def test_vtx_undoes_dle_doubling_and_ends_on_dle_etx(conexant) -> None:  # noqa: ANN001
    sim, term = conexant
    for command in ("ATE0", "AT+FCLASS=8", "AT+VSM=1,8000,0,0", "AT+VLS=1", "AT+VTX"):
        term.ask(command)
    term.send(b"\x01\x10\x10\x02\x10")  # a DLE split across writes
    term.send(b"\x10\x03\x10\x10\x10\x03")
    assert term.read_until(b"OK\r\n") == b"\r\nOK\r\n"
    assert sim.received_audio == b"\x01\x10\x02\x10\x03\x10"
    assert term.ask("ATH0") == b"\r\nOK\r\n"
    assert [(h.via, h.onhook_at is not None) for h in sim.hangups] == [("+VLS=1", True)]


def test_vrx_streams_shielded_audio_until_dle_bang(conexant) -> None:  # noqa: ANN001
    sim, term = conexant
    sim.queue_rx_audio(b"\x10\x03\x10\x55")
    for command in ("ATE0", "AT+FCLASS=8", "AT+VSM=1,8000,0,0", "AT+VLS=1"):
        term.ask(command)
    term.send("AT+VRX\r")
    data = term.read_until(b"CONNECT\r\n")
    data += term.read_for(0.1)
    term.send(b"\x10!")
    data += term.read_until(b"OK\r\n")
    stream = data.split(b"CONNECT\r\n", 1)[1]
    result = Unshielder().feed(stream)
    assert result.samples.startswith(b"\x10\x03\x10\x55\x80\x80")
    assert result.end is not None and stream[result.end :] == b"\r\nOK\r\n"
    # 0.1 s of streaming at time_scale 0.02 is about 5 s of audio at 8000 samples/s
    assert len(result.samples) > 8000


def test_call_sends_caller_id_in_the_mode_the_host_enabled(conexant) -> None:  # noqa: ANN001
    sim, term = conexant
    term.ask("ATE0")
    sim.play_call(SimCall(HANAKO, rings=2)).wait(2.0)
    silent = term.read_for(0.05)
    assert silent == b"\r\nRING\r\n\r\nRING\r\n"  # caller ID off: RING only

    term.ask("AT+VCID=1")
    sim.play_call(SimCall(HANAKO, rings=2)).wait(2.0)
    text = term.read_for(0.05)
    assert text == b"\r\nRING\r\n\r\n" + format_text(HANAKO).encode() + b"\r\nRING\r\n"

    term.ask("AT+VCID=2")
    sim.play_call(SimCall(HANAKO, rings=2)).wait(2.0)
    hexed = term.read_for(0.05)
    assert hexed == b"\r\nRING\r\n\r\n" + encode_mdmf(HANAKO).hex().upper().encode() + b"\r\n\r\nRING\r\n"


def test_ring_cadence_follows_time_scale() -> None:
    with SimulatedModem("conexant", time_scale=0.05) as sim:
        term = Terminal(sim.port)
        try:
            sim.play_call(SimCall(HANAKO, rings=3, ring_period=4.0))
            times = []
            for _ in range(3):
                term.read_until(b"RING\r\n")
                times.append(time.monotonic())
        finally:
            term.close()
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert gaps == pytest.approx([0.2, 0.2], abs=0.04)


def test_off_hook_stops_the_rings_and_is_recorded(conexant) -> None:  # noqa: ANN001
    sim, term = conexant
    term.ask("ATE0")
    handle = sim.play_call(SimCall(HANAKO, rings=4, ring_period=10.0))
    term.read_until(b"RING\r\n")
    term.ask("ATH1")
    term.ask("ATH0")
    handle.wait(2.0)
    assert handle.answered
    assert b"RING" not in term.read_for(0.05)
    assert len(sim.hangups) == 1 and sim.hangups[0].via == "H1"


def test_vanish_removes_the_link_and_returns_with_a_new_pty(conexant) -> None:  # noqa: ANN001
    sim, term = conexant
    term.ask("ATE0")
    sim.vanish(10.0)  # 0.2 s
    with pytest.raises(EOFError):
        term.read_until(b"never", 1.0)
    assert not os.path.lexists(sim.port)
    assert sim.wait_for(lambda s: os.path.exists(s.port), 2.0)
    new = Terminal(sim.port)
    try:
        assert new.ask("AT") == b"AT\r\r\nOK\r\n"  # a fresh modem: echo on again
    finally:
        new.close()


def test_go_silent_then_answers_again(conexant) -> None:  # noqa: ANN001
    sim, term = conexant
    term.ask("ATE0")
    sim.go_silent(10.0)  # 0.2 s
    time.sleep(0.02)
    term.send("AT\r")
    assert term.read_for(0.1) == b""
    time.sleep(0.15)
    assert term.ask("AT") == b"\r\nOK\r\n"


def test_garbage_is_the_requested_length(conexant) -> None:  # noqa: ANN001
    sim, term = conexant
    sim.send_garbage(3000)
    assert len(term.read_for(0.2)) == 3000


def test_numeric_results_after_v0(conexant) -> None:  # noqa: ANN001
    _, term = conexant
    term.ask("ATE0")
    term.send("ATV0\r")
    assert term.read_until(b"0\r") == b"0\r"
    term.send("AT+BOGUS\r")
    assert term.read_until(b"4\r") == b"4\r"


def test_stop_removes_the_link() -> None:
    sim = SimulatedModem("generic").start()
    port = sim.port
    assert os.path.exists(port)
    sim.stop()
    assert not os.path.lexists(port)


def test_unknown_call_mode_is_refused() -> None:
    # "ntt-audio" (Number Display by FSK during +VRX) is a mode now: tests/test_number_display.py
    with SimulatedModem("silabs") as sim, pytest.raises(ValueError, match="ntt-audio"):
        sim.play_call(SimCall(HANAKO, mode="fsk"))
