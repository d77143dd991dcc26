"""CallerIDStream: what the modem driver feeds. Real modem transcripts, hex lines, chunking, garbage."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callerid.decode.hexline import decode_hex, hex_bytes
from callerid.decode.stream import CallerIDStream
from callerid.decode.text import name_absence_of
from callerid.model import CallerID
from callerid.transmit.encode import encode_etsi, encode_mdmf, encode_ntt, encode_sdmf, format_text

DATA = Path(__file__).parent / "data"


def run(
    data: bytes, *, chunks: list[int] | None = None, stream: CallerIDStream | None = None
) -> list[CallerID]:
    """Feed `data` (in chunks of the given sizes, cycling) at t=0 and flush."""
    stream = stream or CallerIDStream()
    out: list[CallerID] = []
    pos, i = 0, 0
    sizes = chunks or [len(data) or 1]
    while pos < len(data):
        size = max(1, sizes[i % len(sizes)])
        out += stream.feed(data[pos : pos + size], 0.0)
        pos, i = pos + size, i + 1
    out += stream.flush()
    assert stream.internal_errors == 0, stream.last_error
    return out


def summary(records: list[CallerID]) -> list[tuple]:
    return [(r.format, r.number, r.name, r.absence, r.date, r.time, r.checksum_ok) for r in records]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("modem_formatted.txt", [("text", "0471230000", "SATO HANAKO", None, "1125", "0930", None)]),
        ("modem_nospace_private.txt", [("text", None, None, "P", "1125", "0931", None)]),
        ("modem_number_only.txt", [("text", "01632960001", None, None, None, None, None)]),
    ],
)
def test_modem_transcripts(name: str, expected: list[tuple]) -> None:
    data = (DATA / name).read_bytes()
    assert summary(run(data)) == expected
    assert summary(run(data, chunks=[1])) == expected


def test_number_only_transcript_completes_on_ring_without_flush() -> None:
    stream = CallerIDStream()
    records = stream.feed((DATA / "modem_number_only.txt").read_bytes(), 0.0)
    assert [r.number for r in records] == ["01632960001"]
    assert stream.deadline() is None


def test_number_only_completes_after_quiet_time_with_deadline_and_poll() -> None:
    stream = CallerIDStream(quiet_seconds=1.5)
    assert stream.feed(b"RING\r\n\r\nNMBR = 01632960001\r\n", 100.0) == []
    assert stream.deadline() == pytest.approx(101.5)
    assert stream.poll(101.0) == []
    assert [r.number for r in stream.poll(101.5)] == ["01632960001"]
    assert stream.deadline() is None


def test_feed_with_no_complete_line_still_honours_the_quiet_time() -> None:
    stream = CallerIDStream(quiet_seconds=1.0)
    stream.feed(b"NMBR = 0312345678\r\n", 0.0)
    assert [r.number for r in stream.feed(b"RI", 2.0)] == ["0312345678"]


def test_frames_tsv_as_hex_lines() -> None:
    rows = [r.split("\t") for r in (DATA / "frames.tsv").read_text().splitlines() if not r.startswith("#")]
    data = "".join(f"{hexdata}\r\n" for _, hexdata, _ in rows).encode()
    records = run(data, chunks=[7])
    assert [r.format for r in records] == [kind for kind, _, _ in rows]
    assert all(r.checksum_ok for r in records)
    assert [r.number for r in records] == ["0471230000", None, "09087654321", "2125550100"]


def test_hex_with_spaces_and_lower_or_upper_case() -> None:
    wire = encode_ntt(CallerID("ntt", number="0335814321"))
    spaced = " ".join(f"{b:02X}" for b in wire)
    assert decode_hex(spaced).number == "0335814321"  # type: ignore[union-attr]
    assert hex_bytes("RING") is None and hex_bytes("12") is None and hex_bytes("0x" + wire.hex()) == wire


def test_hex_message_completes_a_pending_text_record_first() -> None:
    data = (
        b"NMBR = 0312345678\r\n" + encode_mdmf(CallerID("mdmf", number="2125550100")).hex().encode() + b"\r\n"
    )
    assert [(r.format, r.number) for r in run(data)] == [("text", "0312345678"), ("mdmf", "2125550100")]


def test_force_format() -> None:
    sdmf = encode_sdmf("0312345678", "1125", "0930").hex()
    plain = encode_mdmf(CallerID("mdmf", number="2125550100")).hex()
    text = "NMBR = 0471230000\r\nRING\r\n"
    data = f"{sdmf}\r\n{plain}\r\n{text}".encode()
    assert [r.format for r in run(data)] == ["sdmf", "mdmf", "text"]
    assert [r.format for r in run(data, stream=CallerIDStream(force_format="etsi"))] == ["etsi"]
    assert [r.format for r in run(data, stream=CallerIDStream(force_format="sdmf"))] == ["sdmf"]
    assert [r.format for r in run(data, stream=CallerIDStream(force_format="text"))] == ["text"]
    assert run(data, stream=CallerIDStream(force_format="ntt")) == []
    with pytest.raises(ValueError, match="unknown caller-ID format"):
        CallerIDStream(force_format="bogus")


def test_a_bare_digit_line_is_not_mistaken_for_a_call() -> None:
    assert run(b"0471230000\r\n123456\r\n") == []


def test_modem_session_with_echo_noise_and_several_calls() -> None:
    calls = [
        CallerID("text", number="0471230000", name="SATO HANAKO", date="1125", time="0930"),
        CallerID("text", absence="P", name_absence="P", date="1125", time="0931"),
        CallerID("text", number="+12025550123", name="INTL CALL", date="1125", time="0932"),
        CallerID("text", number="01632960001"),
    ]
    parts = [b"ATZ\r\r\nOK\r\nAT+VCID=1\r\r\nOK\r\n"]
    for i, call in enumerate(calls):
        style = ("spaced", "compact", "oneline", "spaced")[i]
        parts.append(
            b"\r\nRING\r\n\r\n"
            + format_text(call, style).encode()
            + b"\r\nRING\r\n\xff\xfe\r\nNO CARRIER\r\n"
        )
    data = b"".join(parts)
    expected = [(c.number, c.name, c.absence, c.date, c.time) for c in calls]
    for chunks in ([len(data)], [1], [3, 1, 7], [64]):
        got = run(data, chunks=chunks)
        assert [(r.number, r.name, r.absence, r.date, r.time) for r in got] == expected


def test_mixed_line_endings() -> None:
    data = b"RING\rDATE = 1125\nTIME = 0930\r\nNMBR = 0471230000\n\rNAME = SATO\r\r\nRING\n"
    [rec] = run(data)
    assert (rec.number, rec.name, rec.date, rec.time) == ("0471230000", "SATO", "1125", "0930")


def test_unterminated_last_line_is_decoded_by_flush() -> None:
    [rec] = run(b"DATE = 1125\r\nTIME = 0930\r\nNMBR = 0471230000\r\nNAME = SATO")
    assert rec.name == "SATO" and rec.number == "0471230000"


def test_feed_line_and_str_input() -> None:
    stream = CallerIDStream()
    assert stream.feed_line("NMBR = 1\x00", 0.0) == []
    assert [r.number for r in stream.feed_line("RING", 0.1)] == ["1"]
    assert [r.number for r in stream.feed("NMBR = 2\r\nRING\r\n", 0.2)] == ["2"]


# -- property tests ------------------------------------------------------------------------------

# All-zero numbers of 4+ digits read as "unavailable" in text (a modem quirk), so they are left out.
digits = st.text(alphabet="0123456789", min_size=1, max_size=15).filter(lambda d: len(d) < 4 or d.strip("0"))
names = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=15
).filter(
    lambda s: "--" not in s and name_absence_of(s) is None and not s.startswith("-") and not s.endswith("-")
)


@st.composite
def sessions(draw: st.DrawFn) -> tuple[bytes, list[tuple]]:
    """A modem transcript: calls in any format, separated by rings and noise."""
    noise = [
        b"OK\r\n",
        b"ERROR\r\n",
        b"\xff\xfe\x00\r\n",
        b"AT+VCID=1\r\n",
        b"NO CARRIER\r\n",
        b"\r\n",
        b"CONNECT\r\n",
    ]
    out, expected = [], []
    for _ in range(draw(st.integers(1, 5))):
        number = draw(st.none() | digits)
        caller = CallerID(
            "text",
            number=number,
            absence=None if number else draw(st.sampled_from("PO")),
            name=draw(st.none() | names),
            date=draw(st.sampled_from(["1125", "0101", "1231"])),
            time=draw(st.sampled_from(["0930", "0000", "2359"])),
        )
        kind = draw(st.sampled_from(["spaced", "compact", "oneline", "sdmf", "mdmf", "etsi", "ntt"]))
        if kind in ("spaced", "compact", "oneline"):
            payload = format_text(caller, kind).encode()
        elif kind == "sdmf":
            caller = CallerID(
                "text", number=caller.number, absence=caller.absence, date=caller.date, time=caller.time
            )
            payload = (
                encode_sdmf(caller.number, caller.date, caller.time, caller.absence).hex().encode() + b"\r\n"
            )
        else:
            encoder = {"mdmf": encode_mdmf, "etsi": encode_etsi, "ntt": encode_ntt}[kind]
            payload = encoder(caller).hex().upper().encode() + b"\r\n"
        out.append(
            b"RING\r\n" + draw(st.sampled_from(noise)) + payload + b"RING\r\n" + draw(st.sampled_from(noise))
        )
        expected.append((caller.number, caller.absence, caller.name, caller.date, caller.time))
    return b"".join(out), expected


@settings(max_examples=150, deadline=None)
@given(sessions(), st.lists(st.integers(1, 40), min_size=1, max_size=8))
def test_chunking_invariance_and_no_lost_records(
    session: tuple[bytes, list[tuple]], sizes: list[int]
) -> None:
    data, expected = session
    whole = run(data)
    assert [(r.number, r.absence, r.name, r.date, r.time) for r in whole] == expected
    assert summary(run(data, chunks=sizes)) == summary(whole)


@settings(max_examples=50, deadline=None)
@given(sessions(), st.randoms(use_true_random=False))
def test_line_endings_do_not_matter(session: tuple[bytes, list[tuple]], rnd: random.Random) -> None:
    data, expected = session
    lines = data.split(b"\r\n")
    mixed = b"".join(line + rnd.choice([b"\r", b"\n", b"\r\n"]) for line in lines)
    assert [(r.number, r.absence, r.name, r.date, r.time) for r in run(mixed)] == expected


@settings(max_examples=800, deadline=None)
@given(st.binary(max_size=400), st.lists(st.integers(1, 50), min_size=1, max_size=5))
def test_arbitrary_bytes_never_raise(data: bytes, sizes: list[int]) -> None:
    for force in (None, "text", "ntt"):
        stream = CallerIDStream(force_format=force)
        run(data, chunks=sizes, stream=stream)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "RING",
                "NMBR",
                "NAME",
                "DATE",
                "TIME",
                "MESG",
                "=",
                "--",
                " ",
                "\r\n",
                "\n",
                "P",
                "0",
                "1",
                "80",
                "04",
                "9081",
                "\x00",
                "\xff",
                "OK",
            ]
        ),
        max_size=60,
    ),
    st.floats(0, 5),
)
def test_structured_garbage_never_raises_and_records_are_clean(tokens: list[str], step: float) -> None:
    stream = CallerIDStream(quiet_seconds=1.0)
    now = 0.0
    records = []
    for token in tokens:
        records += stream.feed(token.encode("utf-8", errors="replace"), now)
        now += step
        deadline = stream.deadline()
        if deadline is not None and deadline <= now:
            records += stream.poll(now)
    records += stream.flush()
    assert stream.internal_errors == 0, stream.last_error
    for rec in records:
        assert rec.format in ("text", "sdmf", "mdmf", "etsi", "ntt")
        assert rec.absence in (None, "P", "O", "C", "S")
        for text in (rec.number, rec.name):
            assert text is None or ("\r" not in text and "\n" not in text and "\x00" not in text)


def test_mdmf_of_length_0x10_is_not_mistaken_for_ntt() -> None:
    msg = encode_mdmf(CallerID("mdmf", date="1125", time="0930", absence="P", name="0"))
    assert msg[1:3] == b"\x10\x01"  # DLE SOH look-alike right after the type
    [rec] = run(msg.hex().encode() + b"\r\n")
    assert (rec.format, rec.absence, rec.name, rec.checksum_ok) == ("mdmf", "P", "0", True)


def test_ntt_frame_after_junk_on_a_hex_line() -> None:
    wire = encode_ntt(CallerID("ntt", number="0335814321"))
    [rec] = run(b"0000" + wire.hex().encode() + b"\r\n")
    assert rec.format == "ntt" and rec.number == "0335814321"
