"""The family's allow and block lists: exact numbers and prefixes, matched on normalised numbers.

A family writes numbers however they see them (`03-1234-5678`, `0312345678`,
`+81 3 1234 5678`, `03-3581-*`), and the line shows them however the network likes. Both
sides go through the same normalisation (`numbers.key_from_digits`), so `0312345678` on the
list matches `+81312345678` on the display, and `03-3581-*` matches every 03-3581 number.

When a number is on both lists the more specific entry wins (an exact number beats any
prefix, a longer prefix beats a shorter one), and a tie goes to the block list. So a family
can block `0120-*` and still allow their pharmacy's 0120 number, or allow `03-*`-style
ranges and still block one number inside them, and an exact number on both lists blocks.

Allow entries only apply to numbers that are well formed: a malformed display is itself a
warning sign, and nobody should be able to slip past the screening by mangling a number the
family trusts. Block entries apply to whatever the display was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from callerid.model import ListEntry, ListKind
from callerid.screen.numbers import (
    Number,
    absence_code,
    key_from_digits,
    normalise,
    region_facts,
    split_idd,
    to_ascii_digits,
)

LIST_KINDS = tuple(ListKind)
MAX_PATTERN_DIGITS = 24
_PATTERN_SEPARATORS = frozenset(" \t-()./\u30fc\u30fb\u2010\u2011\u2012\u2013\u2014\u2015\u2212")


def normalise_pattern(pattern: str, region: str = "JP") -> str:
    """The canonical form of a list pattern: `+81312345678`, or a prefix such as `+8133581*`.

    Idempotent (a canonical pattern normalises to itself). ValueError, with a message a family
    member can act on, for anything that is not a number or a prefix.
    """
    text = to_ascii_digits(str(pattern or "")).strip()
    if not text:
        raise ValueError("empty number or pattern")
    if absence_code(text):
        raise ValueError(
            f"{text[:20]!r} is not a number: withheld, out-of-area and payphone calls are set in the policy"
        )
    prefix = text.endswith("*")
    body = text[:-1].rstrip() if prefix else text
    if "*" in body:
        raise ValueError("'*' may only end a pattern, as in 03-3581-*")
    digits, plus = _pattern_digits(body)
    if not digits:
        raise ValueError(f"{text[:30]!r} has no digits")
    if len(digits) > MAX_PATTERN_DIGITS:
        raise ValueError(f"{len(digits)} digits is too long for a phone number")
    cc, idd, trunk, _required = region_facts(region)
    if not prefix:
        if len(digits) < 3:
            raise ValueError(f"{text[:30]!r} is too short to be a phone number")
        key = normalise(body, region).key or digits
        if len(key.lstrip("+")) < 3:  # e.g. 0100: Japan's international prefix and one digit
            raise ValueError(f"{text[:30]!r} is too short to be a phone number")
        _refuse_second_trunk(text, key, cc, trunk)
        return key
    if not plus and digits == idd:
        raise ValueError(f"{idd} is the international prefix: add a country code, as in {idd}1*")
    international, _via_idd, rest = split_idd(digits, plus, region)
    key = key_from_digits(rest, international, region)
    if key == f"+{cc}":
        raise ValueError(f"{text[:30]!r} would match every number in the country; name an area or a range")
    _refuse_second_trunk(text, key, cc, trunk)
    return key + "*"


def _refuse_second_trunk(text: str, key: str, cc: int | str, trunk: str | None) -> None:
    """`0033*` (a carrier's prefix) would be stored as `+81033*`, which reads back as `+8133*`
    (Tokyo): no area code starts with the trunk digit, so such a pattern is refused, not changed."""
    if trunk and key.startswith(f"+{cc}{trunk}"):
        raise ValueError(f"{text[:30]!r} is not a number here: no area code starts with {trunk}")


def _pattern_digits(body: str) -> tuple[str, bool]:
    digits: list[str] = []
    plus = False
    for ch in body:
        if "0" <= ch <= "9":
            digits.append(ch)
        elif ch == "+" and not digits and not plus:
            plus = True
        elif ch in _PATTERN_SEPARATORS:
            continue
        else:
            raise ValueError(
                f"{body[:30]!r}: only digits, a leading +, spaces, hyphens, brackets "
                "and a final * are allowed"
            )
    return "".join(digits), plus


@dataclass(frozen=True, slots=True)
class ListMatch:
    """A list entry that matched, and how specifically."""

    entry: ListEntry
    pattern: str  # canonical
    exact: bool

    @property
    def specificity(self) -> tuple[bool, int]:
        return self.exact, len(self.pattern)


@dataclass(frozen=True, slots=True)
class ListDecision:
    """The entry that decides a call, and the entry of the other list it outranked (if any)."""

    winner: ListMatch
    overruled: ListMatch | None = None

    @property
    def kind(self) -> str:
        return self.winner.entry.kind


class _Index:
    """Exact keys and prefixes of one list, looked up in a few dictionary probes."""

    __slots__ = ("exact", "prefixes", "longest")

    def __init__(self) -> None:
        self.exact: dict[str, ListEntry] = {}
        self.prefixes: dict[str, ListEntry] = {}
        self.longest = 0

    def add(self, canonical: str, entry: ListEntry) -> None:
        if canonical.endswith("*"):
            stem = canonical[:-1]
            self.prefixes.setdefault(stem, entry)
            self.longest = max(self.longest, len(stem))
        else:
            self.exact.setdefault(canonical, entry)

    def best(self, key: str) -> ListMatch | None:
        entry = self.exact.get(key)
        if entry is not None:
            return ListMatch(entry, key, True)
        for length in range(min(len(key), self.longest), 0, -1):
            entry = self.prefixes.get(key[:length])
            if entry is not None:
                return ListMatch(entry, key[:length] + "*", False)
        return None


class FamilyLists:
    """The allow and block lists as the engine reads them (immutable after construction).

    Entries whose pattern no longer normalises (stored before a rule got stricter) are kept
    aside in `rejected` instead of failing: the appliance must keep answering calls.
    """

    def __init__(
        self, allow: Sequence[ListEntry] = (), block: Sequence[ListEntry] = (), region: str = "JP"
    ) -> None:
        self.region = (region or "JP").upper()
        region_facts(self.region)  # a clear ValueError for an unknown region, now rather than per call
        self._indexes = {ListKind.ALLOW: _Index(), ListKind.BLOCK: _Index()}
        self.allow: tuple[ListEntry, ...] = tuple(allow)
        self.block: tuple[ListEntry, ...] = tuple(block)
        rejected: list[ListEntry] = []
        for kind, entries in ((ListKind.ALLOW, self.allow), (ListKind.BLOCK, self.block)):
            for entry in entries:
                try:
                    canonical = normalise_pattern(entry.pattern, self.region)
                except ValueError:
                    rejected.append(entry)
                    continue
                self._indexes[kind].add(canonical, entry)
        self.rejected: tuple[ListEntry, ...] = tuple(rejected)

    @classmethod
    def empty(cls, region: str = "JP") -> FamilyLists:
        return cls((), (), region)

    def __len__(self) -> int:
        return len(self.allow) + len(self.block)

    def __repr__(self) -> str:
        return f"FamilyLists(allow={len(self.allow)}, block={len(self.block)}, region={self.region!r})"

    def _number(self, number: Number | str) -> Number:
        return number if isinstance(number, Number) else normalise(number, self.region)

    def _allow_match(self, number: Number) -> ListMatch | None:
        if not number.valid or number.key is None:
            return None
        return self._indexes[ListKind.ALLOW].best(number.key)

    def _block_match(self, number: Number) -> ListMatch | None:
        if number.key is None:
            return None
        return self._indexes[ListKind.BLOCK].best(number.key)

    def allowed(self, number: Number | str) -> ListEntry | None:
        """The allow entry that matches (well-formed numbers only), whatever the block list says."""
        found = self._allow_match(self._number(number))
        return found.entry if found else None

    def blocked(self, number: Number | str) -> ListEntry | None:
        """The block entry that matches, whatever the allow list says."""
        found = self._block_match(self._number(number))
        return found.entry if found else None

    def decide(self, number: Number | str) -> ListDecision | None:
        """Which list decides the call: the more specific match, the block list on a tie."""
        number = self._number(number)
        allow, block = self._allow_match(number), self._block_match(number)
        if allow is None and block is None:
            return None
        if allow is None:
            return ListDecision(block)  # type: ignore[arg-type]
        if block is None:
            return ListDecision(allow)
        if allow.specificity > block.specificity:
            return ListDecision(allow, block)
        return ListDecision(block, allow)

    def match(self, number: Number | str) -> ListEntry | None:
        """The deciding entry (its `kind` says allow or block), or None."""
        decision = self.decide(number)
        return decision.winner.entry if decision else None


__all__ = [
    "LIST_KINDS",
    "FamilyLists",
    "ListDecision",
    "ListMatch",
    "normalise_pattern",
]
