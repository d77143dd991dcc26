"""Turn whatever the phone line displayed into one normalised `Number`.

A caller-ID display is written by the caller's network, the modem and sometimes the
fraudster, so it comes in many shapes: `03-3581-4321`, `03(3581)4321`, full-width
`０３－３５８１－４３２１` as Japanese equipment prints it, `+81 3 3581 4321`, `+81 03 ...`
with a stray trunk 0, Japan's `010` international prefix, absence codes (`P`, `O`, `C`,
`S`) or words (`非通知`, `Private`), and plain garbage. Everything downstream (police rules,
family lists) works on the one `Number` made here, so each shape is understood once.

phonenumbers does the numbering-plan work (country, validity, type, formats). What it
does not know is how a *display* differs from a dialled string: at home in Japan a real
domestic call always shows its leading 0, so `335814321` is malformed here even though
phonenumbers would happily read it as Tokyo.

Pure: strings in, a frozen record out; never raises.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import CountryCodeSource, NumberParseException, PhoneNumberFormat, PhoneNumberType, re_util

from callerid.decode.fields import to_ascii_digits
from callerid.model import Absence, VerdictCode

#: Longest display we look at; the NTT field holds 30 characters, a modem line a few more.
MAX_INPUT_CHARS = 1000

#: Characters that separate digit groups on displays, in print and in typed input.
#: The katakana prolonged sound mark and the middle dot stand in for hyphens in Japanese text.
_SEPARATORS = frozenset(" \t-()./\u30fc\u30fb\uff65\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\ufe63")

#: Words that mean "no number, and here is why", mapped to the NTT/Bellcore absence codes.
#: Each code's own letter and word are accepted too (see `absence_code`), and the verdict names.
_ABSENCE_WORDS: dict[str, Absence] = {
    "private": Absence.WITHHELD,
    VerdictCode.WITHHELD: Absence.WITHHELD,
    "restricted": Absence.WITHHELD,
    "anonymous": Absence.WITHHELD,
    "blocked": Absence.WITHHELD,
    "非通知": Absence.WITHHELD,
    VerdictCode.UNAVAILABLE: Absence.OUT_OF_AREA,
    "unknown": Absence.OUT_OF_AREA,
    "表示圏外": Absence.OUT_OF_AREA,
    "圏外": Absence.OUT_OF_AREA,
    VerdictCode.PAYPHONE: Absence.PAYPHONE,
    "publicphone": Absence.PAYPHONE,
    "coin": Absence.PAYPHONE,
    "公衆電話": Absence.PAYPHONE,
    "通知不可能": Absence.SERVICE_CONFLICT,
    "通知不可": Absence.SERVICE_CONFLICT,
    **{code.casefold(): code for code in Absence},
    **{code.word.replace(" ", ""): code for code in Absence},
}

_TYPE_NAMES = {
    PhoneNumberType.FIXED_LINE: "fixed-line",
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed-line-or-mobile",
    PhoneNumberType.TOLL_FREE: "toll-free",
    PhoneNumberType.PREMIUM_RATE: "premium-rate",
    PhoneNumberType.SHARED_COST: "shared-cost",
    PhoneNumberType.VOIP: "ip-phone",
    PhoneNumberType.PERSONAL_NUMBER: "personal",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.VOICEMAIL: "voicemail",
}

_PARSE_PROBLEMS = {
    NumberParseException.INVALID_COUNTRY_CODE: "unknown-country-code",
    NumberParseException.NOT_A_NUMBER: "no-digits",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too-short",
    NumberParseException.TOO_SHORT_NSN: "too-short",
    NumberParseException.TOO_LONG: "too-long",
}

#: Non-geographic "regions" phonenumbers uses (+800, +808, ...) or for unknown codes.
_NO_COUNTRY = frozenset({"001", "ZZ"})


@dataclass(frozen=True, slots=True)
class Number:
    """One display, understood. Fields are plain values so records stay easy to compare."""

    input: str
    digits: str = ""  # every digit shown, ASCII, in order (any script's digits converted)
    international: bool = False  # shown in international form: leading + or the home IDD (Japan 010)
    idd: bool = False  # the international form used the home region's prefix (010), not +
    e164: str | None = None  # only for valid numbers
    key: str | None = None  # canonical form for list matching, E.164-like even when invalid
    national: str = ""  # national display format ("03-3581-4321"), "" when not parsed
    display: str = ""  # how to show it to the family
    country: str | None = None  # ISO region ("JP", "US"); None for non-geographic or unknown codes
    country_code: int | None = None
    national_digits: str | None = None  # home-country number as dialled at home: "0335814321"
    number_type: str = "unknown"
    valid: bool = False
    absence: str | None = None  # "P", "O", "C", "S"
    problem: str | None = None  # why it is not valid (a code; see messages.PROBLEMS)
    stray_trunk_zero: bool = False  # "+81 03 ..." : a trunk 0 that has no place after a country code
    region: str = "JP"

    @property
    def shown(self) -> str:
        """The display reduced to what matters: `+` and digits, or the absence code."""
        if self.absence:
            return self.absence
        return ("+" if self.international and not self.idd else "") + self.digits

    @property
    def domestic(self) -> bool:
        """A number shown the way home-country calls are shown (no + or 010)."""
        return bool(self.digits) and not self.international and self.absence is None

    @property
    def home(self) -> bool:
        """The number belongs to the household's own country."""
        return self.country == self.region


