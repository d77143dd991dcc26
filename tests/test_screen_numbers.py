"""Normalising displays: every shape a line or a person produces becomes the same Number."""

from __future__ import annotations

import pytest

from callerid.screen.numbers import absence_code, key_from_digits, normalise

TOKYO_HQ = "+81335814321"


@pytest.mark.parametrize(
    "shown",
    [
        "0335814321",
        "03-3581-4321",
        "03(3581)4321",
        "03 3581 4321",
        "03.3581.4321",
        "０３－３５８１－４３２１",  # full-width, as Japanese displays print it
        "０３ー３５８１ー４３２１",  # katakana prolonged mark used as a dash
        "\u0660\u0663\u0663\u0665\u0668\u0661\u0664\u0663\u0662\u0661",  # Arabic-Indic digits
        "  03-3581-4321\r\n",
    ],
)
def test_domestic_shapes_are_one_number(shown: str) -> None:
    number = normalise(shown)
    assert number.valid and not number.international
    assert number.e164 == TOKYO_HQ
    assert number.national_digits == "0335814321"
    assert number.display == "03-3581-4321"
    assert (number.country, number.number_type) == ("JP", "fixed-line")


@pytest.mark.parametrize(
    ("shown", "idd", "stray"),
    [
        ("+81 3 3581 4321", False, False),
        ("+81335814321", False, False),
        ("+81 03 3581 4321", False, True),  # a stray trunk 0 after the country code
        ("+81 (0)3 3581 4321", False, True),
        ("010 81 3 3581 4321", True, False),  # Japan's international prefix
        ("010-81-03-3581-4321", True, True),
        ("＋８１　３　３５８１　４３２１", False, False),
        ("tel:+81-3-3581-4321", False, False),
    ],
)
def test_international_forms_of_a_japanese_number(shown: str, idd: bool, stray: bool) -> None:
    number = normalise(shown)
    assert number.valid and number.international
    assert number.e164 == TOKYO_HQ and number.key == TOKYO_HQ
    assert number.national_digits == "0335814321"
    assert number.idd is idd and number.stray_trunk_zero is stray
    assert number.display == "+81 3-3581-4321"


@pytest.mark.parametrize(
    ("shown", "kind"),
    [
        ("090-1234-5678", "mobile"),
        ("080-1234-5678", "mobile"),
        ("070-1234-5678", "mobile"),
        ("050-1234-5678", "ip-phone"),  # IP phone: a domestic number, not international
        ("0120-123-456", "toll-free"),
        ("0800-123-4567", "toll-free"),
        ("06-6943-1234", "fixed-line"),
        ("0570-000-123", "uan"),
    ],
)
def test_number_types(shown: str, kind: str) -> None:
    number = normalise(shown)
    assert number.valid and number.number_type == kind
    assert not number.international and number.country == "JP"


def test_foreign_numbers() -> None:
    us = normalise("+1 212 555 1234")
    assert (us.valid, us.international, us.country, us.country_code) == (True, True, "US", 1)
    assert us.national_digits is None and us.display == "+1 212-555-1234"
    via_010 = normalise("010 1 212 555 1234")
    assert via_010.e164 == "+12125551234" and via_010.idd and via_010.shown == "01012125551234"
    timor = normalise("+670 7723 4567")
    assert timor.country == "TL"


@pytest.mark.parametrize(
    ("shown", "problem"),
    [
        ("+8014190110", "unknown-country-code"),
        ("+2952570110", "unknown-country-code"),
        ("+1800592220110", "not-in-use"),
        ("335814321", "missing-trunk-zero"),
        ("81335814321", "missing-trunk-zero"),  # no + : not a country code on a Japanese display
        ("110", "too-short"),
        ("#9110", "too-short"),
        ("0335814321x", "junk"),
        ("1" * 200, "too-long"),
        ("abc", "no-digits"),
        ("", "empty"),
        ("   ", "empty"),
    ],
)
def test_malformed_displays(shown: str, problem: str) -> None:
    number = normalise(shown)
    assert not number.valid and number.e164 is None
    assert number.problem == problem


def test_malformed_international_keeps_what_was_shown() -> None:
    number = normalise("+80 1419 0110")
    assert number.international and number.shown == "+8014190110"
    assert number.country is None and number.key == "+8014190110"


@pytest.mark.parametrize(
    ("shown", "country", "code"),
    [("+81", "JP", 81), ("010 81", "JP", 81), ("+1", "US", 1), ("+44", "GB", 44), ("+8", None, None)],
)
def test_a_bare_country_code_is_too_short_and_names_its_country(
    shown: str, country: str | None, code: int | None
) -> None:
    """+81 has digits and names Japan: not 'it has no digits' from 'a country code nobody uses'."""
    number = normalise(shown)
    assert number.international and not number.valid
    assert (number.problem, number.country, number.country_code) == ("too-short", country, code)


@pytest.mark.parametrize(
    ("shown", "code"),
    [
        ("P", "P"), ("p", "P"), ("Ｐ", "P"), ("Private", "P"), ("非通知", "P"), ("Anonymous", "P"),
        ("O", "O"), ("Out of area", "O"), ("OUT-OF-AREA", "O"), ("表示圏外", "O"), ("Unavailable", "O"),
        ("C", "C"), ("公衆電話", "C"), ("Payphone", "C"),
        ("S", "S"), ("通知不可能", "S"),
    ],
)  # fmt: skip
def test_absence_codes_and_words(shown: str, code: str) -> None:
    assert absence_code(shown) == code
    number = normalise(shown)
    assert number.absence == code and number.shown == code and number.key is None


def test_a_letter_that_is_not_an_absence_code_is_not_absence() -> None:
    assert normalise("X").absence is None and normalise("X").problem == "no-digits"
    assert normalise("PO").absence is None


def test_region_from_config_changes_what_domestic_means() -> None:
    us = normalise("(212) 555-1234", "US")
    assert us.valid and us.e164 == "+12125551234" and not us.international and us.country == "US"
    assert normalise("1 212 555 1234", "US").e164 == "+12125551234"
    assert normalise("011 81 3 3581 4321", "US").e164 == TOKYO_HQ  # the US international prefix
    gb = normalise("020 7946 0000", "GB")
    assert gb.valid and gb.e164 == "+442079460000"
    # In Japan the same digits are not a domestic number at all.
    assert not normalise("2125551234", "JP").valid


def test_unknown_region_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown region"):
        normalise("0335814321", "XX")


@pytest.mark.parametrize(
    "hostile",
    [
        "\x00\x01\x02",
        "\x1b[31m0335814321",
        "+" * 50,
        "++81 3 3581 4321",
        "+81+3",
        "0" * 10_000,
        "٣" * 300,
        "🙂📞",
        "\ud800",  # a lone surrogate, as a decode with errors='surrogateescape' can leave
        "03-3581-4321" * 100,
        "*",
        "#",
        "0x0335814321",
        "null",
    ],
)
def test_hostile_input_never_raises(hostile: str) -> None:
    number = normalise(hostile)
    assert isinstance(number.valid, bool)
    assert len(number.display) <= 1000


def test_none_is_treated_as_empty() -> None:
    assert normalise(None).problem == "empty"  # type: ignore[arg-type]


def test_key_from_digits_matches_the_parsed_form() -> None:
    assert key_from_digits("033581", False, "JP") == "+8133581"
    assert key_from_digits("81033581", True, "JP") == "+8133581"  # stray trunk dropped
    assert key_from_digits("33581", False, "JP") == "33581"  # not a domestic display
    assert key_from_digits("212555", False, "US") == "+1212555"
