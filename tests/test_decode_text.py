"""Formatted modem output (AT+VCID=1 / AT#CID=1): every quirk in the reference, line by line."""

from __future__ import annotations

import pytest

from callerid.decode.lines import LineBuffer
from callerid.decode.text import TextAssembler, is_ring, split_field, split_oneline


def feed(lines: list[str], *, quiet: float = 1.5, step: float = 0.1, flush: bool = True):
    """Feed lines 0.1 s apart; return (records, completion time of each)."""
    asm = TextAssembler(quiet_seconds=quiet)
    out, when = [], []
    now = 0.0
    for line in lines:
        got = asm.feed_line(line, now)
        out += got
        when += [now] * len(got)
        now += step
    if flush:
        out += asm.flush()
    return out, when


NA_RECORD = ["RING", "", "DATE = 0321", "TIME = 1405", "NMBR = 5045551234", "NAME = A N OTHER", "", "RING"]


def test_north_american_record_completes_on_name_before_the_next_ring() -> None:
    records, when = feed(NA_RECORD, flush=False)
    assert len(records) == 1
    rec = records[0]
    assert (rec.format, rec.number, rec.name, rec.date, rec.time) == (
        "text",
        "5045551234",
        "A N OTHER",
        "0321",
        "1405",
    )
    assert rec.absence is None and rec.checksum_ok is None
    assert when == [pytest.approx(0.5)]  # at the NAME line, not at the second RING
    assert b"NMBR = 5045551234" in rec.raw


@pytest.mark.parametrize(
    "lines",
    [
        ["DATE=0801", "TIME=1200", "NMBR=8055554567", "NAME=JOHN DOE"],
        ["DATE =0801", "TIME= 1200", "NMBR  =  8055554567", "NAME=   JOHN DOE   "],
        ["date = 0801", "time = 1200", "nmbr = 8055554567", "name = JOHN DOE"],
        ["\tDATE = 0801", "TIME: 1200", "NMBR: 8055554567", "NAME: JOHN DOE"],
    ],
)
def test_spaces_or_none_around_equals(lines: list[str]) -> None:
    [rec] = feed(lines)[0]
    assert (rec.number, rec.name, rec.date, rec.time) == ("8055554567", "JOHN DOE", "0801", "1200")


@pytest.mark.parametrize(
    ("value", "number", "absence"),
    [
        ("P", None, "P"),
        ("O", None, "O"),
        ("p", None, "P"),
        ("Restricted", None, "P"),
        ("PRIVATE", None, "P"),
        ("Anonymous", None, "P"),
        ("OUT-OF-AREA", None, "O"),
        ("Out of area", None, "O"),
        ("Unavailable", None, "O"),
        ("0000000000", None, "O"),
        ("C", None, "C"),
        ("S", None, "S"),
        ("+12025550123", "+12025550123", None),
        ("+81-3-3581-4321", "+81335814321", None),
        ("(212) 555-0100", "2125550100", None),
        ("0471230000", "0471230000", None),
    ],
)
def test_number_values(value: str, number: str | None, absence: str | None) -> None:
    [rec] = feed(["DATE = 1125", "TIME = 0930", f"NMBR = {value}", "NAME = X"])[0]
    assert (rec.number, rec.absence) == (number, absence)


@pytest.mark.parametrize(
    ("value", "number", "absence"),
    [
        ("０３３５８１４３２１", "0335814321", None),  # full-width, as Japanese equipment prints it
        ("０３－３５８１－４３２１", "0335814321", None),
        ("＋８１３３５８１４３２１", "+81335814321", None),
        ("٠٣٣٥٨١٤٣٢١", "0335814321", None),  # any script's decimal digits
        ("Ｐ", None, "P"),
    ],
)
def test_non_ascii_digits_are_a_number_not_a_missing_one(
    value: str, number: str | None, absence: str | None
) -> None:
    """A police number in full-width digits must reach screening, not become "no number (O)"."""
    [rec] = feed([f"NMBR = {value}", "RING"])[0]
    assert (rec.number, rec.absence) == (number, absence)
    assert value.encode() in rec.raw  # the line as it came is kept


def test_all_zero_number_is_kept_in_extras() -> None:
    [rec] = feed(["NMBR = 0000000000"])[0]
    assert rec.number is None and rec.absence == "O"
    assert ("NMBR", "0000000000") in rec.extras


