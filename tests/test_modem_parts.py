"""The driver's parts on their own: profiles, DLE shielding, WAV conversion, discovery, line splitting."""

from __future__ import annotations

import os
import threading
import time
import wave
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from callerid.modem import profiles
from callerid.modem.audio import wav_to_u8
from callerid.modem.discovery import find_ports, usb_info
from callerid.modem.dle import Unshielder, shield
from callerid.modem.link import ModemLink
from callerid.wavfile import WavError
from tests.modem_helpers import LineRecorder

# ---- profiles -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["usr", "conexant", "silabs"])
def test_each_profile_recognises_its_own_ati_answers(name: str) -> None:
    profile = profiles.get_profile(name)
    answers = [line for lines in profile.ati_examples.values() for line in lines]
    assert profiles.by_identity(answers) is profile


def test_generic_answers_match_no_specific_profile() -> None:
    assert profiles.by_identity(profiles.GENERIC.ati_examples["I3"]) is None
    assert profiles.by_identity(["", "OK", "56000"]) is None


def test_usb_ids_pick_profiles() -> None:
    assert profiles.by_usb_id((0x0BAF, 0x0303)) is profiles.USR
    assert profiles.by_usb_id((0x0572, 0x1329)) is profiles.CONEXANT
    assert profiles.by_usb_id((0x1234, 0x5678)) is None
    assert profiles.by_usb_id(None) is None


def test_caller_id_order_tries_the_profile_first_then_every_fallback() -> None:
    assert profiles.USR.caller_id_order() == ("#CID", "+VCID", "%CCID")
    assert profiles.CONEXANT.caller_id_order() == ("+VCID", "#CID", "%CCID")
    assert profiles.GENERIC.caller_id_order() == ("+VCID", "#CID", "%CCID")


def test_profile_facts() -> None:
    assert profiles.USR.voice_compression == "128"
    assert profiles.CONEXANT.voice_compression == "1"
    assert profiles.SILABS.region_commands["00"] == ("+VCDT=3",)
    assert profiles.country_code_for("jp") == "00"
    assert profiles.country_code_for("GB") == "B4"
    assert profiles.country_code_for("US") == "B5"
    with pytest.raises(ValueError, match="choose from usr, conexant, silabs, generic"):
        profiles.get_profile("hayes")


# ---- DLE shielding --------------------------------------------------------------------------


def test_shield_doubles_only_dle() -> None:
    assert shield(b"\x01\x10\x03\x10\x10") == b"\x01\x10\x10\x03\x10\x10\x10\x10"


@given(st.binary(max_size=400), st.lists(st.integers(min_value=0, max_value=800), max_size=6))
def test_unshield_inverts_shield_across_any_chunking(samples: bytes, cuts: list[int]) -> None:
    wire = shield(samples) + b"\x10\x03" + b"\r\nOK\r\n"
    points = sorted({min(c, len(wire)) for c in cuts})
    chunks = [wire[a:b] for a, b in zip([0, *points], [*points, len(wire)], strict=True)]
    unshield = Unshielder()
    got = b""
    rest = None
    for chunk in chunks:
        if rest is not None:
            rest += chunk
            continue
        result = unshield.feed(chunk)
        got += result.samples
        if result.end is not None:
            rest = chunk[result.end :]
    assert got == samples
    assert rest == b"\r\nOK\r\n"


def test_unshield_reports_events() -> None:
    result = Unshielder().feed(b"\x80\x10b\x81\x10d\x10\x10")
    assert result.samples == b"\x80\x81\x10"
    assert result.events == (ord("b"), ord("d"))
    assert result.end is None


# ---- WAV conversion -------------------------------------------------------------------------


def _wav(path: Path, data: bytes, rate: int, width: int, channels: int = 1) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(data)
    return path


def test_8bit_8k_mono_is_copied(tmp_path: Path) -> None:
    data = bytes(range(256)) * 4
    assert wav_to_u8(_wav(tmp_path / "a.wav", data, 8000, 1)) == data


