"""`callerid check`: arguments, files, stdin, JSON and table output, config, lists, errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from callerid.cli import main
from callerid.commands.check import render_table
from callerid.model import VERDICT_CODES
from callerid.screen.engine import ScreenConfig, screen_display
from callerid.screen.lists import FamilyLists

KEYS = ["input", "number", "e164", "display", "country", "verdict", "risk", "action", "reasons"]


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A configuration of our own, so no file on this machine leaks into the test."""
    monkeypatch.delenv("CALLERID_CONFIG", raising=False)
    path = tmp_path / "config.toml"
    path.write_text(
        f'region = "JP"\nlanguage = "en"\n[store]\ndb = "{tmp_path / "calls.db"}"\n', encoding="utf-8"
    )
    return path


def run_check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["check", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def test_json_one_object_per_input_in_order(capsys, config: Path) -> None:
    inputs = ["03-3705-0110", "+8014190110", "P", "03-1234-5678", "+1 212 555 1234", "O", "C", "abc", ""]
    code, out, _ = run_check(capsys, "--config", str(config), "--json", *inputs)
    assert code == 0
    rows = json_lines(out)
    assert [r["input"] for r in rows] == inputs
    assert all(list(r) == KEYS for r in rows)
    assert [r["verdict"] for r in rows] == [
        "police-number", "police-lookalike", "withheld", "ordinary", "international",
        "unavailable", "payphone", "invalid", "unavailable",
    ]  # fmt: skip
    assert rows[0]["e164"] == "+81337050110" and rows[0]["reasons"][0]["code"] == "police-known"
    assert rows[1]["action"] == "block" and rows[2]["action"] == "warn"


def test_json_matches_the_engine(capsys, config: Path) -> None:
    code, out, _ = run_check(capsys, "--config", str(config), "--json", "03-3581-4311")
    expected = screen_display("03-3581-4311", FamilyLists.empty(), ScreenConfig()).to_json()
    assert code == 0 and json_lines(out) == [expected]


def test_file_and_arguments_in_order(capsys, config: Path, tmp_path: Path) -> None:
    numbers = tmp_path / "numbers.txt"
    numbers.write_text("\ufeff03-3581-4321\r\n\n  ０３－１２３４－５６７８  \n#9110\nS\n", encoding="utf-8")
    code, out, _ = run_check(capsys, "--config", str(config), "--json", "P", "--file", str(numbers))
    rows = json_lines(out)
    assert code == 0
    assert [r["input"] for r in rows] == ["P", "03-3581-4321", "０３－１２３４－５６７８", "#9110", "S"]
    assert [r["verdict"] for r in rows] == [
        "withheld",
        "police-number",
        "ordinary",
        "police-lookalike",
        "unavailable",
    ]


def test_stdin_with_dash(capsys, config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"+81 3 3581 4321\n050-1234-5678\n")))
    code, out, _ = run_check(capsys, "--config", str(config), "--json", "--file", "-")
    assert code == 0
    assert [r["verdict"] for r in json_lines(out)] == ["police-lookalike", "ordinary"]


def test_table_is_aligned_and_readable(capsys, config: Path) -> None:
    code, out, _ = run_check(
        capsys, "--config", str(config), "03-3705-0110", "０３－１２３４－５６７８", "P", "1" * 200
    )
    lines = out.splitlines()
    assert code == 0 and lines[0].split()[:4] == ["INPUT", "VERDICT", "RISK", "ACTION"]
    assert len(lines) == 5
    # The verdict column starts at the same terminal column on every line (full-width counts double).
    from callerid.commands.check import _width

    starts = set()
    for line, verdict in zip(
        lines, ["VERDICT", "police-number", "ordinary", "withheld", "invalid"], strict=True
    ):
        starts.add(_width(line[: line.index(verdict)]))
    assert len(starts) == 1
    assert "…" in lines[4]  # the 200-digit input is cut in the table
    assert "Tamagawa" not in out and "玉川警察署" in out


def test_table_language(capsys, config: Path) -> None:
    _, out_en, _ = run_check(capsys, "--config", str(config), "P")
    _, out_ja, _ = run_check(capsys, "--config", str(config), "--lang", "ja", "P")
    assert "withheld their number" in out_en and "非通知" in out_ja


def test_table_strips_terminal_control_characters() -> None:
    verdict = screen_display("\x1b[2J03-1234-5678\x07", FamilyLists.empty(), ScreenConfig())
    table = render_table([verdict])
    assert "\x1b" not in table and "\x07" not in table