@pytest.mark.parametrize(
    ("value", "name", "name_absence"),
    [
        ("P", None, "P"),
        ("O", None, "O"),
        ("WITHHELD", None, "P"),
        ("PrivDirOff", None, "P"),
        ("UNKNOWN", None, "O"),
        ("Cell Phone   NH", "Cell Phone   NH", None),
        ("SATO HANAKO", "SATO HANAKO", None),
        ("佐藤花子", "佐藤花子", None),
    ],
)
def test_name_values(value: str, name: str | None, name_absence: str | None) -> None:
    [rec] = feed(["DATE = 1125", "TIME = 0930", "NMBR = 0471230000", f"NAME = {value}"])[0]
    assert (rec.name, rec.name_absence) == (name, name_absence)
    assert rec.number == "0471230000"


def test_withheld_number_and_name() -> None:
    [rec] = feed(["RING", "DATE=1125", "TIME=0931", "NMBR=P", "NAME=P", "RING"])[0]
    assert (rec.number, rec.absence, rec.name, rec.name_absence) == (None, "P", None, "P")
    assert (rec.date, rec.time) == ("1125", "0931")


def test_mesg_lines_are_kept_in_extras() -> None:
    [rec] = feed(["MESG = 110101", "DATE = 1125", "TIME = 0930", "NMBR = 0471230000", "NAME = X"])[0]
    assert ("MESG", "110101") in rec.extras
    assert rec.number == "0471230000"


def test_ddn_beside_nmbr_is_kept_in_extras() -> None:
    [rec] = feed(["DATE = 1125", "TIME = 0930", "DDN_NMBR = 5551000", "NMBR = 5045551234", "NAME = X"])[0]
    assert ("DDN_NMBR", "5551000") in rec.extras and rec.number == "5045551234"


def test_one_line_record() -> None:
    line = "--DATE = 0912--TIME = 1137--NMBR = 8005551212--NAME = Cell Phone   NH--"
    records, when = feed(["RING", line], flush=False)
    assert len(records) == 1 and when == [pytest.approx(0.1)]
    rec = records[0]
    assert (rec.date, rec.time, rec.number, rec.name) == ("0912", "1137", "8005551212", "Cell Phone   NH")


def test_one_line_record_without_name_completes_at_once() -> None:
    records, _ = feed(["--DATE=0912--TIME=1137--NMBR=8005551212--"], flush=False)
    assert [r.number for r in records] == ["8005551212"]


def test_one_line_name_cannot_forge_a_second_number() -> None:
    line = "--DATE = 0912--TIME = 1137--NMBR = 8005551212--NAME = POLICE--NMBR = 0110--"
    [rec] = feed([line])[0]
    assert rec.number == "8005551212"
    assert rec.name == "POLICE--NMBR = 0110"


def test_split_helpers() -> None:
    assert split_field("NMBR=0312345678") == ("NMBR", "number", "0312345678")
    assert split_field("CALLER NUMBER: 0312345678") == ("CALLER NUMBER", "number", "0312345678")
    assert split_field("AT+VCID=1") is None
    assert split_field("OK") is None
    assert split_field("FOO = bar") is None
    assert split_oneline("NMBR = 1") is None
    assert is_ring("RING") and is_ring("ring") and is_ring("RING A") and not is_ring("RINGING OFF")
    assert is_ring("2") and not is_ring("22")  # ATV0: RING is the numeric result code 2


def test_number_only_record_completes_on_the_next_ring() -> None:
    records, when = feed(["RING", "", "NMBR = 01632960001", "", "RING"], flush=False)
    assert [r.number for r in records] == ["01632960001"]
    assert when == [pytest.approx(0.4)]  # at the RING
    assert (records[0].date, records[0].time, records[0].name) == (None, None, None)


def test_number_only_record_completes_after_the_quiet_time() -> None:
    asm = TextAssembler(quiet_seconds=2.0)
    assert asm.deadline() is None
    assert asm.feed_line("NMBR = 01632960001", 10.0) == []
    assert asm.deadline() == pytest.approx(12.0)
    assert asm.poll(11.9) == []
    [rec] = asm.poll(12.0)
    assert rec.number == "01632960001"
    assert asm.deadline() is None and asm.poll(20.0) == []


def test_noise_does_not_extend_the_quiet_time() -> None:
    asm = TextAssembler(quiet_seconds=1.0)
    asm.feed_line("NMBR = 0312345678", 0.0)
    assert asm.feed_line("OK", 0.5) == []
    assert asm.deadline() == pytest.approx(1.0)
    assert [r.number for r in asm.feed_line("ATZ", 1.2)] == [
        "0312345678"
    ]  # overdue: completed on the next line


