"""The engine: verdict precedence, the lists' override, risk, actions, reasons, purity."""

from __future__ import annotations

import builtins
import re
import socket
import time

import pytest

from callerid.model import VERDICT_CODES, CallerID, ListEntry
from callerid.screen import messages
from callerid.screen.engine import ADVICE_BY_VERDICT, ScreenConfig, screen, screen_display
from callerid.screen.findings import RISK_BANDS, RULES
from callerid.screen.lists import FamilyLists

CONFIG = ScreenConfig()
EMPTY = FamilyLists.empty()
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")

#: One display for each verdict the number itself can earn.
SAMPLES = {
    "police-lookalike": "+8014190110",
    "police-number": "03-3346-0110",
    "international": "+1 212 555 1234",
    "withheld": "P",
    "unavailable": "O",
    "payphone": "C",
    "invalid": "12345678",
    "ordinary": "03-1234-5678",
}


def check(shown: str, lists: FamilyLists = EMPTY):
    return screen_display(shown, lists, CONFIG)


def codes(verdict) -> list[str]:
    return [r.code for r in verdict.reasons]


@pytest.mark.parametrize(("code", "shown"), SAMPLES.items())
def test_each_verdict_has_its_sample(code: str, shown: str) -> None:
    verdict = check(shown)
    assert verdict.verdict == code
    assert verdict.action == ADVICE_BY_VERDICT[code]
    low, high = RISK_BANDS[code]
    assert low <= verdict.risk <= high


@pytest.mark.parametrize(
    ("shown", "winner", "also"),
    [
        # lookalike > international > invalid
        ("+2952570110", "police-lookalike", {"international", "malformed"}),
        ("+1 212 555 0110", "police-lookalike", {"international"}),
        # lookalike (international form) > police-number > international
        ("+81 3 3346 0110", "police-lookalike", {"japanese-number-from-abroad"}),
        # international > invalid
        ("+1 875 555 1234", "international", {"malformed"}),
        ("+2951234567", "international", {"malformed"}),
        # police-lookalike > invalid
        ("0335814321abc", "police-lookalike", {"malformed"}),
    ],
)
def test_precedence_when_several_rules_fire(shown: str, winner: str, also: set[str]) -> None:
    verdict = check(shown)
    assert verdict.verdict == winner
    assert also <= set(codes(verdict))
    assert RULES[verdict.reasons[0].code][0] == winner  # the deciding reason comes first


def test_absence_codes_get_their_caution_verdicts() -> None:
    expected = {"P": "withheld", "O": "unavailable", "C": "payphone", "S": "unavailable"}
    for code, verdict_code in expected.items():
        for caller in (CallerID("ntt", absence=code), CallerID("text", number=code)):
            verdict = screen(caller, EMPTY, CONFIG)
            assert (verdict.verdict, verdict.action, verdict.number) == (verdict_code, "warn", code)
    assert codes(screen(CallerID("ntt", absence="S"), EMPTY, CONFIG)) == ["service-conflict"]


def test_a_record_with_no_number_and_no_reason_is_unavailable() -> None:
    verdict = screen(CallerID("sdmf"), EMPTY, CONFIG)
    assert verdict.verdict == "unavailable" and codes(verdict) == ["no-number"]
    odd = screen(CallerID("ntt", absence="Z"), EMPTY, CONFIG)
    assert odd.verdict == "unavailable" and "Z" in odd.reasons[0].detail


def test_number_wins_over_absence_when_both_are_present() -> None:
    verdict = screen(CallerID("mdmf", number="03-3346-0110", absence="P"), EMPTY, CONFIG)
    assert verdict.verdict == "police-number" and verdict.input == "03-3346-0110"


def test_ip_phone_050_is_domestic_and_ordinary() -> None:
    verdict = check("050-1234-5678")
    assert verdict.verdict == "ordinary" and verdict.country == "JP"
    assert "IP phone" in verdict.reasons[0].detail and "IP電話" in verdict.reasons[0].detail_ja


