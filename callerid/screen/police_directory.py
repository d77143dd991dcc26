"""The police directory as data: known police lines, sourced patterns, and the indexes the rules use.

Pure: built from entries that `police.py` loads once at start-up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from callerid.screen.areas import prefecture_of
from callerid.screen.messages import edit_text
from callerid.screen.numbers import region_facts

#: The columns of police_jp.csv; an extra CSV uses the same header (any order).
COLUMNS = (
    "kind", "prefecture_ja", "prefecture_en", "name_ja", "number", "source", "date_seen", "confidence",
)
REQUIRED_COLUMNS = ("kind", "name_ja", "number")
KINDS = ("hq", "station", "koban", "consultation", "other")
MAX_CSV_BYTES = 5_000_000
PACKAGED_CSV = "data/police_jp.csv"
PATTERNS_CSV = "data/police_patterns_jp.csv"
PATTERN_COLUMNS = ("prefecture_en", "ending", "kind", "like_en", "like_ja", "source")
#: A pattern's prefecture that means every Japanese geographic number.
NATIONWIDE = "*"


class PoliceDataError(ValueError):
    """A police CSV that cannot be used; the message names the file and the line."""


@dataclass(frozen=True, slots=True)
class PoliceEntry:
    """One known police line."""

    number: str  # as dialled in Japan: "0335814321"
    kind: str
    name_ja: str
    prefecture_ja: str = ""
    prefecture_en: str = ""
    source: str = ""
    confidence: str = ""
    display: str = ""  # "03-3581-4321"
    date_seen: str = ""

    @property
    def name_en(self) -> str:
        """An English name built from the columns we have (the CSV is Japanese first)."""
        place = self.prefecture_en or self.prefecture_ja
        if self.kind == "hq":
            return f"the {place} police headquarters ({self.name_ja})" if place else self.name_ja
        if self.kind == "station":
            return f"a {place} police station ({self.name_ja})" if place else self.name_ja
        return f"{self.name_ja} ({place} police)" if place else self.name_ja


@dataclass(frozen=True, slots=True)
class Edit:
    """How a number differs from a police number by one digit (positions are 1-based)."""

    kind: str  # substitution | insertion | deletion | transposition
    pos: int
    got: str = ""
    want: str = ""
    pos2: int = 0

    def text(self, lang: str) -> str:
        return edit_text(self.kind, lang, pos=self.pos, pos2=self.pos2, got=self.got, want=self.want)


def classify_edit(got: str, want: str) -> Edit | None:
    """The single edit that turns `want` (the police number) into `got`, or None."""
    lg, lw = len(got), len(want)
    if lg == lw:
        diffs = [i for i in range(lg) if got[i] != want[i]]
        if len(diffs) == 1:
            i = diffs[0]
            return Edit("substitution", i + 1, got=got[i], want=want[i])
        if len(diffs) == 2:
            i, j = diffs
            if j == i + 1 and got[i] == want[j] and got[j] == want[i]:
                return Edit("transposition", i + 1, pos2=j + 1)
        return None
    if lg == lw + 1:
        i = next((k for k in range(lw) if got[k] != want[k]), lw)
        return Edit("insertion", i + 1, got=got[i]) if got[i + 1 :] == want[i:] else None
    if lg == lw - 1:
        i = next((k for k in range(lg) if got[k] != want[k]), lg)
        return Edit("deletion", i + 1, want=want[i]) if got[i:] == want[i + 1 :] else None
    return None


@dataclass(frozen=True, slots=True)
class PolicePattern:
    """A sourced numbering habit of police lines that a directory cannot list in full.

    "Osaka's stations end in -1234": every geographic number of an Osaka area code ending in 1234
    gets police-number (warn, never block: it may be a shop). `prefecture_en` is NATIONWIDE for a
    habit of the whole country (the consultation lines' -9110).
    """

    prefecture_en: str
    ending: str
    kind: str
    like_en: str
    like_ja: str
    source: str = ""

    def matches(self, national_digits: str, prefecture_en: str | None) -> bool:
        if not national_digits.endswith(self.ending):
            return False
        return self.prefecture_en == NATIONWIDE or self.prefecture_en == prefecture_en


def _deletions(text: str) -> Iterable[str]:
    return (text[:i] + text[i + 1 :] for i in range(len(text)))


@dataclass(frozen=True, eq=False)
class PoliceDirectory:
    """Known police numbers with the indexes the rules need; build once with `build()`."""

    entries: tuple[PoliceEntry, ...] = ()
    country: str = "JP"
    patterns: tuple[PolicePattern, ...] = ()
    _by_number: Mapping[str, PoliceEntry] = field(default_factory=dict, repr=False)
    _near: Mapping[str, tuple[int, ...]] = field(default_factory=dict, repr=False)
    _windows: Mapping[str, PoliceEntry] = field(default_factory=dict, repr=False)
    _window_lengths: tuple[int, ...] = field(default=(), repr=False)

    @classmethod
    def build(
        cls, entries: Iterable[PoliceEntry], country: str = "JP", patterns: Iterable[PolicePattern] = ()
    ) -> PoliceDirectory:
        """Index entries; a later entry with the same number replaces an earlier one."""
        by_number: dict[str, PoliceEntry] = {}
        for entry in entries:
            by_number[entry.number] = entry
        ordered = tuple(by_number.values())
        near: dict[str, set[int]] = {}
        windows: dict[str, PoliceEntry] = {}
        _cc, _idd, trunk, _req = region_facts(country)
        for index, entry in enumerate(ordered):
            near.setdefault(entry.number, set()).add(index)
            for variant in _deletions(entry.number):
                near.setdefault(variant, set()).add(index)
            windows.setdefault(entry.number, entry)
            if trunk and entry.number.startswith(trunk):
                windows.setdefault(entry.number[len(trunk) :], entry)
        return cls(
            entries=ordered,
            country=country,
            patterns=tuple(patterns),
            _by_number=MappingProxyType(by_number),
            _near=MappingProxyType({k: tuple(sorted(v)) for k, v in near.items()}),
            _windows=MappingProxyType(windows),
            _window_lengths=tuple(sorted({len(w) for w in windows}, reverse=True)),
        )

    def __len__(self) -> int:
        return len(self.entries)

    def with_household(self, extra: Iterable[PoliceEntry]) -> PoliceDirectory:
        """This directory plus the household's own numbers (theirs replace ours by number)."""
        extra = tuple(extra)
        return PoliceDirectory.build((*self.entries, *extra), self.country, self.patterns) if extra else self

    def lookup(self, national_digits: str | None) -> PoliceEntry | None:
        """The entry for an exact number as dialled in Japan ("0335814321")."""
        return self._by_number.get(national_digits or "")

    def one_off(self, national_digits: str | None) -> tuple[PoliceEntry, Edit] | None:
        """A known number that `national_digits` misses by exactly one edit (not the number itself)."""
        if not national_digits or national_digits in self._by_number or len(national_digits) > 16:
            return None
        candidates: set[int] = set(self._near.get(national_digits, ()))
        for variant in _deletions(national_digits):
            candidates.update(self._near.get(variant, ()))
        for index in sorted(candidates):
            entry = self.entries[index]
            edit = classify_edit(national_digits, entry.number)
            if edit is not None:
                return entry, edit
        return None

    def pattern(self, national_digits: str | None) -> PolicePattern | None:
        """The sourced pattern a geographic number falls in ("an Osaka number ending in 1234")."""
        if not national_digits or not self.patterns:
            return None
        tail = [p for p in self.patterns if national_digits.endswith(p.ending)]
        if not tail:
            return None
        prefecture = prefecture_of(national_digits)
        return next((p for p in tail if p.matches(national_digits, prefecture)), None)

    def carried(self, digits: str) -> tuple[PoliceEntry, str] | None:
        """A police number (with or without its trunk 0) found inside `digits`, longest first."""
        for length in self._window_lengths:
            for start in range(len(digits) - length + 1):
                entry = self._windows.get(digits[start : start + length])
                if entry is not None:
                    return entry, digits[start : start + length]
        return None