def test_json_escapes_bidi_overrides_and_line_separators(capsys, config: Path) -> None:
    """A hostile input must not reorder or break the terminal line through --json either."""
    text = "\u202e0110\u2028" + "03-1234-5678\u200b"
    code, out, _ = run_check(capsys, "--config", str(config), "--json", text)
    assert code == 0 and len(out.splitlines()) == 1
    assert not any(ch in out for ch in "\u202e\u2028\u200b")
    assert "\\u202e" in out and json_lines(out)[0]["input"] == text


def test_family_lists_come_from_the_database(capsys, config: Path, tmp_path: Path) -> None:
    store_module = pytest.importorskip("callerid.store")
    store = store_module.Store(tmp_path / "calls.db")
    store.add_list_entry("allow", "03-1234-5678", "our daughter")
    store.add_list_entry("allow", "03-3346-0110", "our local station")  # an old entry covering police
    store.add_list_entry("block", "0120-*", "sales")
    store.close()
    code, out, _ = run_check(
        capsys, "--config", str(config), "--json", "03-1234-5678", "0120-123-456", "03-3346-0110"
    )
    assert code == 0
    assert [r["verdict"] for r in json_lines(out)] == ["allowlisted", "blocklisted", "police-number"]
    _, out, _ = run_check(capsys, "--config", str(config), "--json", "--no-lists", "0120-123-456")
    assert json_lines(out)[0]["verdict"] == "ordinary"


def test_without_a_database_the_lists_are_empty_and_nothing_is_created(
    capsys, config: Path, tmp_path: Path
) -> None:
    code, out, _ = run_check(capsys, "--config", str(config), "--json", "0120-123-456")
    assert code == 0 and json_lines(out)[0]["verdict"] == "ordinary"
    assert not (tmp_path / "calls.db").exists()


def test_extra_police_csv_from_config(capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CALLERID_CONFIG", raising=False)
    extra = tmp_path / "stations.csv"
    extra.write_text(
        "kind,name_ja,number\nstation,四谷警察署,03-3357-0110\nstation,テスト署,052-951-1611\n", "utf-8"
    )
    config = tmp_path / "config.toml"
    config.write_text(f'[store]\ndb = "{tmp_path / "x.db"}"\n[police]\nextra_csv = "stations.csv"\n', "utf-8")
    _, out, _ = run_check(capsys, "--config", str(config), "--json", "052-951-1611", "052-951-1612")
    assert [r["verdict"] for r in json_lines(out)] == ["police-number", "police-lookalike"]


def test_bad_extra_police_csv_is_one_clear_line(
    capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CALLERID_CONFIG", raising=False)
    (tmp_path / "stations.csv").write_text("kind,name_ja,number\nstation,X署,03-12\n", "utf-8")
    config = tmp_path / "config.toml"
    config.write_text('[police]\nextra_csv = "stations.csv"\n', "utf-8")
    code, out, err = run_check(capsys, "--config", str(config), "0312345678")
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "line 2" in err and "stations.csv" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "give at least one NUMBER"),
        (["--file", "/no/such/file.txt"], "no such file"),
    ],
)
def test_user_errors_are_one_line(capsys, config: Path, argv: list[str], message: str) -> None:
    code, _, err = run_check(capsys, "--config", str(config), *argv)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_hostile_inputs_never_raise(capsys, config: Path, tmp_path: Path) -> None:
    hostile = tmp_path / "hostile.txt"
    hostile.write_bytes(
        b"\xff\xfe\x00garbage\n" + b"9" * 5000 + b"\n\x1b[31m110\n+\n+++\n" + "０１１０\n".encode()
    )
    code, out, _ = run_check(capsys, "--config", str(config), "--json", "--file", str(hostile), "", "ｐ")
    rows = json_lines(out)
    assert code == 0 and len(rows) == 8
    assert all(r["verdict"] in VERDICT_CODES for r in rows)
    assert [r["verdict"] for r in rows[:2]] == ["unavailable", "withheld"]  # nothing shown; full-width p
    assert rows[-1]["verdict"] == "police-lookalike"  # full-width 0110


def test_thousands_of_inputs_in_one_call(capsys, config: Path, tmp_path: Path) -> None:
    import random

    from callerid.benchmarks.numbergen import random_ordinary_jp

    numbers = random_ordinary_jp(random.Random(5), 3000)
    path = tmp_path / "many.txt"
    path.write_text("\n".join(numbers) + "\n", encoding="utf-8")
    started = time.perf_counter()
    code, out, _ = run_check(capsys, "--config", str(config), "--json", "--file", str(path))
    elapsed = time.perf_counter() - started
    rows = json_lines(out)
    assert code == 0 and [r["input"] for r in rows] == numbers
    assert elapsed < 20  # generous for a loaded 2-core machine; typically well under a second


def test_installed_command_runs(config: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "callerid", "check", "--config", str(config), "--json", "+1 (875) 555-0110"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["verdict"] == "police-lookalike"
