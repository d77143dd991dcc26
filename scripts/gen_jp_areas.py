#!/usr/bin/env python3
"""Write callerid/data/jp_areas.csv: which prefecture each Japanese area-code prefix belongs to.

Why a generated file: the police pattern rules ("Osaka's stations end in -1234") need a number's
prefecture at screening time, and loading phonenumbers' whole geocoder for that would cost the
appliance megabytes; this table is 30 KB. It comes from the geocoder of the installed phonenumbers
(its English names end in ", <Prefecture>"); a prefix whose entry names no prefecture inherits it
from its longest shorter prefix, else from the prefixes that share all but its last digit when they
agree. The geocoder's English names put a few areas in a namesake's prefecture; CORRECTIONS puts
them back. `tests/test_police_directory.py` checks the file still matches the installed phonenumbers.

Usage: .venv/bin/python scripts/gen_jp_areas.py > callerid/data/jp_areas.csv
"""

from __future__ import annotations

import csv
import importlib
import pkgutil
import sys

import phonenumbers.geodata as geodata

from callerid.screen.areas import PREFECTURES_EN

#: Areas the geocoder's English names place in a namesake's prefecture: its Japanese names (今市,
#: 新宮, 神岡, 木江) and every neighbouring prefix agree on the prefecture here, and the police
#: directory's sourced rows confirm two (今市警察署 0288-23-0110 at 日光市今市 on the Tochigi police
#: site; 新宮警察署 0735-21-0110 in the Wakayama papers).
CORRECTIONS = {
    "0288": "Tochigi",  # 今市 (Imaichi), given as "Imabari, Ehime"
    # 新宮 (Shingu, Wakayama), given as "Shingu, Fukuoka"
    "07352": "Wakayama", "07353": "Wakayama", "07354": "Wakayama", "07355": "Wakayama",
    "0578": "Gifu",  # 神岡 (Hida), given as Akita
    "08466": "Hiroshima", "08467": "Hiroshima",  # 木江 (Osakikamijima), given as Tokushima
}


def geocoder_entries() -> dict[str, dict[str, str]]:
    """Every '81...' prefix of the geocoder with its names by language."""
    found: dict[str, dict[str, str]] = {}
    for module_info in pkgutil.iter_modules(geodata.__path__):
        if not module_info.name.startswith("data"):
            continue
        module = importlib.import_module(f"{geodata.__name__}.{module_info.name}")
        for value in vars(module).values():
            if not isinstance(value, dict):
                continue
            for key, names in value.items():
                if isinstance(key, str) and key.startswith("81") and isinstance(names, dict):
                    found.setdefault(key, {}).update(names)
    return found


def prefecture_of(english: str) -> str | None:
    tail = english.rsplit(", ", 1)[-1].strip()
    return tail if tail in PREFECTURES_EN else None


def rows() -> list[tuple[str, str, str]]:
    entries = geocoder_entries()
    known = {key: prefecture_of(names.get("en", "")) for key, names in entries.items()}
    resolved: dict[str, str] = {}
    for key in sorted(entries):
        pref = known[key]
        if pref is None:
            parents = [known.get(key[:n]) for n in range(len(key) - 1, 2, -1)]
            pref = next((p for p in parents if p), None)
        if pref is None:
            siblings = {known[k] for k in entries if k[:-1] == key[:-1] and len(k) == len(key) and known[k]}
            pref = siblings.pop() if len(siblings) == 1 else None
        if pref is not None:
            resolved[key] = pref
    table = [("0" + key[2:], pref, entries[key].get("ja", "")) for key, pref in sorted(resolved.items())]
    return [(prefix, CORRECTIONS.get(prefix, pref), area) for prefix, pref, area in table]


def main() -> None:
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["prefix", "prefecture_en", "area_ja"])
    out.writerows(rows())


if __name__ == "__main__":
    main()
