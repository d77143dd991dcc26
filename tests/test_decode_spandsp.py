"""Our decoders and encoders against spandsp (Debian libspandsp2), an implementation nobody here wrote.

spandsp builds frames with `adsi_add_field` / `adsi_tx_put_message`; we decode them to the same
fields. Our encoders' output goes through spandsp's FSK modulator and its `adsi_rx` receiver, which
must accept it (checksum / CRC) and read the same fields with `adsi_next_field`.
"""

from __future__ import annotations

import random
import struct

import pytest
from oracle import spandsp

from callerid.decode import mdmf, ntt
from callerid.model import CallerID
from callerid.transmit.encode import encode_etsi, encode_mdmf, encode_ntt, encode_sdmf

reason = spandsp.unavailable()
pytestmark = pytest.mark.skipif(reason is not None, reason=f"spandsp oracle unavailable: {reason}")


def jclip(fields: list[tuple[int, bytes]], msg_type: int = 0x40) -> bytes:
    return spandsp.build("jclip", msg_type, fields)


# -- spandsp builds, we decode -------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "0335814321",
        "09087654321",
        "1234567890123456",  # 16 digits: parameter length 0x10, doubled on the line
        "12345678901234",  # 14 digits: message length 0x10, doubled on the line
        "+819012345678",
        "0" * 30,
    ],
)
def test_ntt_frames_from_spandsp_decode_to_the_same_number(number: str) -> None:
    wire = jclip([(0x02, number.encode())])
    rec = ntt.decode_frame(wire)
    assert rec is not None and rec.checksum_ok is True
    assert rec.number == number
    assert encode_ntt(CallerID("ntt", number=number)) == wire  # byte for byte


def test_spandsp_doubles_dle_for_16_digits_and_counts_it_in_the_length() -> None:
    wire = jclip([(0x02, b"1234567890123456")])
    assert ntt.strip_parity(wire[:9]) == bytes.fromhex("10010710024013021010")[:9]
    assert wire[7:10] == b"\x82\x90\x90"


@pytest.mark.parametrize("code", ["P", "O", "C", "S"])
def test_ntt_absence_from_spandsp(code: str) -> None:
    rec = ntt.decode_frame(jclip([(0x04, code.encode())]))
    assert rec is not None and rec.checksum_ok is True and (rec.number, rec.absence) == (None, code)


def test_ntt_all_parameters_from_spandsp() -> None:
    fields = [
        (0x01, b"11250930"),
        (0x02, b"0471230000"),
        (0x09, b"0312345678"),
        (0x21, b"\x10"),  # a DLE inside a value: doubled by spandsp
    ]
    wire = jclip(fields, msg_type=0x42)
    rec = ntt.decode_frame(wire)
    assert rec is not None and rec.checksum_ok is True
    assert (rec.date, rec.time, rec.number) == ("1125", "0930", "0471230000")
    assert ("dialled_number", "0312345678") in rec.extras and ("number_type", "10") in rec.extras
    assert ("ntt_message_type", "42") in rec.extras
    assert encode_ntt(rec) == wire


def test_ntt_frame_whose_crc_holds_a_dle() -> None:
    for n in range(20000):
        number = f"090{n:08d}"
        ours = encode_ntt(CallerID("ntt", number=number))
        if ours[-2] in (0x10, 0x90) or ours[-1] in (0x10, 0x90):
            break
    wire = jclip([(0x02, number.encode())])
    assert wire == ours
    assert [r.number for r in ntt.find_frames(wire + b"\x00" + wire) if r.checksum_ok] == [number, number]


def test_random_ntt_frames_from_spandsp() -> None:
    rnd = random.Random(20261125)
    for _ in range(25):
        number = "".join(rnd.choice("0123456789") for _ in range(rnd.randint(1, 24)))
        parts = (rnd.randint(1, 12), rnd.randint(1, 28), rnd.randint(0, 23), rnd.randint(0, 59))
        date = "".join(f"{part:02d}" for part in parts)
        rec = ntt.decode_frame(jclip([(0x01, date.encode()), (0x02, number.encode())]))
        assert rec is not None and rec.checksum_ok is True
        assert (rec.number, rec.date, rec.time) == (number, date[:4], date[4:])


def test_sdmf_from_spandsp() -> None:
    wire = spandsp.build("class", 0x04, [(0x00, b"11250930" + b"2125550100")])
    rec = mdmf.decode_message(wire)
    assert rec is not None and (rec.format, rec.number, rec.date, rec.time, rec.checksum_ok) == (
        "sdmf",
        "2125550100",
        "1125",
        "0930",
        True,
    )
    assert encode_sdmf("2125550100", "1125", "0930") == wire


def test_mdmf_from_spandsp() -> None:
    fields = [(0x01, b"11250930"), (0x02, b"2125550100"), (0x07, b"SATO HANAKO")]
    wire = spandsp.build("class", 0x80, fields)
    rec = mdmf.decode_message(wire)
    assert rec is not None and rec.checksum_ok is True and rec.format == "mdmf"
    assert (rec.date, rec.time, rec.number, rec.name) == ("1125", "0930", "2125550100", "SATO HANAKO")
    assert encode_mdmf(rec) == wire


