"""The packaged police directory as data: it passes its checker, every row is screened as police,
the pattern rules are what the rows show, and the area table is what phonenumbers generates."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from callerid.cli import main
from callerid.screen.areas import PREFECTURES
from callerid.screen.engine import ScreenConfig, screen_display
from callerid.screen.lists import FamilyLists
from callerid.screen.police import packaged_entries, packaged_patterns

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "callerid" / "data"
CHECKER = ROOT / "scripts" / "check_police_csv.py"


def rows(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((DATA / name).read_text(encoding="utf-8"))))


def run_checker(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CHECKER), *args], capture_output=True, text=True, timeout=120, cwd=ROOT
    )


def test_the_checker_passes_the_packaged_directory_and_prints_its_coverage() -> None:
    result = run_checker("--markdown")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    table = [line for line in result.stdout.splitlines() if line.startswith("| ")]
    assert len(table) == 1 + 47  # the header and one line per prefecture
    summary = result.stdout.strip().splitlines()[-1]
    assert f"rows {len(rows('police_jp.csv'))}," in summary and "problems 0" in summary


def test_the_checker_rejects_a_row_in_the_wrong_prefecture(tmp_path: Path) -> None:
    """The checker can fail: 06 is Osaka, so a 'Tokyo' row with it is refused with one line."""
    bad = tmp_path / "bad.csv"
    header = "kind,prefecture_ja,prefecture_en,name_ja,number,source,date_seen,confidence"
    bad.write_text(f"{header}\nstation,東京都,Tokyo,X警察署,0669431234,https://example.org,2026-11-30,single\n",
                   encoding="utf-8")
    result = run_checker(str(bad))
    assert result.returncode == 1
    assert "the area code is in Osaka, not Tokyo" in result.stderr


def test_every_row_is_sourced_dated_and_rated() -> None:
    for row in rows("police_jp.csv"):
        assert row["source"].startswith("http"), row
        assert row["date_seen"] in ("2026-11-25", "2026-11-30"), row
        assert row["confidence"] in ("confirmed", "corroborated", "single"), row
        assert "github" not in row["source"].lower(), row  # issue 12: no list of unknown origin
        assert row["kind"] in ("hq", "consultation", "station", "other"), row


@pytest.mark.parametrize("entry", packaged_entries(), ids=lambda e: e.number)
def test_every_directory_number_gets_a_police_verdict(entry) -> None:
    verdict = screen_display(entry.display, FamilyLists.empty(), ScreenConfig())
    assert (verdict.verdict, verdict.action) == ("police-number", "warn")
    assert verdict.reasons[0].code == "police-known"
    assert entry.name_ja in verdict.reasons[0].detail_ja


def test_callerid_check_names_every_directory_number(capsys, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("CALLERID_CONFIG", raising=False)
    config = tmp_path / "config.toml"
    config.write_text(f'region = "JP"\n[store]\ndb = "{tmp_path / "calls.db"}"\n', encoding="utf-8")
    numbers = tmp_path / "numbers.txt"
    numbers.write_text("\n".join(e.display for e in packaged_entries()) + "\n", encoding="utf-8")
    code = main(["check", "--config", str(config), "--json", "--file", str(numbers)])
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0 and len(out) == len(packaged_entries())
    assert {r["verdict"] for r in out} == {"police-number"}
    assert {r["reasons"][0]["code"] for r in out} == {"police-known"}


def test_the_pattern_rules_are_what_the_rows_show() -> None:
    """Only habits every sourced row of its kind and place follows (police_patterns_jp.csv)."""
    entries = packaged_entries()
    patterns = {(p.prefecture_en, p.ending): p for p in packaged_patterns()}
    assert set(patterns) == {("Osaka", "1234"), ("*", "9110")}
    osaka = [e for e in entries if e.kind == "station" and e.prefecture_en == "Osaka"]
    assert len(osaka) >= 3 and all(e.number.endswith("1234") for e in osaka)
    consultation = [e for e in entries if e.kind == "consultation"]
    ending_9110 = [e for e in consultation if e.number.endswith("9110")]
    assert len(consultation) >= 10 and len(ending_9110) >= 0.8 * len(consultation)  # a habit, not a law
    for pattern in patterns.values():
        assert pattern.source.startswith("police_jp.csv: ")
    assert f"{len(osaka)} of {len(osaka)} sourced Osaka stations" in patterns["Osaka", "1234"].source
    source = patterns["*", "9110"].source
    assert f"{len(ending_9110)} of {len(consultation)} consultation rows" in source
    for other in (e for e in consultation if e not in ending_9110):  # the exceptions are named
        assert other.display in source, other


def test_the_station_counts_cover_every_prefecture_once() -> None:
    counts = rows("police_jp_prefectures.csv")
    assert list(counts[0]) == ["prefecture_en", "prefecture_ja", "stations_total", "source"]
    assert [(r["prefecture_en"], r["prefecture_ja"]) for r in counts] == list(PREFECTURES.items())
    for row in counts:
        assert row["source"], row
        assert row["stations_total"] == "" or 5 <= int(row["stations_total"]) <= 150, row
    found: dict[str, int] = {}
    for entry in packaged_entries():
        if entry.kind == "station":
            found[entry.prefecture_en] = found.get(entry.prefecture_en, 0) + 1
    for row in counts:  # a prefecture cannot have more stations listed than it has
        if row["stations_total"]:
            assert found.get(row["prefecture_en"], 0) <= int(row["stations_total"]), row


def test_the_area_table_is_what_the_generator_makes_from_the_installed_phonenumbers() -> None:
    generated = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_jp_areas.py")],
        capture_output=True, text=True, timeout=300, cwd=ROOT, check=True,
    ).stdout
    assert generated == (DATA / "jp_areas.csv").read_text(encoding="utf-8"), (
        "callerid/data/jp_areas.csv is stale: run scripts/gen_jp_areas.py > callerid/data/jp_areas.csv"
    )
