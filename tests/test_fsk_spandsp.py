"""Our FSK modem against spandsp's (Debian libspandsp2), an implementation nobody here wrote.

spandsp's transmitter (adsi_tx, with its own preambles, levels, stop bits, checksums and CRCs)
makes audio that we must decode; our modulator's audio must be accepted by spandsp's receiver
(adsi_rx); and on the same noisy audio we must decode at least what spandsp decodes.
The bridge is `callerid/benchmarks/spandsp_fsk.c`, compiled here with the system compiler.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from oracle import spandsp as frames_oracle

from callerid.benchmarks import spandsp_fsk
from callerid.decode import fsk
from callerid.model import CallerID
from callerid.transmit import modulator
from callerid.transmit.encode import encode_etsi, encode_mdmf, encode_ntt, encode_sdmf

try:
    BRIDGE: spandsp_fsk.SpandspFSK | None = spandsp_fsk.SpandspFSK()
    WHY = ""
except spandsp_fsk.OracleUnavailable as exc:
    BRIDGE, WHY = None, str(exc)
pytestmark = pytest.mark.skipif(BRIDGE is None, reason=f"spandsp FSK bridge unavailable: {WHY}")


def spandsp_input(standard: str, wire: bytes) -> bytes:
    """What adsi_tx_put_message takes for a message we encoded: no checksum, no NTT framing."""
    if standard != "ntt":
        return wire[:-1]
    return bytes(c & 0x7F for c in wire[5:-4])  # between DLE STX and DLE ETX, parity removed


def pad(audio: np.ndarray, seconds: float = 0.3) -> np.ndarray:
    silence = np.zeros(int(seconds * 8000))
    return np.concatenate([silence, audio.astype(np.float64), silence])


CALLERS = {
    "bell202": CallerID("mdmf", number="5045551234", name="A N OTHER", date="0321", time="1405"),
    "v23": CallerID("etsi", number="01632960001", date="1125", time="0930"),
    "ntt": CallerID("ntt", number="0335814321"),
}
ENCODERS = {"bell202": encode_mdmf, "v23": encode_mdmf, "ntt": encode_ntt}


@pytest.mark.parametrize("standard", ["bell202", "v23", "ntt"])
def test_spandsp_transmitter_audio_decodes_to_the_same_caller(standard: str) -> None:
    caller = CALLERS[standard]
    wire = ENCODERS[standard](caller)
    assert BRIDGE is not None
    (audio,) = BRIDGE.transmit([spandsp_input(standard, wire)], standard)
    records = fsk.decode_audio(pad(audio), 8000)  # auto: the standard is detected from the audio
    assert len(records) == 1
    found, got = records[0]
    assert found.standard == standard
    assert found.data == wire  # spandsp's checksum / parity / CRC equal ours, byte for byte
    assert (got.number, got.name, got.date, got.time) == (
        caller.number,
        caller.name,
        caller.date,
        caller.time,
    )


@pytest.mark.parametrize(
    "standard,msg_type,fields,number,absence",
    [
        ("class", 0x04, [(0, b"03211405" + b"5045551234")], "5045551234", None),
        ("class", 0x80, [(0x01, b"11250930"), (0x04, b"P"), (0x08, b"P")], None, "P"),
        ("clip", 0x80, [(0x01, b"11250930"), (0x02, b"01632960001"), (0x11, b"\x01")], "01632960001", None),
        ("jclip", 0x40, [(0x02, b"1234567890123456")], "1234567890123456", None),  # DLE doubling
        ("jclip", 0x40, [(0x04, b"C")], None, "C"),
    ],
)
def test_messages_built_by_spandsp_fields(
    standard: str, msg_type: int, fields: list[tuple[int, bytes]], number: str | None, absence: str | None
) -> None:
    """spandsp builds the message itself (adsi_add_field) and sends it: we read the same fields."""
    if (why := frames_oracle.unavailable()) is not None:
        pytest.skip(why)
    audio = np.frombuffer(frames_oracle.audio(standard, msg_type, fields), dtype="<i2")
    got = [caller for _, caller in fsk.decode_audio(audio, 8000)]
    assert len(got) == 1
    assert (got[0].number, got[0].absence, got[0].checksum_ok) == (number, absence, True)


@pytest.mark.parametrize("standard", ["bell202", "v23", "ntt"])
def test_spandsp_receiver_accepts_our_modulator(standard: str) -> None:
    rng = random.Random(standard)
    assert BRIDGE is not None
    wires = []
    for i in range(5):
        number = "0" + "".join(rng.choice("0123456789") for _ in range(9))
        caller = CallerID(standard, number=number, date=f"{i + 1:02d}15", time="1200")
        wires.append(encode_ntt(caller) if standard == "ntt" else encode_etsi(caller))
    audio = [pad(modulator.modulate(w, standard, level_dbfs=-15.0) * 32767) for w in wires]
    received = BRIDGE.receive(audio, standard)
    for wire, got in zip(wires, received, strict=True):
        expected = bytes(c & 0x7F for c in wire[:-2]) if standard == "ntt" else wire[:-1]
        assert got == [expected]


@pytest.mark.parametrize("standard", ["bell202", "v23", "ntt"])
def test_we_decode_at_least_what_spandsp_decodes_on_the_same_noisy_audio(standard: str) -> None:
    """8 dB SNR (full-band white noise), spandsp's own audio: spandsp loses many, we lose none."""
    rng = random.Random(f"duel-{standard}")
    noise = np.random.default_rng(8)
    assert BRIDGE is not None
    wires = []
    for _ in range(8):
        number = "0" + "".join(rng.choice("0123456789") for _ in range(9))
        caller = CallerID(
            standard, number=number, name="SUZUKI" if standard != "ntt" else None, date="1125", time="0930"
        )
        wires.append(encode_ntt(caller) if standard == "ntt" else encode_mdmf(caller))
    clean = BRIDGE.transmit([spandsp_input(standard, w) for w in wires], standard)
    noisy = []
    for audio in clean:
        sigma = np.sqrt(np.mean(audio.astype(np.float64) ** 2) / 10 ** (8.0 / 10))
        x = pad(audio)
        noisy.append(x + noise.normal(0, sigma, len(x)))
    theirs = BRIDGE.receive(noisy, standard)
    spandsp_ok = sum(
        (bytes(c & 0x7F for c in w[:-2]) if standard == "ntt" else w[:-1]) in got
        for w, got in zip(wires, theirs, strict=True)
    )
    ours = [fsk.demodulate(x / 32768, 8000, standard) for x in noisy]
    ours_ok = sum(any(b.data == w for b in found) for w, found in zip(wires, ours, strict=True))
    assert ours_ok == len(wires) >= spandsp_ok
    assert all(b.data in wires for found in ours for b in found)  # nothing wrong reported


def test_sdmf_from_our_encoder_through_spandsp_audio() -> None:
    wire = encode_sdmf("5045551234", "0321", "1405")
    assert BRIDGE is not None
    (audio,) = BRIDGE.transmit([wire[:-1]], "bell202")
    got = [c for _, c in fsk.decode_audio(pad(audio), 8000, "bell202")]
    assert [(c.format, c.number, c.date, c.time) for c in got] == [("sdmf", "5045551234", "0321", "1405")]