@lru_cache(maxsize=1)
def preload_metadata() -> int:
    """Load phonenumbers' metadata for every region now, at start-up (returns how many).

    phonenumbers loads a country's metadata the first time it sees one of its numbers: a few
    milliseconds on the call path for the first call from each country. Loading all of it
    once costs about 0.2 s and under 2 MB here, and keeps every call's screening time flat.
    It also asks phonenumbers to keep every regular expression it compiles: the `re` module's
    own cache holds 512, fewer than the numbering plans of the world use, and recompiling an
    evicted pattern costs a millisecond a call.
    """
    enable_cache = getattr(re_util, "enable_pattern_cache", None)
    if enable_cache is not None:  # phonenumbers >= 8.13.x
        enable_cache()
    for region in phonenumbers.SUPPORTED_REGIONS:
        phonenumbers.PhoneMetadata.metadata_for_region(region)
    for code in phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS:
        phonenumbers.PhoneMetadata.metadata_for_nongeo_region(code)
    return len(phonenumbers.SUPPORTED_REGIONS) + len(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS)


def absence_code(text: str) -> str | None:
    """The absence code a display stands for (`P`, `非通知`, `Out of area` ...), else None."""
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    folded = "".join(ch for ch in folded if ch not in _SEPARATORS and not ch.isspace() and ch not in "_:")
    return _ABSENCE_WORDS.get(folded)


@dataclass(frozen=True, slots=True)
class _Scan:
    digits: str
    plus: bool
    junk: bool


def _scan(text: str) -> _Scan:
    """Digits, a leading +, and whether anything else (letters, #, *) was mixed in."""
    if text[:4].casefold() == "tel:":
        text = text[4:]
    digits: list[str] = []
    plus = junk = False
    for ch in text:
        if "0" <= ch <= "9":
            digits.append(ch)
        elif ch == "+" and not digits and not plus:
            plus = True
        elif ch in _SEPARATORS or ch.isspace():
            continue
        else:
            junk = True
    return _Scan("".join(digits), plus, junk)


@lru_cache(maxsize=64)
def region_facts(region: str) -> tuple[int, str, str, bool]:
    """(country code, international prefix, national prefix, trunk prefix required on displays).

    Where the national (trunk) prefix is 0 (Japan, UK, ...), domestic calls are shown with it,
    so a display without it is malformed; in North America the 1 is optional.
    """
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if meta is None:
        raise ValueError(f"unknown region {region!r}: use a two-letter country code such as JP")
    idd = meta.preferred_international_prefix or meta.international_prefix or ""
    if not idd.isdigit():
        idd = ""
    trunk = meta.national_prefix or ""
    return meta.country_code or 0, idd, trunk, trunk == "0"


def key_from_digits(digits: str, international: bool, region: str) -> str:
    """The canonical list-matching form of a digit string (also used for list prefixes).

    International: `+` and the digits (a stray home trunk 0 after the country code dropped);
    domestic with its trunk prefix: `+<country code>` and the rest; domestic without a
    required trunk prefix: the digits alone, because that is not a real number at home.
    """
    cc, _idd, trunk, trunk_required = region_facts(region)
    if international:
        home = str(cc)
        if trunk == "0" and digits.startswith(home + "0"):
            digits = home + digits[len(home) + 1 :]
        return "+" + digits
    if trunk and digits.startswith(trunk):
        return f"+{cc}{digits[len(trunk) :]}"
    if trunk_required:
        return digits
    return f"+{cc}{digits}"


def leading_country_code(digits: str) -> int | None:
    """The country code the digits after `+` start with (codes are prefix-free), or None."""
    for length in (1, 2, 3):
        if len(digits) >= length and int(digits[:length]) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            return int(digits[:length])
    return None


def split_idd(digits: str, plus: bool, region: str) -> tuple[bool, bool, str]:
    """(international, via IDD, digits after the IDD) for a scanned display."""
    _cc, idd, _trunk, _req = region_facts(region)
    if plus:
        return True, False, digits
    if idd and digits.startswith(idd) and len(digits) > len(idd):
        return True, True, digits[len(idd) :]
    return False, False, digits


def normalise(displayed: str, region: str = "JP") -> Number:
    """Understand one display; never raises (garbage becomes an invalid Number with a problem)."""
    text = displayed if isinstance(displayed, str) else str(displayed or "")
    return _normalise(text[:MAX_INPUT_CHARS], region, text)


