"""Trust that cannot cover police (issue 12): the allow list refuses police numbers and prefixes."""

from __future__ import annotations

import pytest

from callerid.model import ListEntry
from callerid.screen.engine import ScreenConfig, screen_display
from callerid.screen.lists import FamilyLists, normalise_pattern
from callerid.screen.police import PoliceDirectory, PolicePattern, default_directory, packaged_entries
from callerid.screen.trust import police_conflict

CONFIG = ScreenConfig()


def conflict(pattern: str):
    return police_conflict(normalise_pattern(pattern), CONFIG)


@pytest.mark.parametrize(
    "pattern",
    ["03-3581-4321", "0335814321", "+81 3 3581 4321", "03-3581-*", "03-*", "03-3346-0110", "03-5555-0110",
     "03-3581-4311", "+1 212 555 0110"],
)
def test_police_numbers_and_prefixes_over_them_are_refused(pattern: str) -> None:
    found = conflict(pattern)
    assert found is not None
    assert "trusted" in found.en and "安心な番号" in found.ja


@pytest.mark.parametrize("pattern", ["03-1234-5678", "0120-*", "090-1234-5678", "+1 212 555 1234", "0466-*"])
def test_ordinary_numbers_and_prefixes_are_accepted(pattern: str) -> None:
    assert conflict(pattern) is None


def test_every_directory_number_is_refused() -> None:
    refused = [e.display for e in packaged_entries() if conflict(e.number) is None]
    assert refused == []


# --------------------------------------------------------------------------- pattern rules

OSAKA = PolicePattern("Osaka", "1234", "station", "Osaka's police stations", "大阪府の警察署", "test")
CONSULTATION = PolicePattern(
    "*", "9110", "consultation", "police consultation lines", "警察相談専用電話", "test"
)


def with_patterns(*patterns: PolicePattern) -> ScreenConfig:
    return ScreenConfig(police=PoliceDirectory.build(default_directory().entries, patterns=patterns))


@pytest.mark.parametrize("shown", ["06-6315-1234", "072-422-1234", "0721-23-1234"])
def test_an_area_pattern_warns_on_numbers_of_its_prefecture(shown: str) -> None:
    verdict = screen_display(shown, FamilyLists.empty(), with_patterns(OSAKA))
    assert (verdict.verdict, verdict.action) == ("police-number", "warn")
    assert verdict.reasons[0].code == "police-area-pattern"
    assert "1234" in verdict.reasons[0].detail and "大阪府の警察署" in verdict.reasons[0].detail_ja


@pytest.mark.parametrize("shown", ["03-5315-1234", "045-211-1234", "06-6315-1235", "090-6315-1234"])
def test_an_area_pattern_leaves_other_prefectures_and_endings_alone(shown: str) -> None:
    assert screen_display(shown, FamilyLists.empty(), with_patterns(OSAKA)).verdict == "ordinary"


def test_a_nationwide_pattern_applies_everywhere_and_is_never_blocked() -> None:
    config = with_patterns(CONSULTATION)
    for shown in ("018-864-9110", "052-953-9110", "099-206-9110"):
        verdict = screen_display(shown, FamilyLists.empty(), config)
        assert (verdict.verdict, verdict.action) == ("police-number", "warn"), shown


def test_a_pattern_number_one_digit_off_a_known_station_is_warned_not_blocked() -> None:
    """Neighbouring stations share an exchange; another Osaka station must never be hung up on."""
    config = with_patterns(OSAKA)
    known = default_directory().lookup("0664651234")
    assert known is not None
    verdict = screen_display("06-6466-1234", FamilyLists.empty(), config)
    assert (verdict.verdict, verdict.action) == ("police-number", "warn")


def test_an_old_allow_entry_over_a_pattern_number_keeps_the_warning() -> None:
    lists = FamilyLists(allow=[ListEntry("allow", "06-6315-1234", "shop")])
    verdict = screen_display("06-6315-1234", lists, with_patterns(OSAKA))
    assert verdict.verdict == "police-number"
    assert "allow-ignored-for-police" in [r.code for r in verdict.reasons]
