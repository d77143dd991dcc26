"""Known Japanese police numbers, and the rules that spot calls pretending to be the police.

Fraudsters display genuine police numbers (Shinjuku station 03-3346-0110, the Tokyo police
HQ 03-3581-4321) and lookalikes: foreign numbers ending in 0110, Japanese police numbers
dressed in international form, numbers one digit off a real one (fraud-jp.md). The rules:

| rule | verdict |
| --- | --- |
| a known police number, shown as a domestic call | police-number (may be spoofed) |
| a valid domestic Japanese number ending in 0110 (the station pattern) | police-number |
| a domestic number in a sourced pattern (police_patterns_jp.csv: Osaka's -1234, -9110) | police-number |
| a Japanese police number (known or 0110) shown in international form | police-lookalike |
| a foreign, international-form or malformed number ending in 0110 or 110 | police-lookalike |
| a foreign, international-form or malformed number carrying a police number's digits | police-lookalike |
| one digit off a known police number (substitution, insertion, deletion, swap) | police-lookalike |

One-digit-off is exact (a single edit, never "similar"), found through a symmetric-deletion
index so it costs a dozen dictionary look-ups however many stations a family adds, and it
is not applied to a domestic number in the 0110 pattern: neighbouring stations share
exchange codes, so such a number may be a genuine station (police-number, never blocked).

`load_directory()` reads the packaged CSV and an optional family CSV (file I/O, once, at
start-up); everything else here is pure.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Mapping
from dataclasses import replace
from importlib import resources
from pathlib import Path

from callerid.model import ReasonCode
from callerid.screen.areas import PREFECTURES_EN
from callerid.screen.findings import Finding, finding
from callerid.screen.messages import type_text
from callerid.screen.numbers import Number, normalise, preload_metadata, region_facts
from callerid.screen.police_directory import (  # noqa: F401 - the directory's names, re-exported
    COLUMNS,
    KINDS,
    MAX_CSV_BYTES,
    NATIONWIDE,
    PACKAGED_CSV,
    PATTERN_COLUMNS,
    PATTERNS_CSV,
    REQUIRED_COLUMNS,
    Edit,
    PoliceDataError,
    PoliceDirectory,
    PoliceEntry,
    PolicePattern,
    classify_edit,
)

# ---------------------------------------------------------------------------------------------
# Loading (file I/O: start-up only)


def parse_csv(text: str, source: str = "police CSV") -> list[PoliceEntry]:
    """Entries from CSV text with the police_jp.csv header; PoliceDataError names the bad line."""
    text = text.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise PoliceDataError(
            f"{source}: the file is empty (expected the header {','.join(COLUMNS)})"
        ) from None
    except csv.Error as exc:
        raise PoliceDataError(f"{source} line 1: {exc}") from None
    names = [h.strip().lower() for h in header]
    unknown = [n for n in names if n not in COLUMNS]
    if unknown:
        raise PoliceDataError(
            f"{source} line 1: unknown column {unknown[0]!r} (the columns are {','.join(COLUMNS)})"
        )
    missing = [n for n in REQUIRED_COLUMNS if n not in names]
    if missing:
        raise PoliceDataError(f"{source} line 1: the header lacks the column {missing[0]!r}")
    entries: list[PoliceEntry] = []
    seen: dict[str, int] = {}
    try:
        for row in reader:
            line = reader.line_num
            if not row or not any(cell.strip() for cell in row):
                continue
            if len(row) != len(names):
                raise PoliceDataError(f"{source} line {line}: {len(row)} fields, the header has {len(names)}")
            values = {name: cell.strip() for name, cell in zip(names, row, strict=True)}
            entry = _entry(values, source, line)
            if entry.number in seen:
                raise PoliceDataError(
                    f"{source} line {line}: {entry.display} is already on line {seen[entry.number]}"
                )
            seen[entry.number] = line
            entries.append(entry)
    except csv.Error as exc:
        raise PoliceDataError(f"{source} line {reader.line_num}: {exc}") from None
    return entries


def _entry(values: dict[str, str], source: str, line: int) -> PoliceEntry:
    try:
        return make_entry(values)
    except PoliceDataError as exc:
        raise PoliceDataError(f"{source} line {line}: {exc}") from None


def make_entry(values: Mapping[str, str]) -> PoliceEntry:
    """One police line from its columns (the CSV's, or a form's); PoliceDataError says what is wrong."""
    kind = values.get("kind", "").lower()
    if kind not in KINDS:
        raise PoliceDataError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    name_ja = " ".join(values.get("name_ja", "").split())[:60]
    if not name_ja:
        raise PoliceDataError("name_ja is empty (name the station, e.g. 新宿警察署)")
    raw = values.get("number", "")
    number = normalise(raw, "JP")
    if not (number.valid and number.country == "JP" and number.national_digits):
        raise PoliceDataError(
            f"number {raw[:30]!r} is not a valid Japanese phone number "
            "(write it as dialled in Japan, e.g. 03-3346-0110)"
        )
    return PoliceEntry(
        number=number.national_digits,
        kind=kind,
        name_ja=name_ja,
        prefecture_ja=values.get("prefecture_ja", ""),
        prefecture_en=values.get("prefecture_en", ""),
        source=values.get("source", ""),
        confidence=values.get("confidence", "") or "user",
        display=number.national or number.national_digits,
        date_seen=values.get("date_seen", ""),
    )


def _read_text(path: Path) -> str:
    size = path.stat().st_size
    if size > MAX_CSV_BYTES:
        raise PoliceDataError(f"{path}: {size} bytes is too big for a police CSV")
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PoliceDataError(f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None


@functools.cache
def packaged_entries() -> tuple[PoliceEntry, ...]:
    """The rows shipped in callerid/data/police_jp.csv (read once)."""
    text = resources.files("callerid").joinpath(PACKAGED_CSV).read_text(encoding="utf-8-sig")
    return tuple(parse_csv(text, "callerid/" + PACKAGED_CSV))


def parse_patterns(text: str, source: str = "police patterns CSV") -> list[PolicePattern]:
    """Patterns from CSV text with PATTERN_COLUMNS; PoliceDataError names the bad line."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if tuple(reader.fieldnames or ()) != PATTERN_COLUMNS:
        raise PoliceDataError(f"{source} line 1: the header must be {','.join(PATTERN_COLUMNS)}")
    patterns: list[PolicePattern] = []
    for row in reader:
        values = {k: (v or "").strip() for k, v in row.items()}
        ending, prefecture = values["ending"], values["prefecture_en"]
        if not (ending.isdigit() and 3 <= len(ending) <= 5):
            raise PoliceDataError(f"{source} line {reader.line_num}: ending {ending!r} is not 3-5 digits")
        if prefecture != NATIONWIDE and prefecture not in PREFECTURES_EN:
            raise PoliceDataError(f"{source} line {reader.line_num}: unknown prefecture {prefecture!r}")
        if values["kind"] not in KINDS or not values["source"]:
            raise PoliceDataError(f"{source} line {reader.line_num}: needs a known kind and a source")
        patterns.append(PolicePattern(prefecture, ending, values["kind"], values["like_en"],
                                      values["like_ja"], values["source"]))
    return patterns