def absent(code: str, displayed: str = "", region: str = "JP") -> Number:
    """A Number for a call that carried an absence code instead of digits."""
    code = (code or "").strip().upper()[:1] or "O"
    return Number(
        input=displayed or code,
        absence=code,
        display=Absence.word_for(code, f"no number ({code})"),
        region=region,
    )


def _normalise(text: str, region: str, original: str) -> Number:
    region = (region or "JP").upper()
    cc_home, _idd, trunk, trunk_required = region_facts(region)
    ascii_text = to_ascii_digits(text).strip()
    code = absence_code(ascii_text)
    if code is not None:
        return absent(code, original, region)
    scan = _scan(ascii_text)
    if not scan.digits:
        problem = "empty" if not ascii_text else "no-digits"
        return Number(input=original, display=ascii_text[:40], problem=problem, region=region)

    international, via_idd, rest = split_idd(scan.digits, scan.plus, region)
    key = key_from_digits(rest, international, region)
    cleaned = ("+" if scan.plus else "") + scan.digits
    base = dict(
        input=original,
        digits=scan.digits,
        international=international,
        idd=via_idd,
        key=key,
        display=cleaned,
        region=region,
    )
    if len(scan.digits) > 24:
        national_digits = scan.digits if not international else None
        return Number(
            **base,
            country=None if international else region,
            national_digits=national_digits,
            country_code=None if international else cc_home,
            problem="too-long",
        )

    if not international and len(scan.digits) < 7:
        # Service codes (110, #9110, 117) and fragments: never the number of a calling line.
        return Number(
            **base, country=region, country_code=cc_home, national_digits=scan.digits, problem="too-short"
        )
    if not international and trunk_required and not scan.digits.startswith(trunk):
        # Not how any domestic call is shown; don't let phonenumbers guess a country code.
        return Number(
            **base,
            country=region,
            country_code=cc_home,
            national_digits=scan.digits,
            problem="missing-trunk-zero",
        )
    try:
        parsed = phonenumbers.parse(
            ("+" + rest) if international else scan.digits, region, keep_raw_input=True
        )
    except NumberParseException as exc:
        problem = _PARSE_PROBLEMS.get(exc.error_type, "not-a-number")
        if not international:
            return Number(
                **base, country=region, country_code=cc_home, national_digits=scan.digits, problem=problem
            )
        # "+81" alone: a real country code with nothing after it is too short, not digit-less,
        # and the family should read which country it names.
        cc = leading_country_code(rest)
        if problem == "no-digits":  # phonenumbers' word for "+8": there are digits, too few
            problem = "too-short"
        region_code = phonenumbers.region_code_for_country_code(cc) if cc is not None else None
        return Number(
            **base,
            country=None if region_code in _NO_COUNTRY else region_code,
            country_code=cc,
            problem=problem,
        )

    without_plus = parsed.country_code_source == CountryCodeSource.FROM_NUMBER_WITHOUT_PLUS_SIGN
    if without_plus and not international and trunk_required:
        # phonenumbers read a country code into unprefixed digits; a display never means that.
        return Number(
            **base,
            country=region,
            country_code=cc_home,
            national_digits=scan.digits,
            problem="missing-trunk-zero",
        )

    cc = parsed.country_code
    region_code = phonenumbers.region_code_for_number(parsed)
    if region_code in _NO_COUNTRY or region_code is None:
        region_code = phonenumbers.region_code_for_country_code(cc)
        country = None if region_code in _NO_COUNTRY else region_code
    else:
        country = region_code
    nsn = phonenumbers.national_significant_number(parsed)
    if cc != cc_home:
        national_digits = None
    elif international:
        national_digits = trunk + nsn
    else:
        national_digits = scan.digits  # as shown: phonenumbers may have stripped more than the trunk
    stray = international and cc == cc_home and trunk == "0" and rest[len(str(cc)) :].startswith("0")
    valid = phonenumbers.is_valid_number(parsed) and not scan.junk
    problem = None if valid else ("junk" if scan.junk else "not-in-use")
    number_type = _TYPE_NAMES.get(phonenumbers.number_type(parsed), "unknown") if valid else "unknown"
    national = phonenumbers.format_number(parsed, PhoneNumberFormat.NATIONAL) if cc == cc_home else ""
    if valid:
        display = (
            national
            if (cc == cc_home and not international)
            else phonenumbers.format_number(parsed, PhoneNumberFormat.INTERNATIONAL)
        )
    else:
        display = cleaned
    base["key"] = phonenumbers.format_number(parsed, PhoneNumberFormat.E164)
    base["display"] = display
    return Number(
        **base,
        e164=base["key"] if valid else None,
        national=national,
        country=country,
        country_code=cc,
        national_digits=national_digits,
        number_type=number_type,
        valid=valid,
        problem=problem,
        stray_trunk_zero=stray,
    )


__all__ = [
    "MAX_INPUT_CHARS",
    "Number",
    "absence_code",
    "absent",
    "key_from_digits",
    "leading_country_code",
    "normalise",
    "preload_metadata",
    "region_facts",
    "split_idd",
    "to_ascii_digits",
]