def test_japanese_number_shown_from_abroad_is_international() -> None:
    verdict = check("+81 90 1234 5678")
    assert verdict.verdict == "international" and codes(verdict) == ["japanese-number-from-abroad"]


# --------------------------------------------------------------------------- the lists


@pytest.mark.parametrize(
    ("code", "shown"),
    [
        ("international", "+1 212 555 1234"),
        ("withheld-free", "03-1234-5678"),
    ],
)
def test_allowlisted_numbers_lose_caution_verdicts(code: str, shown: str) -> None:
    expected = "ordinary" if code == "withheld-free" else code
    assert check(shown).verdict == expected
    lists = FamilyLists(allow=[ListEntry("allow", shown, "family")])
    verdict = check(shown, lists)
    assert (verdict.verdict, verdict.action, verdict.risk) == ("allowlisted", "allow", 0)
    assert not verdict.flagged
    assert verdict.reasons[0].code == "allowlisted" and "family" in verdict.reasons[0].detail
    if expected != "ordinary":  # what the rules found is kept as a note for the family
        assert len(verdict.reasons) > 1 and "ordinary" not in codes(verdict)


@pytest.mark.parametrize(
    ("code", "shown"),
    [
        ("police-lookalike", "03-3581-4311"),
        ("police-lookalike", "+1 212 555 0110"),
        ("police-lookalike", "+81 3 3581 4321"),
        ("police-number", "03-3581-4321"),
        ("police-number", "03-3346-0110"),
        ("police-number", "03-5555-0110"),
    ],
)
def test_an_allow_entry_never_silences_a_police_verdict(code: str, shown: str) -> None:
    """Fraudsters display genuine police numbers: a trusted entry must not turn them green."""
    plain = check(shown)
    lists = FamilyLists(allow=[ListEntry("allow", shown, "警視庁")])
    verdict = check(shown, lists)
    assert (verdict.verdict, verdict.action, verdict.risk) == (code, plain.action, plain.risk)
    assert verdict.flagged
    assert "allow-ignored-for-police" in codes(verdict)
    note = verdict.reasons[codes(verdict).index("allow-ignored-for-police")]
    assert "警視庁" in note.detail_ja and "never silences" in note.detail


def test_allowlisted_by_prefix_or_other_form() -> None:
    lists = FamilyLists(allow=[ListEntry("allow", "0312345678")])
    assert check("+81312345678", lists).verdict == "allowlisted"  # international form, normalised
    lists = FamilyLists(allow=[ListEntry("allow", "03-3581-*")])
    assert check("03-3581-4311", lists).verdict == "police-lookalike"
    assert check("03-3581-5678", lists).verdict == "allowlisted"


LISTABLE = [s for s in SAMPLES.values() if s not in ("P", "O", "C")]  # absence codes are not numbers


@pytest.mark.parametrize("shown", [*LISTABLE, "03-3581-4321", "+81 3 3581 4321", "0110", "12345678"])
def test_blocklisted_always_blocks(shown: str) -> None:
    lists = FamilyLists(allow=[ListEntry("allow", shown)], block=[ListEntry("block", shown, "nuisance")])
    verdict = check(shown, lists)
    assert (verdict.verdict, verdict.action, verdict.risk) == ("blocklisted", "block", 100)
    assert verdict.reasons[0].code == "blocklisted"


def test_conflict_is_explained() -> None:
    lists = FamilyLists(allow=[ListEntry("allow", "0120-444-444")], block=[ListEntry("block", "0120-*")])
    verdict = check("0120-444-444", lists)
    assert verdict.verdict == "allowlisted"
    assert codes(verdict)[:2] == ["allowlisted", "list-conflict"]
    assert "+81120*" in verdict.reasons[1].detail and "着信拒否" in verdict.reasons[1].detail_ja


