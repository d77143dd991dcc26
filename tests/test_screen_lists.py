"""The family's lists: patterns, normalised matching, conflicts, CSV import and export."""

from __future__ import annotations

import pytest

from callerid.model import ListEntry
from callerid.screen.lists import FamilyLists, normalise_pattern


def allow(*patterns: str, label: str = "") -> list[ListEntry]:
    return [ListEntry("allow", p, label) for p in patterns]


def block(*patterns: str, label: str = "") -> list[ListEntry]:
    return [ListEntry("block", p, label) for p in patterns]


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("0312345678", "+81312345678"),
        ("03-1234-5678", "+81312345678"),
        ("+81 3 1234 5678", "+81312345678"),
        ("+81 03 1234 5678", "+81312345678"),
        ("010 81 3 1234 5678", "+81312345678"),
        ("０３－１２３４－５６７８", "+81312345678"),
        ("03-3581-*", "+8133581*"),
        ("03(3581)*", "+8133581*"),
        ("+81 3 3581*", "+8133581*"),
        ("+81 03 3581 *", "+8133581*"),
        ("010 81 3 3581*", "+8133581*"),
        ("0120-*", "+81120*"),
        ("+1 875*", "+1875*"),
        ("010 1*", "+1*"),
        ("+8014190110", "+8014190110"),  # malformed numbers can still be blocked as shown
        ("0110", "+81110"),
    ],
)
def test_patterns_normalise_and_are_idempotent(typed: str, canonical: str) -> None:
    assert normalise_pattern(typed) == canonical
    assert normalise_pattern(canonical) == canonical


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("P", "policy"),
        ("非通知", "policy"),
        ("abc", "only digits"),
        ("03-*-4321", "may only end"),
        ("*", "no digits"),
        ("+*", "no digits"),
        ("0*", "every number in the country"),
        ("+81*", "every number in the country"),
        ("010*", "international prefix"),
        ("12", "too short"),
        ("1" * 30, "too long"),
        ("03-1234-5678; DROP TABLE", "only digits"),
    ],
)
def test_nonsense_patterns_are_refused_clearly(typed: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        normalise_pattern(typed)


def test_an_entry_matches_every_shape_of_its_number() -> None:
    lists = FamilyLists(allow=allow("0312345678", label="Taro"))
    for shown in ("0312345678", "03-1234-5678", "+81312345678", "+81 3 1234 5678", "010 81 3 1234 5678",
                  "０３－１２３４－５６７８"):  # fmt: skip
        entry = lists.allowed(shown)
        assert entry is not None and entry.label == "Taro", shown
    assert lists.allowed("03-1234-5679") is None


def test_prefix_matches_the_range_only() -> None:
    lists = FamilyLists(block=block("03-3581-*"))
    assert lists.blocked("03-3581-4321") is not None
    assert lists.blocked("+81 3 3581 0000") is not None
    assert lists.blocked("03-3582-4321") is None
    assert lists.blocked("06-3581-4321") is None


def test_entries_written_in_international_form_match_domestic_displays() -> None:
    lists = FamilyLists(block=block("+81 90 1234 5678", "+1 212*"))
    assert lists.blocked("090-1234-5678") is not None
    assert lists.blocked("010 1 212 555 1234") is not None
    assert lists.blocked("+1 213 555 1234") is None


def test_exact_on_both_lists_blocks() -> None:
    lists = FamilyLists(allow=allow("0312345678"), block=block("03-1234-5678"))
    decision = lists.decide("0312345678")
    assert decision.kind == "block" and decision.overruled.entry.kind == "allow"


def test_specific_allow_beats_broad_block_and_vice_versa() -> None:
    lists = FamilyLists(allow=allow("0120-444-444", "06-*"), block=block("0120-*", "06-6943-1234"))
    assert lists.match("0120-444-444").kind == "allow"  # the pharmacy inside blocked sales lines
    assert lists.match("0120-123-456").kind == "block"
    assert lists.match("06-6943-1234").kind == "block"  # one number blocked inside an allowed area
    assert lists.match("06-1234-5678").kind == "allow"


def test_equal_prefixes_tie_to_block_and_longer_prefix_wins() -> None:
    lists = FamilyLists(allow=allow("03-3581-*"), block=block("03-3581-*", "03-*"))
    assert lists.match("03-3581-1111").kind == "block"
    lists = FamilyLists(allow=allow("03-3581-4*"), block=block("03-3581-*"))
    assert lists.match("03-3581-4111").kind == "allow"
    assert lists.match("03-3581-5111").kind == "block"


def test_allow_entries_ignore_malformed_displays_but_block_entries_do_not() -> None:
    lists = FamilyLists(allow=allow("0312345678"), block=block("0335814321"))
    assert lists.allowed("03-1234-5678x") is None  # mangled trusted number: not trusted
    assert lists.blocked("03-3581-4321x") is not None  # mangled blocked number: still blocked


def test_stored_entries_that_no_longer_normalise_are_set_aside() -> None:
    bad = ListEntry("block", "not a number")
    lists = FamilyLists(allow=allow("0312345678"), block=[bad])
    assert lists.rejected == (bad,)
    assert lists.allowed("0312345678") is not None
    assert len(lists) == 2


def test_absence_displays_never_match() -> None:
    lists = FamilyLists(block=block("0312345678"))
    assert lists.match("P") is None and lists.match("") is None


def test_empty_lists_and_unknown_region() -> None:
    assert FamilyLists.empty().match("0312345678") is None
    with pytest.raises(ValueError, match="unknown region"):
        FamilyLists(region="XX")


def test_many_entries_match_quickly_and_correctly() -> None:
    entries = block(*(f"03-{i:04d}-{i:04d}" for i in range(1000)), *(f"06-{i:04d}-*" for i in range(1000)))
    lists = FamilyLists(block=entries)
    assert lists.blocked("03-0500-0500").pattern == "03-0500-0500"
    assert lists.blocked("06-0999-1234").pattern == "06-0999-*"
    assert lists.blocked("03-0500-0501") is None


# --------------------------------------------------------------------------- CSV


def test_an_international_prefix_with_one_digit_is_refused_not_turned_into_a_pattern() -> None:
    """Found by hypothesis: `0100` once normalised to `+0`, which itself was refused."""
    with pytest.raises(ValueError, match="too short"):
        normalise_pattern("0100")


@pytest.mark.parametrize("pattern", ["000*", "+8100*", "0033*", "0033123456"])
def test_a_second_trunk_zero_is_refused_not_turned_into_another_area(pattern: str) -> None:
    """Found by hypothesis: `0033*` was stored as `+81033*`, which normalised again to `+8133*` (Tokyo)."""
    with pytest.raises(ValueError, match="no area code starts with 0"):
        normalise_pattern(pattern)
