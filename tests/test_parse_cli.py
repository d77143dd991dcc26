"""`callerid parse [FILE] [--format ...]`: one JSON object per record, in the DESIGN.md shape."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from callerid.cli import main
from callerid.model import CallerID
from callerid.transmit.encode import encode_etsi, encode_mdmf, encode_ntt, encode_sdmf

DATA = Path(__file__).parent / "data"
KEYS = ["format", "number", "name", "absence", "name_absence", "date", "time", "checksum_ok"]


def parse(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict], str]:
    code = main(["parse", *args])
    captured = capsys.readouterr()
    return code, [json.loads(line) for line in captured.out.splitlines()], captured.err


def cli(args: list[str], stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "callerid", "parse", *args], input=stdin, capture_output=True, timeout=30
    )


def test_modem_transcripts(capsys: pytest.CaptureFixture[str]) -> None:
    code, records, _ = parse([str(DATA / "modem_formatted.txt")], capsys)
    assert code == 0
    assert records == [
        {
            "format": "text",
            "number": "0471230000",
            "name": "SATO HANAKO",
            "absence": None,
            "name_absence": None,
            "date": "1125",
            "time": "0930",
            "checksum_ok": None,
        }
    ]
    assert list(records[0]) == KEYS
    _, records, _ = parse([str(DATA / "modem_nospace_private.txt")], capsys)
    assert [(r["number"], r["absence"], r["date"], r["time"]) for r in records] == [
        (None, "P", "1125", "0931")
    ]
    _, records, _ = parse([str(DATA / "modem_number_only.txt")], capsys)
    assert [(r["number"], r["name"], r["date"]) for r in records] == [("01632960001", None, None)]


def test_frames_tsv_hex_lines_auto_detected(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [r.split("\t") for r in (DATA / "frames.tsv").read_text().splitlines() if not r.startswith("#")]
    path = tmp_path / "hex.txt"
    path.write_text("".join(f"{hexdata}\n" for _, hexdata, _ in rows))
    code, records, _ = parse([str(path)], capsys)
    assert code == 0
    assert [r["format"] for r in records] == [kind for kind, _, _ in rows]
    for record, (_, _, expected) in zip(records, rows, strict=True):
        want = dict(re.findall(r"(\w+)=(.*?)(?=\s+\w+=|$)", expected))
        assert want, expected
        assert record["checksum_ok"] is True
        for key in ("number", "name", "absence", "date", "time"):
            assert record[key] == want.get(key), key


def test_every_kind_in_one_file_and_forced_formats(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    caller = CallerID("text", number="0471230000", name="SATO", date="1125", time="0930")
    lines = [
        "RING",
        "DATE = 1125",
        "TIME = 0930",
        "NMBR = 0471230000",
        "NAME = SATO",
        "RING",
        encode_sdmf("0471230000", "1125", "0930").hex(),
        encode_mdmf(caller).hex(),
        encode_etsi(caller).hex(),
        encode_ntt(caller).hex(),
    ]
    path = tmp_path / "mixed.txt"
    path.write_text("\r\n".join(lines) + "\r\n")
    _, records, _ = parse([str(path)], capsys)
    assert [r["format"] for r in records] == ["text", "sdmf", "mdmf", "etsi", "ntt"]
    assert all(r["number"] == "0471230000" for r in records)
    for forced, expected in [
        ("text", ["text"]),
        ("sdmf", ["sdmf"]),
        ("mdmf", ["mdmf", "mdmf"]),
        ("ntt", ["ntt"]),
    ]:
        _, records, _ = parse(["--format", forced, str(path)], capsys)
        assert [r["format"] for r in records] == expected, forced
    _, records, _ = parse(["--format", "etsi", str(path)], capsys)
    assert [r["format"] for r in records] == ["etsi", "etsi"]


def test_stdin_and_dash(capsys: pytest.CaptureFixture[str]) -> None:
    data = (DATA / "modem_formatted.txt").read_bytes()
    for args in ([], ["-"]):
        out = cli(args, stdin=data)
        assert out.returncode == 0 and out.stderr == b""
        [record] = [json.loads(line) for line in out.stdout.decode().splitlines()]
        assert record["number"] == "0471230000"


def test_nothing_decodes_exits_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "noise.bin"
    path.write_bytes(os.urandom(5000).replace(b"=", b"") + b"\r\nOK\r\nRING\r\n")
    code, records, err = parse([str(path)], capsys)
    assert code == 0 and err == ""
    assert all(r["checksum_ok"] is not True for r in records)
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    assert parse([str(empty)], capsys)[:2] == (0, [])


def test_unreadable_file_is_one_line_error(tmp_path: Path) -> None:
    for path, words in [(tmp_path / "missing.txt", "No such file"), (tmp_path, "is a directory")]:
        out = cli([str(path)])
        assert out.returncode == 2
        err = out.stderr.decode().strip().splitlines()
        assert len(err) == 1 and err[0].startswith("callerid parse: cannot read") and words in err[0]
        assert out.stdout == b""
    if os.geteuid() != 0:
        locked = tmp_path / "locked.txt"
        locked.write_text("NMBR = 1\n")
        locked.chmod(0)
        out = cli([str(locked)])
        assert out.returncode == 2 and b"Permission denied" in out.stderr


def test_bad_format_choice_is_one_line_error() -> None:
    out = cli(["--format", "morse"])
    assert out.returncode == 2 and len(out.stderr.decode().strip().splitlines()) == 1


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "1e300"])
def test_unusable_quiet_seconds_is_one_line_error(value: str) -> None:
    """inf or 1e300 used to reach select() and end in an OverflowError traceback, losing the record."""
    out = cli(["--quiet-seconds", value], b"NMBR = 0335814321\r\n")
    err = out.stderr.decode().strip().splitlines()
    assert out.returncode == 2
    assert len(err) == 1 and err[0].startswith("callerid parse: --quiet-seconds must be"), err


def test_hostile_name_is_escaped_in_the_json() -> None:
    """Bidi overrides and line separators in a caller's name are JSON escapes, not raw characters."""
    name = "\u202eEVIL\u2028x\u200b"
    out = cli([], f"NMBR = 0335814321\r\nNAME = {name}\r\nRING\r\n".encode())
    assert out.returncode == 0
    text = out.stdout.decode()
    assert "\\u202e" in text and "\\u2028" in text and "\\u200b" in text
    assert not any(ch in text for ch in "\u202e\u2028\u200b")
    assert json.loads(text)["name"] == name


def test_live_input_completes_a_nameless_record_after_the_quiet_time() -> None:
    """A pipe that stays open (a live modem): the record prints after the quiet time, not at EOF."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "callerid", "parse", "--quiet-seconds", "0.3"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        started = time.monotonic()
        proc.stdin.write(b"RING\r\nNMBR = 01632960001\r\n")
        proc.stdin.flush()
        line = proc.stdout.readline()  # blocks until the record is printed
        waited = time.monotonic() - started
        assert json.loads(line)["number"] == "01632960001"
        assert waited < 10
        assert proc.poll() is None  # still running: it was the quiet time, not EOF
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)
    assert proc.returncode == 0
