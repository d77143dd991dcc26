#!/usr/bin/env python3
"""Check the police directory and print its coverage per prefecture (issue 12).

Why: the directory is only worth what its sources are. Every row must be a valid Japanese number
whose area code belongs to the row's prefecture (phonenumbers' geocoder names the area, as
corrected in callerid/data/jp_areas.csv), appear
once, and carry the page it was read from and the day it was seen. The coverage table (headquarters,
consultation line, stations found out of the prefecture's count) goes into docs/screening.md.

Usage: .venv/bin/python scripts/check_police_csv.py [police.csv] [--markdown]
Exit status 1 when any row fails a check (each failure is one line on stderr).
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter, defaultdict
from pathlib import Path

import phonenumbers
from phonenumbers import geocoder

from callerid.screen.areas import PREFECTURES, prefecture_of

ROOT = Path(__file__).resolve().parent.parent
DIRECTORY = ROOT / "callerid" / "data" / "police_jp.csv"
COUNTS = ROOT / "callerid" / "data" / "police_jp_prefectures.csv"


def geocoded_prefecture(number: phonenumbers.PhoneNumber, digits: str) -> str | None:
    """Our area table's prefecture (the geocoder's, corrected: scripts/gen_jp_areas.py), else the
    geocoder's own for an area the table does not know."""
    known = prefecture_of(digits)
    if known is not None:
        return known
    tail = geocoder.description_for_number(number, "en").rsplit(", ", 1)[-1]
    return tail if tail in PREFECTURES else None


def check_rows(rows: list[dict[str, str]]) -> list[str]:
    problems: list[str] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(rows, start=2):
        digits = row.get("number", "")
        where = f"line {line} ({row.get('name_ja', '?')} {digits})"
        try:
            parsed = phonenumbers.parse(digits, "JP")
        except phonenumbers.NumberParseException as exc:
            problems.append(f"{where}: not a phone number ({exc})")
            continue
        if not phonenumbers.is_valid_number(parsed):
            problems.append(f"{where}: not a valid Japanese number")
        if digits in seen:
            problems.append(f"{where}: duplicate of line {seen[digits]}")
        seen.setdefault(digits, line)
        if not row.get("source", "").strip().startswith("http"):
            problems.append(f"{where}: no source URL")
        if not row.get("date_seen", "").strip():
            problems.append(f"{where}: no date_seen")
        if row.get("prefecture_en") not in PREFECTURES:
            problems.append(f"{where}: unknown prefecture {row.get('prefecture_en')!r}")
            continue
        area = geocoded_prefecture(parsed, digits)
        if area is not None and area != row["prefecture_en"]:
            problems.append(f"{where}: the area code is in {area}, not {row['prefecture_en']}")
    return problems


def coverage(rows: list[dict[str, str]], counts: dict[str, int]) -> list[tuple[str, str, str, str, str]]:
    kinds: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        kinds[row.get("prefecture_en", "")][row.get("kind", "")] += 1
    table = []
    for english, japanese in PREFECTURES.items():
        found = kinds[english]
        total = counts.get(english)
        table.append((
            f"{japanese} ({english})",
            "yes" if found["hq"] else "no",
            "yes" if found["consultation"] else "no",
            str(found["station"]),
            str(total) if total else "?",
        ))
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", nargs="?", type=Path, default=DIRECTORY)
    parser.add_argument("--markdown", action="store_true", help="print the coverage as a Markdown table")
    args = parser.parse_args(argv)
    rows = list(csv.DictReader(args.csv.read_text(encoding="utf-8-sig").splitlines()))
    counts = {}
    if COUNTS.exists():
        counts = {r["prefecture_en"]: int(r["stations_total"])
                  for r in csv.DictReader(COUNTS.read_text(encoding="utf-8").splitlines())
                  if r.get("stations_total", "").isdigit()}
    problems = check_rows(rows)
    for problem in problems:
        print(f"{args.csv.name}: {problem}", file=sys.stderr)
    table = coverage(rows, counts)
    header = ("prefecture", "headquarters", "consultation", "stations found", "stations in prefecture")
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for row in table:
            print("| " + " | ".join(row) + " |")
    else:
        for row in (header, *table):
            print(f"{row[0]:<24} {row[1]:>12} {row[2]:>12} {row[3]:>14} {row[4]:>22}")
    hq = sum(r[1] == "yes" for r in table)
    consult = sum(1 for r in rows if r.get("kind") == "consultation")
    stations = sum(1 for r in rows if r.get("kind") == "station")
    known_total = sum(counts.values())
    print(f"\nheadquarters {hq}/47, consultation lines {consult} "
          f"(in {sum(r[2] == 'yes' for r in table)} prefectures), stations {stations}"
          + (f" of {known_total} counted" if known_total else "")
          + f", rows {len(rows)}, problems {len(problems)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
