"""SDMF, MDMF and ETSI messages: reference examples, the MDMF/ETSI rule, checksums, round trips."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callerid.decode import mdmf
from callerid.decode.hexline import decode_hex
from callerid.model import CallerID
from callerid.transmit.encode import encode_etsi, encode_mdmf, encode_sdmf

DATA = Path(__file__).parent / "data"


def message(kind: int, body: bytes, *, checksum: bool = True) -> bytes:
    msg = bytes([kind, len(body)]) + body
    return msg + bytes([mdmf.checksum(msg)]) if checksum else msg


def test_frames_tsv_mdmf_row() -> None:
    rows = [
        line.split("\t") for line in (DATA / "frames.tsv").read_text().splitlines() if line.startswith("mdmf")
    ]
    assert rows, "frames.tsv lost its mdmf row"
    for _, hexdata, _fields in rows:
        rec = mdmf.decode_message(bytes.fromhex(hexdata))
        assert rec is not None
        assert (rec.format, rec.date, rec.time, rec.number, rec.name, rec.checksum_ok) == (
            "mdmf",
            "1125",
            "0930",
            "2125550100",
            "SATO HANAKO",
            True,
        )


def test_askey_manual_sdmf_hex_line_without_checksum() -> None:
    rec = decode_hex("0412303332323234303539313435353132333435")
    assert rec is not None
    assert (rec.format, rec.date, rec.time, rec.number, rec.checksum_ok) == (
        "sdmf",
        "0322",
        None,  # 24:05 cannot be: not accepted, kept raw and flagged
        "9145512345",
        None,
    )
    assert ("invalid_time", "2405") in rec.extras


def test_bellcore_ddn_is_the_number_when_no_number_came_but_etsi_0x03_is_the_called_line() -> None:
    body = b"\x01\x0801030934" + b"\x03\x0a9415557218" + b"\x07\x0bSARASOTA,FL"
    rec = mdmf.decode_message(message(0x80, body))
    assert rec is not None and rec.format == "mdmf"
    assert rec.number == "9415557218" and ("dialled_number", "9415557218") in rec.extras
    etsi = mdmf.decode_message(message(0x80, b"\x11\x01\x01" + body))
    assert etsi is not None and etsi.format == "etsi" and etsi.number is None


def test_impossible_dates_and_times_are_flagged_not_accepted() -> None:
    for stamp, date, time, flags in [
        (b"12012423", "1201", None, [("invalid_time", "2423")]),
        (b"13011200", None, "1200", [("invalid_date", "1301")]),
        (b"02301260", None, None, [("invalid_date", "0230"), ("invalid_time", "1260")]),
        (b"02291159", "0229", "1159", []),
        (b"00000000", None, None, []),  # no clock: not an error
    ]:
        rec = mdmf.decode_message(message(0x80, b"\x01\x08" + stamp + b"\x02\x0a4075552120"))
        assert rec is not None and (rec.date, rec.time) == (date, time)
        assert [e for e in rec.extras if e[0].startswith("invalid_")] == flags


def test_sdmf_with_checksum_good_and_bad() -> None:
    good = message(0x04, b"11250930" + b"0312345678")
    rec = mdmf.decode_message(good)
    assert rec is not None and rec.checksum_ok is True and rec.number == "0312345678"
    bad = good[:-1] + bytes([(good[-1] + 1) & 0xFF])
    rec = mdmf.decode_message(bad)
    assert rec is not None and rec.checksum_ok is False and rec.number == "0312345678"


@pytest.mark.parametrize(("code", "absence"), [(b"P", "P"), (b"O", "O")])
def test_sdmf_private_and_out_of_area(code: bytes, absence: str) -> None:
    rec = mdmf.decode_message(message(0x04, b"11250930" + code))
    assert rec is not None and (rec.number, rec.absence) == (None, absence)


def test_mdmf_absence_reasons_and_name_absence() -> None:
    body = b"\x01\x0811250930" + b"\x04\x01P" + b"\x08\x01O"
    rec = mdmf.decode_message(message(0x80, body))
    assert rec is not None
    assert (rec.format, rec.number, rec.absence, rec.name, rec.name_absence) == ("mdmf", None, "P", None, "O")


def test_unknown_parameters_are_skipped_and_kept() -> None:
    body = b"\x01\x0811250930" + b"\x03\x075551000" + b"\x06\x01L" + b"\x02\x0a0312345678" + b"\x07\x03ABC"
    rec = mdmf.decode_message(message(0x80, body))
    assert rec is not None and rec.format == "mdmf"
    assert (rec.number, rec.name) == ("0312345678", "ABC")
    assert ("dialled_number", "5551000") in rec.extras and ("qualifier", "L") in rec.extras


def test_etsi_rule_parameter_above_bellcore_set_means_etsi() -> None:
    body = b"\x11\x01\x01" + b"\x01\x0811250930" + b"\x02\x0b01632960001" + b"\x1a\x0b01632960002"
    rec = mdmf.decode_message(message(0x80, body))
    assert rec is not None and rec.format == "etsi"
    assert rec.number == "01632960001"
    assert ("call_type", "01") in rec.extras and ("redirecting_number", "01632960002") in rec.extras


def test_plain_0x80_is_mdmf_unless_forced() -> None:
    msg = message(0x80, b"\x02\x0b01632960001")
    assert mdmf.decode_message(msg).format == "mdmf"  # type: ignore[union-attr]
    assert mdmf.decode_message(msg, expect="etsi").format == "etsi"  # type: ignore[union-attr]
    assert mdmf.decode_message(msg, expect="sdmf") is None
    assert mdmf.decode_message(message(0x04, b"112509300312345678"), expect="mdmf") is None


@pytest.mark.parametrize("kind", [0x06, 0x82, 0x86, 0x89, 0x00, 0x12, 0xFF])
def test_message_waiting_and_other_types_are_not_caller_records(kind: int) -> None:
    assert mdmf.decode_message(message(kind, b"\x0b\x01\xff" + b"\x02\x0a0312345678")) is None


def test_truncated_message_keeps_what_arrived_with_bad_checksum() -> None:
    full = message(0x80, b"\x01\x0811250930\x02\x0a0312345678\x07\x05SATOH")
    rec = mdmf.decode_message(full[:-8])
    assert rec is not None and rec.checksum_ok is False
    assert rec.date == "1125" and rec.number == "0312345678"


def test_parameters_overrunning_the_length_make_the_checksum_bad() -> None:
    rec = mdmf.decode_message(message(0x80, b"\x02\x0a0312345678\x07\x09SATO"))
    assert rec is not None and rec.checksum_ok is False and rec.number == "0312345678"


def test_channel_seizure_and_marks_before_the_message_are_skipped() -> None:
    rec = mdmf.decode_message(b"\x55" * 30 + b"\xff\xff" + message(0x80, b"\x02\x03011"))
    assert rec is not None and rec.number == "011" and rec.checksum_ok is True


def test_spandsp_doubled_length_quirk_for_a_16_digit_number() -> None:
    # spandsp's CLASS encoder doubles a parameter length of 0x10; the bytes are from libspandsp2.
    rec = mdmf.decode_message(bytes.fromhex("80130210103132333435363738393031323334353609"))
    assert rec is not None and rec.number == "1234567890123456" and rec.checksum_ok is True


def test_plain_16_digit_number_is_not_undoubled() -> None:
    rec = mdmf.decode_message(message(0x80, b"\x02\x10" + b"1234567890123456"))
    assert rec is not None and rec.number == "1234567890123456" and rec.checksum_ok is True


def test_all_zero_date_means_no_date() -> None:
    rec = mdmf.decode_message(encode_sdmf("0312345678", None, None))
    assert rec is not None and (rec.date, rec.time, rec.number) == (None, None, "0312345678")


def test_encoders_reject_what_the_wire_cannot_carry() -> None:
    with pytest.raises(ValueError, match="4 digits"):
        encode_sdmf("1", "11/25", "0930")
    with pytest.raises(ValueError, match="at most 255"):
        encode_mdmf(CallerID("mdmf", number="1", name="A" * 300))
    with pytest.raises(ValueError, match="ASCII"):
        encode_mdmf(CallerID("mdmf", number="０３"))


# -- property tests ------------------------------------------------------------------------------

numbers = st.text(alphabet="0123456789", min_size=1, max_size=20) | st.builds(
    lambda d: "+" + d, st.text(alphabet="0123456789", min_size=1, max_size=18)
)
names = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=15
).filter(lambda s: s.strip() == s and s != "")
DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
dates = st.integers(1, 12).flatmap(lambda m: st.integers(1, DAYS[m - 1]).map(lambda d: f"{m:02d}{d:02d}"))
times = st.builds(lambda h, m: f"{h:02d}{m:02d}", st.integers(0, 23), st.integers(0, 59))
absences = st.sampled_from(["P", "O"])


@st.composite
def callers(draw: st.DrawFn) -> CallerID:
    when = draw(st.none() | st.tuples(dates, times))
    number = draw(st.none() | numbers)
    name = draw(st.none() | names)
    return CallerID(
        format="mdmf",
        number=number,
        absence=None if number else draw(absences),
        name=name,
        name_absence=None if name else draw(st.none() | absences),
        date=when[0] if when else None,
        time=when[1] if when else None,
    )


def fields(rec: CallerID | None) -> tuple:
    assert rec is not None
    return (rec.number, rec.absence, rec.name, rec.name_absence, rec.date, rec.time)


@settings(max_examples=300, deadline=None)
@given(callers())
def test_mdmf_round_trip(caller: CallerID) -> None:
    rec = mdmf.decode_message(encode_mdmf(caller))
    assert fields(rec) == fields(caller)
    assert rec.format == "mdmf" and rec.checksum_ok is True  # type: ignore[union-attr]


@settings(max_examples=300, deadline=None)
@given(callers())
def test_etsi_round_trip(caller: CallerID) -> None:
    rec = mdmf.decode_message(encode_etsi(caller))
    assert fields(rec) == fields(caller)
    assert rec.format == "etsi" and rec.checksum_ok is True  # type: ignore[union-attr]


@settings(max_examples=300, deadline=None)
@given(st.none() | numbers, dates, times, absences)
def test_sdmf_round_trip(number: str | None, date: str, time: str, absence: str) -> None:
    rec = mdmf.decode_message(encode_sdmf(number, date, time, None if number else absence))
    assert rec is not None and rec.format == "sdmf" and rec.checksum_ok is True
    assert (rec.number, rec.absence, rec.date, rec.time) == (number, None if number else absence, date, time)


@settings(max_examples=200, deadline=None)
@given(callers(), st.integers(0, 200), st.integers(0, 255))
def test_a_corrupted_byte_is_caught_by_the_checksum(caller: CallerID, where: int, delta: int) -> None:
    msg = bytearray(encode_mdmf(caller))
    where %= len(msg)
    if delta == 0 or where < 2:
        return  # type or length changes are a different message, not a corruption of this one
    msg[where] = (msg[where] + delta) & 0xFF
    rec = mdmf.decode_message(bytes(msg))
    assert rec is None or rec.checksum_ok is False


@settings(max_examples=1000, deadline=None)
@given(st.binary(max_size=300), st.sampled_from([None, "sdmf", "mdmf", "etsi"]))
def test_arbitrary_bytes_never_raise(data: bytes, expect: str | None) -> None:
    rec = mdmf.decode_message(data, expect=expect)
    assert rec is None or rec.format in ("sdmf", "mdmf", "etsi")


@settings(max_examples=500, deadline=None)
@given(st.sampled_from([0x04, 0x80]), st.binary(max_size=260))
def test_arbitrary_bodies_with_valid_framing_never_raise(kind: int, body: bytes) -> None:
    body = body[:255]
    rec = mdmf.decode_message(message(kind, body))
    if rec is not None:
        assert rec.checksum_ok in (True, False)
        for text in (rec.number, rec.name):
            assert text is None or all(ch >= " " and ch not in "\x7f" for ch in text)


def test_a_tab_in_the_callers_name_becomes_a_space() -> None:
    """Found by the property test above: the name is the caller's to choose, controls never pass."""
    assert mdmf.decode_message(message(0x80, b"\x07\x03!\t!")).name == "! !"
