"""Number generators for the detection benchmark and the screening tests.

Two populations matter: what fraudsters display (fraud-jp.md's reported patterns, with the
`x` digits filled at random, and every known police number in every disguise), and what
ordinary callers display (random *valid* Japanese numbers of each type, judged valid by
phonenumbers itself, not by our normaliser). A seeded `random.Random` makes every run
reproducible.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

#: Numbers quoted in fraud-jp.md, exactly as printed there (`x` and `...` are filled by `fill`).
REPORTED_PATTERNS = (
    "+2952570110",
    "+1800592220110",
    "+8014190110",
    "+8085930110",
    "+1 (875) xxx-0110",
    "+670...0110",
    "+804...0110",
    "03-3346-0110",
    "03-3581-4321",
    "03-3581-4311",
)

#: Ordinary Japanese number families: (type name, phonenumbers types, national-digit generator spec).
#: Each spec is (prefixes, random digits after the prefix).
_JP_KINDS: dict[str, tuple[tuple[int, ...], tuple[tuple[str, int], ...]]] = {
    "fixed-line": (
        (PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE),
        tuple((f"0{d}", 8) for d in "12346789"),
    ),
    "mobile": ((PhoneNumberType.MOBILE,), (("070", 8), ("080", 8), ("090", 8))),
    "toll-free": ((PhoneNumberType.TOLL_FREE,), (("0120", 6), ("0800", 7))),
    "ip-phone": ((PhoneNumberType.VOIP,), (("050", 8),)),
}
JP_KINDS = tuple(_JP_KINDS)

_DIGITS = "0123456789"


def digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice(_DIGITS) for _ in range(count))


def fill(pattern: str, rng: random.Random) -> str:
    """A reported pattern with each `x` a random digit and `...` 2-6 random digits."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("...", i):
            out.append(digits(rng, rng.randint(2, 6)))
            i += 3
        elif pattern[i] == "x":
            out.append(rng.choice(_DIGITS))
            i += 1
        else:
            out.append(pattern[i])
            i += 1
    return "".join(out)


def pattern_variants(pattern: str, rng: random.Random, count: int) -> list[str]:
    """`count` displays in the style of a reported pattern.

    Patterns with `x` or `...` get their gaps filled at random. Fully quoted foreign numbers
    keep their country code and 0110 ending with the digits between them randomised
    (`+2952570110` -> `+295xxx0110`), since a fraud ring rotates through many such numbers.
    Quoted domestic numbers are returned as quoted (they are single real numbers).
    """
    if "x" in pattern or "..." in pattern:
        return [fill(pattern, rng) for _ in range(count)]
    if not pattern.startswith("+"):
        return [pattern]
    body = pattern[1:-4]
    keep = {"+2952570110": 3, "+1800592220110": 4, "+8014190110": 2, "+8085930110": 3}.get(pattern, 2)
    return [pattern] + [
        "+" + body[:keep] + digits(rng, len(body) - keep) + "0110" for _ in range(max(0, count - 1))
    ]


def one_edit_variants(number: str) -> set[str]:
    """Every string one substitution, insertion, deletion or adjacent swap away (not `number`)."""
    out: set[str] = set()
    for i in range(len(number)):
        out.add(number[:i] + number[i + 1 :])
        for d in _DIGITS:
            out.add(number[:i] + d + number[i + 1 :])
        if i + 1 < len(number):
            out.add(number[:i] + number[i + 1] + number[i] + number[i + 2 :])
    for i in range(len(number) + 1):
        for d in _DIGITS:
            out.add(number[:i] + d + number[i:])
    out.discard(number)
    return out


def within_one_edit(a: str, b: str) -> bool:
    """Optimal-string-alignment distance <= 1, by dynamic programming (an independent oracle)."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) > 2:
        return False  # quick exit: one edit changes at most two aligned positions
    if len(a) != len(b):
        shorter = min(len(a), len(b))
        head = next((i for i in range(shorter) if a[i] != b[i]), shorter)
        if head < shorter and a[-(shorter - head) :] != b[-(shorter - head) :]:
            return False  # quick exit: what follows the first difference must line up
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[i - 2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1] <= 1


def is_valid_jp(national: str, types: Iterable[int] | None = None) -> bool:
    """phonenumbers' own opinion: a valid Japanese number (of one of `types`)."""
    try:
        parsed = phonenumbers.parse(national, "JP")
    except NumberParseException:
        return False
    if not phonenumbers.is_valid_number(parsed):
        return False
    return types is None or phonenumbers.number_type(parsed) in set(types)


def random_jp_number(rng: random.Random, kind: str) -> str:
    """One random valid Japanese number of `kind` (see JP_KINDS), as dialled in Japan."""
    types, specs = _JP_KINDS[kind]
    while True:
        prefix, count = rng.choice(specs)
        candidate = prefix + digits(rng, count)
        if not candidate.startswith("010") and is_valid_jp(candidate, types):
            return candidate


def random_ordinary_jp(
    rng: random.Random,
    count: int,
    police_numbers: Sequence[str] = (),
    kinds: Sequence[str] = JP_KINDS,
    excluded: Callable[[str], bool] | None = None,
) -> list[str]:
    """Valid Japanese numbers that no police rule may flag: not ending in 0110, not one edit
    away from a known police number (its neighbours generated by `one_edit_variants`, not the
    engine's index), and not `excluded` (the sourced pattern rules, measured apart)."""
    near: set[str] = set(police_numbers)
    for police in police_numbers:  # every one-edit neighbour, generated independently of the engine
        near |= one_edit_variants(police)
    out: list[str] = []
    while len(out) < count:
        number = random_jp_number(rng, kinds[len(out) % len(kinds)])
        if number.endswith("0110") or number in near or (excluded is not None and excluded(number)):
            continue
        out.append(number)
    return out


def national_display(national: str) -> str:
    """The hyphenated way a person writes a Japanese number (`03-3581-4321`)."""
    parsed = phonenumbers.parse(national, "JP")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)


def full_width(text: str) -> str:
    """Digits and + as full-width characters, the way Japanese equipment may print them."""
    return text.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789+-"})


def random_foreign(rng: random.Random, count: int, avoid: Sequence[str] = ()) -> list[str]:
    """Valid non-Japanese numbers in + form that end neither in 110 nor carry any `avoid` digits."""
    regions = sorted(r for r in phonenumbers.SUPPORTED_REGIONS if r != "JP")
    out: list[str] = []
    while len(out) < count:
        region = rng.choice(regions)
        kind = rng.choice((PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE))
        example = phonenumbers.example_number_for_type(region, kind)
        if example is None:
            continue
        nsn = phonenumbers.national_significant_number(example)
        keep = max(1, len(nsn) - 4)
        candidate = f"+{example.country_code}{nsn[:keep]}{digits(rng, len(nsn) - keep)}"
        try:
            parsed = phonenumbers.parse(candidate)
        except NumberParseException:
            continue
        if not phonenumbers.is_valid_number(parsed) or candidate.endswith("110"):
            continue
        if any(a in candidate for a in avoid):
            continue
        out.append(candidate)
    return out


__all__ = [
    "JP_KINDS",
    "REPORTED_PATTERNS",
    "fill",
    "full_width",
    "is_valid_jp",
    "national_display",
    "one_edit_variants",
    "pattern_variants",
    "random_foreign",
    "random_jp_number",
    "random_ordinary_jp",
    "within_one_edit",
]