def test_fields_separated_by_more_than_the_quiet_time_are_two_fragments() -> None:
    asm = TextAssembler(quiet_seconds=1.0)
    asm.feed_line("DATE = 1125", 0.0)
    [first] = asm.feed_line("NMBR = 0312345678", 5.0)
    assert first.date == "1125" and first.number is None
    [second] = asm.flush()
    assert second.number == "0312345678"


def test_two_calls_in_a_row_without_ring_between() -> None:
    lines = ["DATE = 1125", "TIME = 0930", "NMBR = 0471230000", "DATE = 1125", "TIME = 0931", "NMBR = P"]
    records, _ = feed(lines)
    assert [(r.number, r.absence, r.time) for r in records] == [
        ("0471230000", None, "0930"),
        (None, "P", "0931"),
    ]


def test_two_full_calls_in_a_row() -> None:
    records, _ = feed(NA_RECORD + ["DATE = 0321", "TIME = 1406", "NMBR = O", "NAME = O", "RING"], flush=False)
    assert [(r.number, r.absence, r.time) for r in records] == [
        ("5045551234", None, "1405"),
        (None, "O", "1406"),
    ]


def test_echo_result_codes_and_garbage_are_ignored() -> None:
    noise = [
        "ATE1",
        "AT+VCID=1",
        "OK",
        "ERROR",
        "CONNECT",
        "CONNECT 1200",
        "NO CARRIER",
        "BUSY",
        "VCON",
        "\ufffd\ufffd",
        "=",
        "= 5",
    ]
    records, _ = feed(
        noise + ["DATE = 1125", "OK", "TIME = 0930", "NO CARRIER", "NMBR = 0471230000", "ERROR", "NAME = X"]
    )
    assert len(records) == 1 and records[0].number == "0471230000" and records[0].name == "X"


def test_stray_mesg_alone_is_not_a_call() -> None:
    assert feed(["MESG = 110101", "RING"])[0] == []


def test_date_and_time_formats() -> None:
    [rec] = feed(["DATE = 11/25", "TIME = 09:30", "NMBR = 1"])[0]
    assert (rec.date, rec.time) == ("1125", "0930")
    [rec] = feed(["DATE = 11250930", "NMBR = 1"])[0]
    assert (rec.date, rec.time) == ("1125", "0930")
    [rec] = feed(["DATE = garbage", "TIME = x", "NMBR = 1"])[0]
    assert (rec.date, rec.time) == (None, None)
    assert ("invalid_date", "garbage") in rec.extras and ("invalid_time", "x") in rec.extras


def test_a_date_only_fragment_is_still_reported() -> None:
    [rec] = feed(["DATE = 1125", "TIME = 0930", "RING"])[0]
    assert (rec.number, rec.absence, rec.date) == (None, None, "1125")


def test_long_name_is_capped() -> None:
    [rec] = feed(["NMBR = 1", "NAME = " + "A" * 5000])[0]
    assert rec.name is not None and len(rec.name) <= 80


def test_line_buffer_handles_cr_lf_crlf_and_bad_bytes() -> None:
    buf = LineBuffer()
    data = b"RING\r\n\r\nDATE = 1125\rTIME = 0930\nNMBR = 047\x00123\x07\x910000\r\nNAME = \xff\xfeSATO\r"
    lines = []
    for i in range(len(data)):  # one byte at a time: CRLF split between chunks
        lines += buf.feed(data[i : i + 1])
    assert lines == [
        "RING",
        "",
        "DATE = 1125",
        "TIME = 0930",
        "NMBR = 0471230000",  # not UTF-8: read as Latin-1, whose 0x91 is a control, removed
        "NAME = \xff\xfeSATO",  # Latin-1 "ÿþ", not replacement characters
    ]
    assert buf.pending() == ""


def test_line_buffer_split_utf8_and_pending() -> None:
    buf = LineBuffer()
    name = "NAME = 佐藤".encode()
    assert buf.feed(name[:-1]) == []
    assert buf.pending() == "NAME = 佐"
    assert buf.feed(name[-1:] + b"\n") == ["NAME = 佐藤"]
    assert buf.feed("text\r\n") == ["text"]
    assert buf.feed(b"tail") == [] and buf.flush() == ["tail"]


def test_line_buffer_caps_a_runaway_line() -> None:
    buf = LineBuffer()
    lines = buf.feed(b"A" * 10000)
    assert len(lines) == 1 and buf.pending() == ""


def test_a_flood_of_mesg_lines_stays_bounded() -> None:
    [rec] = feed(["NMBR = 0312345678"] + [f"MESG = {i:06x}" for i in range(1000)])[0]
    assert rec.number == "0312345678"
    assert len(rec.extras) <= 32 and rec.raw.count(b"\r\n") < 64