def test_24_and_32_bit_are_scaled(tmp_path: Path) -> None:
    half = int(0.5 * (1 << 23))
    data24 = b"".join(v.to_bytes(3, "little", signed=True) for v in (0, half, -half, (1 << 23) - 1))
    assert list(wav_to_u8(_wav(tmp_path / "b.wav", data24, 8000, 3))) == [128, 192, 64, 255]
    data32 = np.array([0, 1 << 30, -(1 << 30)], dtype="<i4").tobytes()
    assert list(wav_to_u8(_wav(tmp_path / "c.wav", data32, 8000, 4))) == [128, 192, 64]


def test_downsampling_filters_instead_of_aliasing(tmp_path: Path) -> None:
    """A 6 kHz tone in a 22.05 kHz file would fold to 2 kHz on an 8 kHz line without the filter."""
    rate = 22050
    t = np.arange(rate) / rate
    tone = (0.8 * 32767 * np.sin(2 * np.pi * 6000 * t)).astype("<i2")
    out = np.frombuffer(wav_to_u8(_wav(tmp_path / "hi.wav", tone.tobytes(), rate, 2)), dtype=np.uint8)
    level = np.sqrt(np.mean((out.astype(float) - 128) ** 2))
    assert level < 0.03 * (0.8 * 128 / np.sqrt(2))  # more than 30 dB down


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"not a wav at all", "not a readable WAV"),
        (b"", "not a readable WAV"),
    ],
)
def test_bad_wavs_give_clear_errors(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "x.wav"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(WavError, match=message):
        wav_to_u8(path)


# ---- discovery ------------------------------------------------------------------------------


def _fake_tty(root: Path, name: str, usb: tuple[str, str] | None, product: str = "") -> None:
    (root / "dev").mkdir(exist_ok=True)
    (root / "dev" / name).write_text("")
    if usb is None:
        return
    device = root / "sys/devices/usb1" / f"1-{name}"
    interface = device / "1-1:1.0"
    interface.mkdir(parents=True, exist_ok=True)
    (device / "idVendor").write_text(usb[0] + "\n")
    (device / "idProduct").write_text(usb[1] + "\n")
    (device / "product").write_text(product + "\n")
    tty_dir = root / "sys/class/tty" / name
    tty_dir.mkdir(parents=True)
    os.symlink(interface, tty_dir / "device")


def test_discovery_prefers_by_id_and_known_modems(tmp_path: Path) -> None:
    _fake_tty(tmp_path, "ttyUSB0", ("10c4", "ea60"), "CP2102 USB to UART")
    _fake_tty(tmp_path, "ttyACM0", ("0572", "1329"), "USB Modem")
    _fake_tty(tmp_path, "ttyACM10", None)
    _fake_tty(tmp_path, "ttyACM2", None)
    by_id = tmp_path / "dev/serial/by-id"
    by_id.mkdir(parents=True)
    os.symlink("../../ttyACM0", by_id / "usb-Conexant_USB_Modem_24680246-if00")
    ports = find_ports(str(tmp_path))
    assert [os.path.basename(p.path) for p in ports] == [
        "usb-Conexant_USB_Modem_24680246-if00", "ttyACM2", "ttyACM10", "ttyUSB0"]
    assert ports[0].usb_id == (0x0572, 0x1329) and ports[0].known_modem
    assert ports[0].device == str(tmp_path / "dev/ttyACM0")
    assert "[0572:1329]" in ports[0].describe()
    assert ports[-1].label == "CP2102 USB to UART"
    assert usb_info(str(tmp_path / "dev/ttyACM2"), str(tmp_path)) == (None, "")


def test_discovery_tries_the_udev_stable_name_first(tmp_path: Path) -> None:
    """hardware/udev gives known modems /dev/callerid-modem; it names the same device once, first."""
    _fake_tty(tmp_path, "ttyUSB0", ("10c4", "ea60"), "CP2102 USB to UART")
    _fake_tty(tmp_path, "ttyACM3", ("0baf", "0303"), "USR5637")
    os.symlink("ttyACM3", tmp_path / "dev/callerid-modem")
    ports = find_ports(str(tmp_path))
    assert [os.path.basename(p.path) for p in ports] == ["callerid-modem", "ttyUSB0"]
    assert ports[0].device == str(tmp_path / "dev/ttyACM3") and ports[0].known_modem


def test_discovery_on_an_empty_machine(tmp_path: Path) -> None:
    assert find_ports(str(tmp_path)) == []


# ---- line splitting -------------------------------------------------------------------------


class _Port:
    def __init__(self) -> None:
        self.r, self.w = os.pipe()

    def fileno(self) -> int:
        return self.r

    def write(self, data: bytes) -> None:
        pass

    def close(self) -> None:
        os.close(self.r)
        os.close(self.w)


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 1000])
def test_link_splits_lines_whatever_the_chunking(chunk: int) -> None:
    text = (b"\r\nRING\r\n\r\nDATE = 1125\rNMBR=0471230000\n"
            b"NAME = \xe4\xbd\x90\xe8\x97\xa4\x00\x07X\r\n\r\nRING\r\n")
    listener, port = LineRecorder(), _Port()
    link = ModemLink(port, listener, name="test")
    for i in range(0, len(text), chunk):
        link._receive(text[i : i + chunk], 0.0)
    port.close()
    assert listener.lines == ["", "RING", "", "DATE = 1125", "NMBR=0471230000", "NAME = 佐藤X", "", "RING"]