@functools.cache
def packaged_patterns() -> tuple[PolicePattern, ...]:
    """The patterns shipped in callerid/data/police_patterns_jp.csv (read once)."""
    text = resources.files("callerid").joinpath(PATTERNS_CSV).read_text(encoding="utf-8")
    return tuple(parse_patterns(text, "callerid/" + PATTERNS_CSV))


@functools.cache
def default_directory() -> PoliceDirectory:
    """The packaged directory, built once per process (with the number metadata preloaded)."""
    preload_metadata()
    return PoliceDirectory.build(packaged_entries(), patterns=packaged_patterns())


def load_directory(extra_csv: str | Path | None = None) -> PoliceDirectory:
    """The packaged directory plus a family's own rows (extra rows replace packaged ones by number).

    Called once at start-up; it also preloads phonenumbers' metadata (`preload_metadata`) so
    that no call pays for loading a country's numbering plan.
    """
    preload_metadata()
    if extra_csv is None or str(extra_csv) == "":
        return default_directory()
    path = Path(extra_csv).expanduser()
    if not path.is_file():
        raise PoliceDataError(f"{path}: no such file (police.extra_csv)")
    extra = parse_csv(_read_text(path), str(path))
    return PoliceDirectory.build((*packaged_entries(), *extra), patterns=packaged_patterns())


# ---------------------------------------------------------------------------------------------
# The rules (pure)

_STATION_ENDING = "0110"


def _ending(digits: str) -> tuple[str, str, str, int] | None:
    """(ending shown, English likeness, Japanese likeness, risk) for digits ending in 110."""
    if digits.endswith(_STATION_ENDING):
        return _STATION_ENDING, "a police station number", "警察署の番号", 95
    if digits.endswith("9110"):
        return "9110", "the police consultation line #9110", "警察相談専用電話 #9110", 92
    if digits.endswith("110"):
        return "110", "the police number 110", "警察の110番", 92
    return None


