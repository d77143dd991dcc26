"""Properties over generated numbers: no false alarms on ordinary numbers, no crash on anything."""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from callerid.benchmarks.numbergen import full_width, is_valid_jp, national_display, within_one_edit
from callerid.model import VERDICT_CODES, ListEntry
from callerid.screen.engine import ScreenConfig, screen_display
from callerid.screen.lists import FamilyLists, normalise_pattern
from callerid.screen.numbers import normalise
from callerid.screen.police import default_directory

CONFIG = ScreenConfig()
EMPTY = FamilyLists.empty()
POLICE = tuple(e.number for e in default_directory().entries)

#: Japanese number families as (prefix, digits that follow): fixed lines, mobiles, toll-free, IP phones.
PREFIXES = [(f"0{d}", 8) for d in "12346789"] + [("070", 8), ("080", 8), ("090", 8), ("0120", 6), ("0800", 7),
                                                  ("050", 8)]  # fmt: skip


@st.composite
def japanese_numbers(draw: st.DrawFn) -> str:
    prefix, count = draw(st.sampled_from(PREFIXES))
    number = prefix + draw(st.text(alphabet="0123456789", min_size=count, max_size=count))
    assume(not number.startswith("010") and is_valid_jp(number))
    return number


#: The sourced patterns' endings (police_patterns_jp.csv); any prefecture, so a superset of their reach.
PATTERN_ENDINGS = tuple(p.ending for p in default_directory().patterns)


def looks_like_police(number: str) -> bool:
    """The rules' territory, computed independently: 0110 endings, the sourced patterns' endings,
    and one edit from a known number."""
    if number.endswith(("0110", *PATTERN_ENDINGS)):
        return True
    return any(number == p or within_one_edit(number, p) for p in POLICE)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(japanese_numbers())
def test_valid_japanese_numbers_outside_the_police_patterns_are_ordinary(number: str) -> None:
    assume(not looks_like_police(number))
    for shown in (number, national_display(number), full_width(national_display(number))):
        verdict = screen_display(shown, EMPTY, CONFIG)
        assert verdict.verdict == "ordinary", (shown, [r.code for r in verdict.reasons])
        assert verdict.action == "none" and verdict.risk == 5


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(japanese_numbers())
def test_valid_numbers_ending_in_0110_are_police_numbers(number: str) -> None:
    station = number[:-4] + "0110"
    assume(is_valid_jp(station) and station not in POLICE)
    verdict = screen_display(station, EMPTY, CONFIG)
    assert verdict.verdict in ("police-number", "police-lookalike")
    assert verdict.verdict == "police-number" or any(within_one_edit(station, p) for p in POLICE)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(japanese_numbers())
def test_a_listed_number_matches_in_every_form(number: str) -> None:
    pattern = normalise_pattern(national_display(number))
    lists = FamilyLists(block=[ListEntry("block", pattern)])
    e164 = normalise(number).e164
    for shown in (number, e164, "010" + e164[1:], full_width(number)):
        assert lists.blocked(shown) is not None, shown


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=60))
def test_anything_at_all_gets_a_verdict(text: str) -> None:
    verdict = screen_display(text, EMPTY, CONFIG)
    assert verdict.verdict in VERDICT_CODES and 0 <= verdict.risk <= 100
    assert verdict.reasons and verdict.input == text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789+-() #*０１２３４５６７８９＋ー", max_size=40))
def test_digit_soup_gets_a_verdict_and_patterns_never_crash(text: str) -> None:
    verdict = screen_display(text, EMPTY, CONFIG)
    assert verdict.verdict in VERDICT_CODES
    try:
        canonical = normalise_pattern(text)
    except ValueError as exc:
        assert str(exc)
    else:
        assert normalise_pattern(canonical) == canonical