def test_link_hands_bytes_after_connect_to_the_raw_sink_and_text_after_dle_etx_back() -> None:
    listener, port = LineRecorder(), _Port()
    link = ModemLink(port, listener, name="test")
    raw: list[bytes] = []
    unshield = Unshielder()

    def sink(data: bytes) -> int | None:
        result = unshield.feed(data)
        raw.append(result.samples)
        return result.end

    link._pending = "AT+VRX"
    link._raw_after_connect = sink
    link._receive(b"\r\nCONNECT\r\n\x80\x10\x10\x81\x10\x03\r\nOK\r\nRING\r\n", 0.0)
    assert link.finish_raw("+VRX end", 0.0).result == "OK"  # the OK after DLE ETX, already here
    port.close()
    assert b"".join(raw) == b"\x80\x10\x81"
    assert [line for line in listener.lines if line] == ["RING"]


class _ScriptedPort(_Port):
    """Answers each command it is sent with scripted bytes, in order, each after its delay."""

    def __init__(self, script: dict[bytes, list[tuple[float, bytes]]]) -> None:
        super().__init__()
        self.script = script

    def write(self, data: bytes) -> None:
        def answer(steps: list[tuple[float, bytes]]) -> None:
            for delay, text in steps:
                time.sleep(delay)
                os.write(self.w, text)

        threading.Thread(target=answer, args=(self.script.get(data, []),), daemon=True).start()


@pytest.mark.parametrize("ok_delay", [0.0, 0.05])
def test_the_ok_after_dle_etx_is_never_taken_for_the_next_commands_answer(ok_delay: float) -> None:
    # A modem sends DLE ETX and its OK as two writes; under load they arrive in two reads. The OK
    # used to be dropped as "late" when it came with the data, or taken as the answer to +VTX.
    listener = LineRecorder()
    port = _ScriptedPort({
        b"AT+VRX\r": [(0.0, b"\r\nCONNECT\r\n\x80\x81\x10\x03"), (ok_delay, b"\r\nOK\r\n")],
        b"AT+VTX\r": [(0.0, b"\r\nCONNECT\r\n")],
    })
    link = ModemLink(port, listener, name="test")
    unshield = Unshielder()
    ended = threading.Event()

    def sink(data: bytes) -> int | None:
        result = unshield.feed(data)
        if result.end is not None:
            ended.set()
        return result.end

    try:
        assert link.command("+VRX", 1.0, connect_sink=sink).result == "CONNECT"
        while not ended.is_set():
            link.pump(1.0)
        assert link.finish_raw("+VRX end", 1.0).result == "OK"
        assert link.command("+VTX", 1.0).result == "CONNECT"
    finally:
        time.sleep(0.1)
        port.close()
    assert [line for line in listener.lines if line] == []


def test_link_caps_a_line_that_never_ends() -> None:
    listener, port = LineRecorder(), _Port()
    link = ModemLink(port, listener, name="test")
    for _ in range(100):
        link._receive(b"x" * 1000, 0.0)
    link._receive(b"\r\nRING\r\n", 0.0)
    port.close()
    assert len(link._partial) == 0
    assert all(len(line) <= 1024 for line in listener.lines)
    assert sum(len(line) for line in listener.lines[:-1]) == 100_000
    assert listener.lines[-1] == "RING"
