"""NTT Number Display frames: parity, DLE framing and doubling, both length readings, CRC, params."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callerid.decode import ntt
from callerid.model import CallerID
from callerid.transmit.encode import encode_ntt

DATA = Path(__file__).parent / "data"

#: The reference's worked example (number 0335814321), bytes as on the line.
REFERENCE = bytes.fromhex("9081879082c00c820a30333335b8b1b433b2b19003cfcc")


def frame(params: bytes, *, kind: int = 0x40, header: int = 0x07, count_stuffing: bool = True) -> bytes:
    """A frame built by hand (independently of encode.py) for edge cases."""
    stuffed = params.replace(b"\x10", b"\x10\x10")
    length = len(stuffed) if count_stuffing else len(params)
    body = bytes([kind, length]).replace(b"\x10", b"\x10\x10") + stuffed
    wire = ntt.with_parity(bytes([0x10, 0x01, header, 0x10, 0x02]) + body + b"\x10\x03")
    crc = ntt.crc16_kermit(wire[2:])
    return wire + bytes([crc & 0xFF, crc >> 8])


def parse_expected(text: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in text.split())


def test_reference_example() -> None:
    rec = ntt.decode_frame(REFERENCE)
    assert rec is not None
    assert (rec.format, rec.number, rec.absence, rec.checksum_ok) == ("ntt", "0335814321", None, True)
    assert ("ntt_message_type", "40") in rec.extras
    assert rec.raw == REFERENCE


def test_crc_is_kermit() -> None:
    assert ntt.crc16_kermit(b"123456789") == 0x2189  # the CRC-16/KERMIT check value
    assert ntt.crc16_kermit(REFERENCE[2:-2]) == 0xCCCF


@pytest.mark.parametrize(
    "row",
    [r for r in (DATA / "frames.tsv").read_text().splitlines() if r.startswith("ntt")],
    ids=lambda r: r[-30:],
)
def test_frames_tsv_ntt_rows(row: str) -> None:
    _, hexdata, expected = row.split("\t")
    rec = ntt.decode_frame(bytes.fromhex(hexdata))
    assert rec is not None and rec.checksum_ok is True
    want = parse_expected(expected)
    assert rec.number == want.get("number")
    assert rec.absence == want.get("absence")
    assert rec.date == want.get("date") and rec.time == want.get("time")


def test_encoder_matches_the_reference_bytes() -> None:
    assert encode_ntt(CallerID("ntt", number="0335814321")) == REFERENCE


def test_crc_error_is_reported() -> None:
    bad = REFERENCE[:-1] + bytes([REFERENCE[-1] ^ 0x01])
    rec = ntt.decode_frame(bad)
    assert rec is not None and rec.number == "0335814321" and rec.checksum_ok is False


def test_parity_error_is_counted_and_fails_the_crc() -> None:
    data = bytearray(REFERENCE)
    data[10] ^= 0x80  # flip one parity bit inside the number
    rec = ntt.decode_frame(bytes(data))
    assert rec is not None and rec.number == "0335814321" and rec.checksum_ok is False
    assert ("parity_errors", "1") in rec.extras


def test_frame_with_parity_already_stripped_by_the_modem() -> None:
    stripped = ntt.strip_parity(REFERENCE[:-2]) + REFERENCE[-2:]
    rec = ntt.decode_frame(stripped)
    assert rec is not None and rec.number == "0335814321" and rec.checksum_ok is True
    assert not any(key == "parity_errors" for key, _ in rec.extras)


@pytest.mark.parametrize("count_stuffing", [True, False])
def test_sixteen_digit_number_under_both_length_readings(count_stuffing: bool) -> None:
    data = frame(b"\x02\x10" + b"1234567890123456", count_stuffing=count_stuffing)
    assert ntt.strip_parity(data)[6] == (0x13 if count_stuffing else 0x12)
    assert b"\x90\x90" in data  # the parameter length 0x10 is doubled on the line
    rec = ntt.decode_frame(data)
    assert rec is not None and rec.number == "1234567890123456" and rec.checksum_ok is True


@pytest.mark.parametrize("count_stuffing", [True, False])
def test_message_length_of_0x10_is_doubled(count_stuffing: bool) -> None:
    data = frame(b"\x02\x0e" + b"12345678901234", count_stuffing=count_stuffing)
    assert ntt.strip_parity(data)[5:8] == b"\x40\x10\x10"
    rec = ntt.decode_frame(data)
    assert rec is not None and rec.number == "12345678901234" and rec.checksum_ok is True


def test_dle_inside_a_parameter_value() -> None:
    data = frame(b"\x02\x0a0312345678" + b"\x21\x01\x10")
    rec = ntt.decode_frame(data)
    assert rec is not None and rec.checksum_ok is True
    assert ("number_type", "10") in rec.extras and rec.number == "0312345678"


def test_crc_byte_that_is_dle_is_not_undoubled() -> None:
    # Search numbers until the CRC carries a 0x10 or 0x90 byte, then check the frame still decodes.
    for n in range(100000):
        number = f"03{n:08d}"
        data = encode_ntt(CallerID("ntt", number=number))
        if {0x10, 0x90} & set(data[-2:]):
            break
    else:  # pragma: no cover
        pytest.fail("no CRC with a DLE byte found")
    [rec] = ntt.find_frames(b"junk" + data + data)[:1]
    assert rec.number == number and rec.checksum_ok is True
    assert [r.number for r in ntt.find_frames(data + data)] == [number, number]


@pytest.mark.parametrize(
    ("code", "absence"), [(b"P", "P"), (b"O", "O"), (b"C", "C"), (b"S", "S"), (b"X", "O")]
)
def test_absence_reasons(code: bytes, absence: str) -> None:
    rec = ntt.decode_frame(frame(b"\x04\x01" + code))
    assert rec is not None and (rec.number, rec.absence) == (None, absence)


def test_all_parameters() -> None:
    params = (
        b"\x01\x0811250930"
        + b"\x02\x0b09087654321"
        + b"\x07\x04SATO"
        + b"\x09\x0a0312345678"
        + b"\x21\x01\x01"
        + b"\x30\x02\x01\x02"  # unknown: skipped, kept
    )
    rec = ntt.decode_frame(frame(params))
    assert rec is not None and rec.checksum_ok is True
    assert (rec.date, rec.time, rec.number, rec.name) == ("1125", "0930", "09087654321", "SATO")
    assert ("dialled_number", "0312345678") in rec.extras
    assert ("number_type", "01") in rec.extras and ("param_30", "0102") in rec.extras


def test_name_absence() -> None:
    rec = ntt.decode_frame(frame(b"\x02\x020\x31" + b"\x08\x01P"))
    assert rec is not None and rec.name is None and rec.name_absence == "P"


def test_message_type_0x42_without_ringing() -> None:
    rec = ntt.decode_frame(frame(b"\x02\x0a0312345678", kind=0x42))
    assert rec is not None and rec.number == "0312345678" and ("ntt_message_type", "42") in rec.extras
    assert encode_ntt(rec) == frame(b"\x02\x0a0312345678", kind=0x42)


@pytest.mark.parametrize("kind", [0x00, 0x41, 0x43, 0x7F])
def test_other_message_types_are_not_caller_records(kind: int) -> None:
    assert ntt.decode_frame(frame(b"\x02\x0a0312345678", kind=kind)) is None


def test_unusual_header_is_accepted_and_noted() -> None:
    rec = ntt.decode_frame(frame(b"\x02\x011", header=0x08))
    assert rec is not None and rec.number == "1" and ("ntt_header", "08") in rec.extras


def test_truncated_frame_keeps_what_arrived() -> None:
    rec = ntt.decode_frame(REFERENCE[:-6])  # DLE ETX, the CRC and two digits lost
    assert rec is not None and rec.checksum_ok is False and rec.number == "03358143"
    assert ntt.decode_frame(REFERENCE[:-2]).checksum_ok is False  # type: ignore[union-attr]
    assert ntt.decode_frame(REFERENCE[:6]) is None


def test_find_frames_skips_junk_and_cut_frames() -> None:
    second = encode_ntt(CallerID("ntt", absence="P"))
    stream = b"\xff\x00noise" + REFERENCE[:9] + b"\x55\x55" + REFERENCE + b"\x7f\x80" + second + b"\x90"
    records = ntt.find_frames(stream)
    good = [(r.number, r.absence) for r in records if r.checksum_ok]
    assert good == [("0335814321", None), (None, "P")]
    assert len(records) == 3  # the cut frame is reported too, marked bad
    assert records[0].checksum_ok is False and records[0].number == "UU"


def test_no_frames() -> None:
    assert ntt.find_frames(b"") == [] and ntt.find_frames(b"RING\r\n") == []
    assert ntt.decode_frame(b"\x90\x81") is None


# -- property tests ------------------------------------------------------------------------------

numbers = st.text(alphabet="0123456789", min_size=1, max_size=30) | st.builds(
    lambda d: "+" + d, st.text(alphabet="0123456789", min_size=1, max_size=20)
)
names = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=20
).filter(lambda s: s.strip() == s)
DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
dates = st.integers(1, 12).flatmap(lambda m: st.integers(1, DAYS[m - 1]).map(lambda d: f"{m:02d}{d:02d}"))
times = st.builds(lambda h, m: f"{h:02d}{m:02d}", st.integers(0, 23), st.integers(0, 59))


@st.composite
def callers(draw: st.DrawFn) -> CallerID:
    when = draw(st.none() | st.tuples(dates, times))
    number = draw(st.none() | numbers)
    return CallerID(
        format="ntt",
        number=number,
        absence=None if number else draw(st.sampled_from("POCS")),
        name=draw(st.none() | names),
        date=when[0] if when else None,
        time=when[1] if when else None,
    )


@settings(max_examples=400, deadline=None)
@given(callers(), st.booleans())
def test_ntt_round_trip(caller: CallerID, count_stuffing: bool) -> None:
    wire = encode_ntt(caller, length_counts_stuffing=count_stuffing)
    rec = ntt.decode_frame(wire)
    assert rec is not None and rec.format == "ntt" and rec.checksum_ok is True
    assert (rec.number, rec.absence, rec.name, rec.date, rec.time) == (
        caller.number,
        caller.absence,
        caller.name,
        caller.date,
        caller.time,
    )
    assert all(ntt.parity_errors(wire[:-2]) == 0 for _ in [0])


@settings(max_examples=200, deadline=None)
@given(st.lists(callers(), min_size=1, max_size=4), st.lists(st.binary(max_size=20), min_size=5, max_size=5))
def test_find_frames_in_a_noisy_stream(batch: list[CallerID], junk: list[bytes]) -> None:
    # Junk without DLE can't fake a frame start; the frames must all come back, in order.
    junk = [j.replace(b"\x10", b"").replace(b"\x90", b"") for j in junk]
    stream = junk[0] + b"".join(encode_ntt(c) + junk[i + 1] for i, c in enumerate(batch))
    records = [r for r in ntt.find_frames(stream) if r.checksum_ok]
    assert [(r.number, r.absence) for r in records] == [(c.number, c.absence) for c in batch]


@settings(max_examples=300, deadline=None)
@given(callers(), st.integers(0, 500), st.integers(1, 255))
def test_a_corrupted_byte_is_caught_by_the_crc(caller: CallerID, where: int, flip: int) -> None:
    wire = bytearray(encode_ntt(caller))
    where = 2 + where % (len(wire) - 2)  # anything after DLE SOH
    wire[where] ^= flip
    rec = ntt.decode_frame(bytes(wire))
    assert rec is None or rec.checksum_ok is False


@settings(max_examples=1000, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    rec = ntt.decode_frame(data)
    assert rec is None or rec.format == "ntt"
    for rec in ntt.find_frames(data):
        assert rec.format == "ntt"


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=120))
def test_arbitrary_payloads_in_valid_framing_never_raise(payload: bytes) -> None:
    rec = ntt.decode_frame(frame(payload[2:], kind=0x40))
    assert rec is None or rec.checksum_ok in (True, False)
