"""The police rules: known numbers, the 0110 pattern, disguises, and one digit off."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import pytest

from callerid.benchmarks.numbergen import REPORTED_PATTERNS, one_edit_variants, pattern_variants
from callerid.screen.engine import ScreenConfig, screen_display
from callerid.screen.lists import FamilyLists
from callerid.screen.numbers import normalise
from callerid.screen.police import (
    COLUMNS,
    PoliceDataError,
    PoliceDirectory,
    PoliceEntry,
    classify_edit,
    default_directory,
    load_directory,
    parse_csv,
    police_findings,
)

EMPTY = FamilyLists.empty()
CONFIG = ScreenConfig()
PACKAGED = Path(__file__).resolve().parents[1] / "callerid" / "data" / "police_jp.csv"


def check(shown: str, config: ScreenConfig = CONFIG):
    return screen_display(shown, EMPTY, config)


def codes(verdict) -> list[str]:
    return [r.code for r in verdict.reasons]


# --------------------------------------------------------------------------- the data


def test_packaged_directory_keeps_every_row_and_its_source() -> None:
    rows = list(csv.DictReader(io.StringIO(PACKAGED.read_text(encoding="utf-8"))))
    assert list(rows[0]) == list(COLUMNS)
    directory = default_directory()
    assert len(directory) == len(rows) == 170
    assert all(e.source for e in directory.entries)
    tokyo = directory.lookup("0335814321")
    assert tokyo is not None and tokyo.name_ja == "警視庁" and tokyo.confidence == "corroborated"
    assert tokyo.display == "03-3581-4321" and "Tokyo" in tokyo.name_en
    assert directory.lookup("0337050110").name_ja == "玉川警察署"
    assert directory.lookup("0333460110") is None  # Shinjuku: only ever seen in GitHub files, dropped


# --------------------------------------------------------------------------- every reported number


@pytest.mark.parametrize("pattern", REPORTED_PATTERNS)
def test_every_number_quoted_in_fraud_jp_is_police(pattern: str) -> None:
    rng = random.Random(pattern)
    for shown in pattern_variants(pattern, rng, 50):
        verdict = check(shown)
        assert verdict.verdict.startswith("police-"), (shown, verdict.verdict, codes(verdict))
        assert verdict.flagged


def test_reported_foreign_patterns_are_lookalikes_and_blocked() -> None:
    for shown in (
        "+2952570110",
        "+1800592220110",
        "+8014190110",
        "+8085930110",
        "+1 (875) 123-0110",
        "+670 123 0110",
        "+804 5678 0110",
        "03-3581-4311",
    ):
        verdict = check(shown)
        assert (verdict.verdict, verdict.action) == ("police-lookalike", "block"), shown


# --------------------------------------------------------------------------- each rule


def test_known_number_is_police_number_with_call_back_advice() -> None:
    verdict = check("03-3705-0110")
    assert (verdict.verdict, verdict.action, verdict.risk) == ("police-number", "warn", 80)
    assert codes(verdict) == ["police-known"]
    assert "玉川警察署" in verdict.reasons[0].detail and "#9110" in verdict.reasons[0].detail
    assert "#9110" in verdict.reasons[0].detail_ja


def test_every_known_number_in_every_domestic_shape() -> None:
    for entry in default_directory().entries:
        for shown in (entry.number, entry.display, entry.display.replace("-", " ")):
            assert check(shown).verdict == "police-number", shown


def test_station_pattern_0110_is_police_number_not_blocked() -> None:
    verdict = check("03-5555-0110")
    assert (verdict.verdict, verdict.action) == ("police-number", "warn")
    assert codes(verdict) == ["police-pattern"]
    mobile = check("090-1234-0110")  # still warned, and the reason says what kind of number it is
    assert mobile.verdict == "police-number" and "mobile" in mobile.reasons[0].detail


def test_pattern_note_names_the_kind_of_number_in_plain_english() -> None:
    assert "though it is an IP phone number" in check("050-1234-0110").reasons[0].detail
    assert "though it is a toll-free number" in check("0120-35-0110").reasons[0].detail


@pytest.mark.parametrize(
    "shown",
    ["+81 3 3581 4321", "+81 03 3581 4321", "010 81 3 3346 0110", "+81 82 228 0110", "+81 3 5555 0110"],
)
def test_japanese_police_number_in_international_form_is_a_lookalike(shown: str) -> None:
    verdict = check(shown)
    assert verdict.verdict == "police-lookalike"
    assert codes(verdict)[0] == "police-international-form"
    assert "japanese-number-from-abroad" in codes(verdict)


@pytest.mark.parametrize(
    "shown",
    [
        "+1 212 555 0110",  # a valid foreign number ending in 0110
        "+44 20 7946 0110",
        "010 1 212 555 0110",  # 010-prefixed
        "+1 212 555 9110",
        "+1 212 555 1110",  # ...or just 110
        "0110",  # malformed
        "110",
        "#9110",
        "03-3581-0110x",
    ],
)
def test_foreign_010_or_malformed_ending_in_110_is_a_lookalike(shown: str) -> None:
    verdict = check(shown)
    assert verdict.verdict == "police-lookalike", codes(verdict)
    assert "police-ending" in codes(verdict)


@pytest.mark.parametrize(
    "shown",
    [
        "+1 800 0335814321",
        "+1 800 335814321",
        "+44 335814321 7",
        "010 1 0337050110",
        "0335814321abc",
        "335814321",
        "99 0992060110",
    ],
)
def test_police_digits_inside_foreign_or_malformed_numbers(shown: str) -> None:
    verdict = check(shown)
    assert verdict.verdict == "police-lookalike"
    assert "police-digits" in codes(verdict)


def test_one_digit_off_each_kind_of_edit() -> None:
    cases = {
        "03-3581-4311": ("substitution", "digit 9 is 1 instead of 2"),
        "03-3581-43210": None,  # insertion at the end is also a malformed carrier of the real digits
        "03-3581-4231": ("transposition", "digits 8 and 9 are swapped"),
        "03-3581-432": ("deletion", "digit 10 (1) is missing"),
        "03-3851-4321": ("transposition", "digits 4 and 5 are swapped"),
        "0107234211": ("substitution", "digit 3 is 0 instead of 7"),  # looks like 010 + a foreign number
        "06-6465-1235": ("substitution", "digit 10 is 5 instead of 4"),  # Osaka's 福島警察署
        "03-3581-44321": ("insertion", "an extra 4 at digit 8"),
        "03-33581-4321": None,  # the extra digit leaves the real number's digits intact: police-digits
    }
    for shown, expected in cases.items():
        verdict = check(shown)
        assert verdict.verdict == "police-lookalike", shown
        if expected:
            reason = next(r for r in verdict.reasons if r.code == "police-one-off")
            assert expected[1] in reason.detail, reason.detail
            assert "桁" in reason.detail_ja


def test_classify_edit_is_exact() -> None:
    want = "0335814321"
    assert classify_edit("0335814311", want).kind == "substitution"
    assert classify_edit("03358143219", want).kind == "insertion"
    assert classify_edit("033581432", want).kind == "deletion"
    assert classify_edit("0335814312", want).kind == "transposition"
    assert classify_edit("0335814321", want) is None  # identical is not an edit
    assert classify_edit("0335814300", want) is None  # two substitutions
    assert classify_edit("0335812341", want) is None  # a swap that is not adjacent
    assert classify_edit("03358143", want) is None


def domestic(digits: str) -> bool:
    """A valid number dialled within Japan (010... is the international prefix: a foreign number)."""
    number = normalise(digits)
    return number.valid and number.domestic


def test_every_one_edit_variant_of_every_known_number_is_flagged() -> None:
    """Exhaustive: all ~220 variants of each directory number, generated independently."""
    directory = default_directory()
    known = {e.number for e in directory.entries}
    for entry in directory.entries:
        for variant in one_edit_variants(entry.number):
            verdict = check(variant).verdict
            if variant in known:
                assert verdict == "police-number"
            elif variant.endswith("0110") and domestic(variant):
                # Another station could own it: police-number (warn), never a blocked lookalike.
                assert verdict == "police-number", variant
            elif directory.pattern(variant) is not None and domestic(variant):
                # In a sourced pattern (Osaka's -1234, -9110): likewise warned, never blocked.
                assert verdict == "police-number", variant
            else:
                assert verdict == "police-lookalike", (variant, entry.number)


def test_two_digits_off_is_not_a_lookalike() -> None:
    for shown in ("03-3581-4300", "03-3581-1234", "03-3346-0123", "092-123-4567"):
        assert check(shown).verdict == "ordinary", shown


def test_ordinary_numbers_that_merely_contain_110_stay_ordinary() -> None:
    for shown in (
        "03-1234-5110",
        "018-864-8110",
        "011-261-2110",
        "0120-264-110",
        "090-1100-1100",
        "050-5110-2345",
    ):
        assert check(shown).verdict == "ordinary", shown
    # ...but -9110 is the consultation lines' pattern (police_patterns_jp.csv), e.g. Akita's line.
    assert check("018-864-9110").verdict == "police-number"


def test_police_rules_only_apply_where_the_directory_applies() -> None:
    us = ScreenConfig(region="US")
    assert screen_display("212 555 0110", EMPTY, us).verdict == "ordinary"
    assert screen_display("+81 3 3581 4321", EMPTY, us).verdict == "international"
    assert police_findings(normalise("212 555 0110", "US"), default_directory()) == []


# --------------------------------------------------------------------------- extra rows from a CSV

HEADER = "kind,prefecture_ja,prefecture_en,name_ja,number,source,confidence"  # the wave-1 header still reads


def write(tmp_path: Path, text: str, name: str = "extra.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_extra_csv_adds_a_station(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"{HEADER}\nstation,東京都,Tokyo,四谷警察署,03-3357-0110,family,\n"
        "station,愛知県,Aichi,テスト警察署,052-951-1611,hobbyist,single\n",
    )
    directory = load_directory(path)
    assert len(directory) == len(default_directory()) + 2
    entry = directory.lookup("0529511611")
    assert entry is not None and entry.confidence == "single"
    assert directory.lookup("0333570110").confidence == "user"  # empty confidence: the family's own
    config = ScreenConfig(police=directory)
    assert screen_display("052-951-1611", EMPTY, config).verdict == "police-number"
    assert screen_display("052-951-1612", EMPTY, config).verdict == "police-lookalike"
    assert screen_display("052-951-1611", EMPTY, CONFIG).verdict == "ordinary"  # packaged one unchanged


def test_extra_csv_columns_in_any_order_with_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeffnumber,name_ja,kind\n0776-22-2880,福井県警察本部（修正）,hq\n")
    directory = load_directory(path)
    assert len(directory) == len(default_directory())  # same number: the family row replaces the packaged one
    assert directory.lookup("0776222880").name_ja == "福井県警察本部（修正）"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"{HEADER}\nstation,東京都,Tokyo,X署,03-1234,src,single\n", "line 2: number .03-1234. is not"),
        (f"{HEADER}\nstation,東京都,Tokyo,X署,+1 212 555 0110,src,single\n", "line 2: number"),
        (
            f"{HEADER}\nstation,東京都,Tokyo,X署,0333570110,s,c\nbogus,東京都,Tokyo,Y署,0333570111,s,c\n",
            "line 3: kind 'bogus'",
        ),
        (f"{HEADER}\nstation,東京都,Tokyo,,0333570110,src,single\n", "line 2: name_ja is empty"),
        (f"{HEADER}\nstation,東京都,Tokyo,X署,0333570110\n", "line 2: 5 fields, the header has 7"),
        (
            f"{HEADER}\n\nstation,a,b,X署,0333570110,s,c\nstation,a,b,Y署,03-3357-0110,s,c\n",
            "line 4: 03-3357-0110 is already on line 3",
        ),
        ("kind,name_ja,numbr\n", "line 1: unknown column 'numbr'"),
        ("kind,name_ja\n", "line 1: the header lacks the column 'number'"),
        ("", "the file is empty"),
    ],
)
def test_bad_extra_rows_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(PoliceDataError, match=message.replace("+", r"\+").replace("(", r"\(")) as exc:
        load_directory(path)
    assert str(path) in str(exc.value)


def test_extra_csv_missing_or_not_utf8(tmp_path: Path) -> None:
    with pytest.raises(PoliceDataError, match="no such file"):
        load_directory(tmp_path / "nope.csv")
    path = tmp_path / "sjis.csv"
    path.write_bytes(f"{HEADER}\nstation,東京都,Tokyo,四谷警察署,0333570110,s,c\n".encode("shift_jis"))
    with pytest.raises(PoliceDataError, match="not UTF-8"):
        load_directory(path)


def test_police_data_error_is_a_value_error_for_config() -> None:
    assert issubclass(PoliceDataError, ValueError)  # config.screen_config turns it into a ConfigError


def test_directory_scales_and_stays_exact() -> None:
    """A hobbyist's full station list: thousands of rows still give exact one-off answers."""
    rng = random.Random(7)
    numbers = {f"0{rng.randint(11, 99)}{rng.randint(1000000, 9999999)}"[:10] for _ in range(3000)}
    entries = [
        PoliceEntry(number=n, kind="station", name_ja=f"署{i}", display=n) for i, n in enumerate(numbers)
    ]
    directory = PoliceDirectory.build(entries)
    sample = sorted(numbers)[:50]
    for number in sample:
        for variant in list(one_edit_variants(number))[:40]:
            found = directory.one_off(variant)
            if variant in numbers:
                assert found is None
            else:
                assert found is not None and classify_edit(variant, found[0].number) is not None


def test_parse_csv_reads_the_packaged_file_text() -> None:
    entries = parse_csv(PACKAGED.read_text(encoding="utf-8"), "packaged")
    assert {e.kind for e in entries} == {"hq", "consultation", "station", "other"}
    assert [e.number for e in entries] == [e.number for e in default_directory().entries]