def _ending_finding(number: Number, what_en: str, what_ja: str) -> Finding | None:
    ending = _ending(number.digits)
    if ending is None:
        return None
    shown, like_en, like_ja, risk = ending
    return finding(
        "police-ending",
        risk=risk,
        what_en=what_en,
        what_ja=what_ja,
        ending=shown,
        like_en=like_en,
        like_ja=like_ja,
    )


def _one_off_finding(entry: PoliceEntry, edit: Edit) -> Finding:
    return finding(
        "police-one-off",
        name_en=entry.name_en,
        name_ja=entry.name_ja,
        police=entry.display,
        edit_en=edit.text("en"),
        edit_ja=edit.text("ja"),
    )


def _type_note(number: Number) -> dict[str, str]:
    if number.number_type in ("fixed-line", "fixed-line-or-mobile"):
        return {"type_note_en": "", "type_note_ja": ""}
    kind_en = type_text(number.number_type, "en")
    article = "an" if kind_en[:1].lower() in "aeiou" else "a"  # "an IP phone number"
    return {
        "type_note_en": f" (though it is {article} {kind_en} number, not a station switchboard)",
        "type_note_ja": f"（ただし{type_text(number.number_type, 'ja')}の番号です）",
    }


def _known_finding(number: Number, entry: PoliceEntry) -> Finding:
    names = {"name_en": entry.name_en, "name_ja": entry.name_ja}
    found = finding(ReasonCode.POLICE_KNOWN, display=number.display, **names)
    named = replace(found.reason, subject_ja=entry.name_ja, subject_en=entry.name_en)
    return replace(found, reason=named)


def _pattern_finding(number: Number) -> Finding:
    return finding(ReasonCode.POLICE_PATTERN, display=number.display, **_type_note(number))


def _area_pattern_finding(number: Number, habit: PolicePattern) -> Finding:
    return finding(
        ReasonCode.POLICE_AREA_PATTERN, display=number.display, ending=habit.ending, like_en=habit.like_en,
        like_ja=habit.like_ja, **_type_note(number),
    )


def police_findings(number: Number, directory: PoliceDirectory) -> list[Finding]:
    """Every police rule that fires for `number` (empty for calls outside the directory's country)."""
    if number.absence or not number.digits or number.region != directory.country:
        return []
    national = number.national_digits
    if number.domestic and number.valid:
        entry = directory.lookup(national)
        if entry is not None:
            return [
                _known_finding(number, entry)
            ]
        if national and national.endswith(_STATION_ENDING):
            return [_pattern_finding(number)]
        habit = directory.pattern(national)
        if habit is not None:  # before one-digit-off: neighbouring stations share the habit
            return [_area_pattern_finding(number, habit)]
        near = directory.one_off(national)
        return [_one_off_finding(*near)] if near else []

    home_cc = region_facts(directory.country)[0]
    if number.international and number.valid and number.country_code == home_cc:
        # A Japanese number that came in over an international line.
        entry = directory.lookup(national)
        if entry is not None or (national or "").endswith(_STATION_ENDING):
            police = entry.display if entry else number.national
            return [finding("police-international-form", police=police, shown=number.display)]
        near = directory.one_off(national)
        if near:
            return [_one_off_finding(*near)]
        found = _ending_finding(number, "An overseas-routed Japanese", "海外経由の日本の")
        return [found] if found else []

    # Foreign numbers, and malformed numbers in any form.
    if number.valid:
        what_en, what_ja = "A foreign", "海外の"
    elif number.international:
        what_en, what_ja = "A malformed international", "不正な形式の国際"
    else:
        what_en, what_ja = "A malformed", "不正な形式の"
    findings: list[Finding] = []
    ending = _ending_finding(number, what_en, what_ja)
    if ending:
        findings.append(ending)
    carried = directory.carried(number.digits)
    if carried:
        entry, _digits = carried
        findings.append(
            finding(
                "police-digits",
                what_en=what_en,
                what_ja=what_ja,
                name_en=entry.name_en,
                name_ja=entry.name_ja,
                police=entry.display,
            )
        )
    near = directory.one_off(national) if national and not number.valid else None
    if near is None and number.idd:
        # 010 + digits looks like a domestic number on the display: compare it as shown.
        near = directory.one_off(number.digits)
    if near and (carried is None or near[0] is not carried[0]):
        findings.append(_one_off_finding(*near))
    return findings


__all__ = [
    "COLUMNS",
    "KINDS",
    "Edit",
    "PoliceDataError",
    "PoliceDirectory",
    "PoliceEntry",
    "PolicePattern",
    "classify_edit",
    "default_directory",
    "load_directory",
    "make_entry",
    "packaged_entries",
    "packaged_patterns",
    "parse_csv",
    "parse_patterns",
    "police_findings",
]
