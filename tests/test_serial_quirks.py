"""Quirks of real serial captures, fed through `callerid parse` as a modem would print them.

The lines are facts from NCID's modem test data (github.com/igor-sfdc/ncid, a mirror of the NCID
project: test/test-modem-calls.data), written out with CRLF line ends as a modem sends them; the
"Vähälä" record is sent in Latin-1, as the issue that found it saw it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from callerid.cli import main
from callerid.decode import mdmf
from callerid.decode.text import TextAssembler

NCID_RECORDS = [
    "RING",
    "DATE = 0103", "TIME = 1254", "NAME = SARASOTA,FL", "DDN_NMBR = 9415557218",
    "RING",
    "DATE = 0103", "TIME = 1334", "NAME = Tucson,AZ", "DDN = 9415557218",
    "RING",
    "DATE = 0107", "TIME = 1518", "NAME = PrivDirOff", "NMBR = 0000000000",
    "RING",
    "DATE = 0128", "TIME = 1509", "NAME = V\xe4h\xe4l\xe4", "NMBR = 9085555002",
    "RING",
    "DATE = 0312", "TIME = 12541", "NMBR = 6305551500", "NAME = ELMHURST, IL",
    "RING",
    "DATE = 1201", "TIME = 2423", "NMBR = 4075552120", "NAME = ten digits",
    "RING",
    "DATE = 0926", "TIME = 1933", "NMBR = Restricted", "NAME = Unavailable",
    "RING",
]  # fmt: skip


def parse(tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes) -> list[dict]:
    path = tmp_path / "capture.txt"
    path.write_bytes(data)
    assert main(["parse", str(path)]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_ncid_modem_capture(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = "".join(line + "\r\n" for line in NCID_RECORDS).encode("latin-1")
    records = parse(tmp_path, capsys, data)
    keys = ("number", "absence", "name", "name_absence", "date", "time")
    summary = [tuple(r[k] for k in keys) for r in records]
    assert summary == [
        ("9415557218", None, "SARASOTA,FL", None, "0103", "1254"),  # DDN_NMBR is the caller's number
        ("9415557218", None, "Tucson,AZ", None, "0103", "1334"),
        (None, "P", None, "P", "0107", "1518"),  # PrivDirOff + zeros: withheld number and name
        ("9085555002", None, "Vähälä", None, "0128", "1509"),  # Latin-1, not replacement characters
        ("6305551500", None, "ELMHURST, IL", None, "0312", None),  # 5-digit time: not a time
        ("4075552120", None, "ten digits", None, "1201", None),  # 24:23 cannot be
        (None, "P", None, "O", "0926", "1933"),
    ]


def test_impossible_times_are_kept_raw_and_flagged() -> None:
    assembler = TextAssembler()
    out = []
    for line in ["DATE = 1201", "TIME = 2423", "NMBR = 4075552120", "NAME = ten digits"]:
        out += assembler.feed_line(line, 0.0)
    [rec] = out + assembler.flush()
    assert rec.time is None and ("invalid_time", "2423") in rec.extras


def test_shift_jis_from_a_japanese_adapter(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = ["DATE = 1125", "TIME = 0930", "NMBR = 0335814321", "NAME = 警視庁"]
    data = "".join(line + "\r\n" for line in lines).encode("shift_jis")
    [record] = parse(tmp_path, capsys, data)
    assert record["name"] == "警視庁" and record["number"] == "0335814321"


def test_name_absence_reaches_the_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = b"\x01\x0811250930" + b"\x02\x0a4133972057" + b"\x08\x01O"
    message = bytes([0x80, len(body)]) + body
    message += bytes([mdmf.checksum(message)])
    [record] = parse(tmp_path, capsys, (message.hex().upper() + "\r\n").encode())
    assert record["number"] == "4133972057" and record["name"] is None and record["name_absence"] == "O"