def test_mdmf_absence_from_spandsp() -> None:
    wire = spandsp.build("class", 0x80, [(0x01, b"11250930"), (0x04, b"O"), (0x08, b"P")])
    rec = mdmf.decode_message(wire)
    assert rec is not None and (rec.absence, rec.name_absence, rec.checksum_ok) == ("O", "P", True)


def test_mdmf_16_digit_number_from_spandsp() -> None:
    # spandsp's CLASS adsi_add_field doubles a field length of 0x10 (a DLE habit from JCLIP);
    # we accept that reading when the plain one does not fit the message.
    wire = spandsp.build("class", 0x80, [(0x02, b"1234567890123456")])
    assert wire[2:5] == b"\x02\x10\x10"
    rec = mdmf.decode_message(wire)
    assert rec is not None and rec.number == "1234567890123456" and rec.checksum_ok is True


def test_etsi_from_spandsp() -> None:
    fields = [(0x01, b"11250930"), (0x11, b"\x01"), (0x02, b"01632960001"), (0x07, b"A N OTHER")]
    wire = spandsp.build("clip", 0x80, fields)
    rec = mdmf.decode_message(wire)
    assert rec is not None and rec.checksum_ok is True and rec.format == "etsi"
    assert (rec.number, rec.name, rec.date, rec.time) == ("01632960001", "A N OTHER", "1125", "0930")


def test_message_waiting_from_spandsp_is_not_a_caller() -> None:
    wire = spandsp.build("clip", 0x82, [(0x0B, b"\xff")])
    assert mdmf.decode_message(wire) is None


# -- we encode, spandsp's receiver accepts -------------------------------------------------------


def received_fields(standard: str, wire: bytes) -> dict[int, bytes]:
    messages = spandsp.receive(standard, wire)
    assert len(messages) == 1, f"spandsp's {standard} receiver rejected {wire.hex()}"
    assert not messages[0].corrupt
    return {kind: value for kind, value in messages[0].fields[1:]}


CALLERS = [
    CallerID("mdmf", number="2125550100", name="SATO HANAKO", date="1125", time="0930"),
    CallerID("mdmf", absence="P", name_absence="P", date="0101", time="0000"),
    CallerID("mdmf", number="+12025550123", name="J"),
    CallerID("mdmf", number="01632960001"),
]


@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c.number or c.absence)
def test_spandsp_receives_our_mdmf(caller: CallerID) -> None:
    got = received_fields("class", encode_mdmf(caller))
    assert got.get(0x02, b"").decode() == (caller.number or "")
    assert got.get(0x04, b"").decode() == (caller.absence or "")
    assert got.get(0x07, b"").decode() == (caller.name or "")


@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c.number or c.absence)
def test_spandsp_receives_our_etsi(caller: CallerID) -> None:
    got = received_fields("clip", encode_etsi(caller))
    assert got[0x11] == b"\x01"
    assert got.get(0x02, b"").decode() == (caller.number or "")
    if caller.date:
        assert got[0x01].decode() == caller.date + caller.time  # type: ignore[operator]


def test_spandsp_receives_our_sdmf() -> None:
    got = received_fields("class", encode_sdmf("2125550100", "1125", "0930"))
    assert got[0x00] == b"112509302125550100"


@pytest.mark.parametrize(
    "caller",
    [
        CallerID("ntt", number="0335814321"),
        CallerID("ntt", number="1234567890123456", date="1125", time="0930"),
        CallerID("ntt", absence="C"),
        CallerID("ntt", number="+819012345678"),
    ],
    ids=lambda c: c.number or c.absence,
)
def test_spandsp_receives_our_ntt(caller: CallerID) -> None:
    messages = spandsp.receive("jclip", encode_ntt(caller))
    assert len(messages) == 1  # CRC accepted by spandsp
    got = dict(messages[0].fields[1:])
    if caller.number:
        # spandsp's adsi_next_field does not undo DLE doubling inside values; digits have none.
        assert got[0x02] == caller.number.encode()
    else:
        assert got[0x04] == caller.absence.encode()  # type: ignore[union-attr]


def test_spandsp_rejects_a_corrupted_frame_like_we_do() -> None:
    wire = bytearray(encode_ntt(CallerID("ntt", number="0335814321")))
    wire[12] ^= 0x01
    assert spandsp.receive("jclip", bytes(wire)) == []
    rec = ntt.decode_frame(bytes(wire))
    assert rec is not None and rec.checksum_ok is False


# -- the audio side of the helper, for the FSK work ----------------------------------------------


def rms(pcm: bytes) -> float:
    samples = struct.unpack(f"<{len(pcm) // 2}h", pcm)
    return (sum(s * s for s in samples) / len(samples)) ** 0.5


def test_audio_helpers_produce_plausible_fsk() -> None:
    pcm = spandsp.audio("jclip", 0x40, [(0x02, b"0335814321")])
    # 75 mark bits + 23 bytes x 13 bits at 1200 bit/s, plus 2 x 200 ms of silence
    expected = (75 + 23 * 13 + 5) / 1200 + 0.4
    assert abs(len(pcm) / 2 / 8000 - expected) < 0.05
    assert rms(pcm) > 1000
    ours = spandsp.modulate("class", encode_mdmf(CALLERS[0]))
    expected = (300 + 80 + len(encode_mdmf(CALLERS[0])) * 10 + 10) / 1200 + 0.4
    assert abs(len(ours) / 2 / 8000 - expected) < 0.05