def test_malformed_display_of_a_trusted_number_is_not_trusted() -> None:
    lists = FamilyLists(allow=[ListEntry("allow", "03-1234-5678")])
    assert check("03-1234-5678", lists).verdict == "allowlisted"
    assert check("03-1234-5678#", lists).verdict == "invalid"


# --------------------------------------------------------------------------- risk, reasons, words

ALL_DISPLAYS = [*SAMPLES.values(), "S", "", "abc", "+81 3 3581 4321", "03-3581-4311", "0110", "090-1234-0110",
                "+1 800 0335814321", "+81 90 1234 5678", "0" * 200, "０３－３５８１－４３２１"]  # fmt: skip


def test_risk_follows_severity() -> None:
    bands = [RISK_BANDS[c] for c in VERDICT_CODES if c != "allowlisted"]
    for (low, _high), (_low2, high2) in zip(bands, bands[1:], strict=False):
        assert low > high2  # each band sits wholly above the next less serious one
    for shown in ALL_DISPLAYS:
        verdict = check(shown)
        low, high = RISK_BANDS[verdict.verdict]
        assert low <= verdict.risk <= high, (shown, verdict.verdict, verdict.risk)


def test_every_reason_is_explained_in_both_languages() -> None:
    for shown in ALL_DISPLAYS:
        verdict = check(shown)
        assert verdict.reasons, shown
        for reason in verdict.reasons:
            assert reason.code in RULES
            assert reason.detail and "{" not in reason.detail
            assert JAPANESE.search(reason.detail_ja) and "{" not in reason.detail_ja


def test_messages_cover_every_code_and_language() -> None:
    for code in VERDICT_CODES:
        for lang in ("en", "ja"):
            assert messages.verdict_text(code, lang) and messages.advice_text(code, lang)
        assert JAPANESE.search(messages.verdict_text(code, "ja"))
    assert set(RULES) == set(messages.REASONS)
    assert "#9110" in messages.advice_text("police-number", "ja")
    with pytest.raises(KeyError):
        messages.verdict_text("no-such-verdict", "en")
    with pytest.raises(ValueError, match="language"):
        messages.advice_text("ordinary", "fr")


def test_verdict_json_has_design_shape() -> None:
    data = check("03-3581-4311").to_json()
    assert list(data) == [
        "input",
        "number",
        "e164",
        "display",
        "country",
        "verdict",
        "risk",
        "action",
        "reasons",
    ]
    assert data["number"] == "0335814311" and data["e164"] == "+81335814311" and data["country"] == "JP"
    assert data["reasons"][0]["code"] == "police-one-off" and set(data["reasons"][0]) == {"code", "detail"}


# --------------------------------------------------------------------------- purity


def test_screen_does_no_io_and_reads_no_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    config = ScreenConfig()  # the directory is loaded before the guard goes up

    def forbidden(*_args, **_kwargs):
        raise AssertionError("screen() must not do I/O or read the clock")

    for name in ("open",):
        monkeypatch.setattr(builtins, name, forbidden)
    monkeypatch.setattr(socket, "socket", forbidden)
    for name in ("time", "monotonic", "perf_counter", "time_ns"):
        monkeypatch.setattr(time, name, forbidden)
    for shown in ALL_DISPLAYS:
        screen_display(shown, EMPTY, config)
    screen(CallerID("ntt", number="03-3346-0110"), EMPTY, config)


def test_same_input_same_verdict() -> None:
    assert check("+1 (875) 555-0110") == check("+1 (875) 555-0110")


def test_unknown_region_in_config_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown region"):
        ScreenConfig(region="XX")
    assert ScreenConfig(region="jp").region == "JP"


def test_a_bare_country_code_reads_as_that_country_in_plain_words() -> None:
    verdict = screen_display("+81", EMPTY, CONFIG)
    assert verdict.verdict == "international" and verdict.country == "JP"
    details = " ".join(r.detail for r in verdict.reasons)
    assert "(JP, +81)" in details and "too short" in details
    assert "nobody uses" not in details and "no digits" not in details
