"""One decision per call: `screen(caller, lists, config) -> Verdict`.

Every rule that fires leaves a `Finding` (a verdict it argues for, a risk, a reason in
English and Japanese). The verdict is the most serious one by DESIGN.md's precedence:

    blocklisted > police-lookalike > police-number > international > withheld
    > unavailable > payphone > invalid > allowlisted > ordinary

with one deliberate exception: a number the family allowlisted never gets a caution verdict
(international, withheld, ...), but it keeps a police verdict: fraudsters display genuine police
numbers, so a trusted entry must not silence them. When both lists match, the more
specific entry decides and block wins a tie (see lists.py). The reasons keep every rule
that fired, the deciding ones first, so the website can say "allowed by your list; note:
this is a police number".

Pure: no I/O, no clock. The police directory is loaded once, outside, into `ScreenConfig`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from callerid.model import (
    VERDICT_CODES,
    Absence,
    Advice,
    CallerID,
    ListKind,
    ReasonCode,
    Verdict,
    VerdictCode,
)
from callerid.screen.findings import Finding, finding
from callerid.screen.lists import FamilyLists, ListDecision
from callerid.screen.messages import label_fields, other_list, problem_text, type_text
from callerid.screen.numbers import Number, absent, normalise, region_facts
from callerid.screen.police import PoliceDirectory, PoliceEntry, default_directory, police_findings

#: The engine's advice for each verdict (callerid.policy turns a verdict into household actions).
#: Caution verdicts warn: about nine in ten fake-police calls come from abroad or hide the
#: number. An invalid number only lights the panel: no real caller shows one, but a modem
#: glitch can, and a voice warning for glitches would teach the household to ignore warnings.
ADVICE_BY_VERDICT: Mapping[VerdictCode, Advice] = MappingProxyType(
    {
        VerdictCode.BLOCKLISTED: Advice.BLOCK,
        VerdictCode.POLICE_LOOKALIKE: Advice.BLOCK,
        VerdictCode.POLICE_NUMBER: Advice.WARN,
        VerdictCode.INTERNATIONAL: Advice.WARN,
        VerdictCode.WITHHELD: Advice.WARN,
        VerdictCode.UNAVAILABLE: Advice.WARN,
        VerdictCode.PAYPHONE: Advice.WARN,
        VerdictCode.INVALID: Advice.NONE,
        VerdictCode.ALLOWLISTED: Advice.ALLOW,
        VerdictCode.ORDINARY: Advice.NONE,
    }
)

_RANK = {code: index for index, code in enumerate(VERDICT_CODES)}
#: Verdicts no allow-list entry can lower: fraudsters display genuine police numbers.
POLICE_VERDICTS = frozenset({VerdictCode.POLICE_LOOKALIKE, VerdictCode.POLICE_NUMBER})
#: absence code -> the rule (reason code) it triggers.
_ABSENCE_RULES = {
    Absence.WITHHELD: ReasonCode.WITHHELD,
    Absence.OUT_OF_AREA: ReasonCode.UNAVAILABLE,
    Absence.PAYPHONE: ReasonCode.PAYPHONE,
    Absence.SERVICE_CONFLICT: ReasonCode.SERVICE_CONFLICT,
}


@dataclass(frozen=True)
class ScreenConfig:
    """The engine's settings: the household's region and the police directory (loaded once)."""

    region: str = "JP"
    police: PoliceDirectory = field(default_factory=default_directory)

    def __post_init__(self) -> None:
        object.__setattr__(self, "region", (self.region or "JP").upper())
        region_facts(self.region)  # ValueError now for an unknown region, not at the first call

    def with_household_police(self, extra: Iterable[PoliceEntry]) -> ScreenConfig:
        """The same settings with the household's own police numbers added (from the website)."""
        return replace(self, police=self.police.with_household(extra))


def screen(caller: CallerID, lists: FamilyLists, config: ScreenConfig) -> Verdict:
    """The verdict for one caller-ID record (number, or absence code, or nothing at all)."""
    if caller.number is not None and caller.number.strip():
        number = normalise(caller.number, config.region)
    elif caller.absence:
        number = absent(caller.absence, caller.absence, config.region)
    else:
        number = normalise("", config.region)
    return judge(number, lists, config)


def screen_display(displayed: str, lists: FamilyLists, config: ScreenConfig) -> Verdict:
    """The verdict for a display as typed or shown (`callerid check`): a number or P/O/C/S."""
    return judge(normalise(displayed, config.region), lists, config)


def number_findings(number: Number, config: ScreenConfig) -> list[Finding]:
    """Every rule that fires on the number itself, before the family's lists are consulted."""
    if number.absence is not None:
        rule = _ABSENCE_RULES.get(number.absence)
        if rule is None:
            return [
                finding(
                    ReasonCode.NO_NUMBER,
                    code_en=f" (unknown code {number.absence})",
                    code_ja=f"（不明な理由 {number.absence}）",
                )
            ]
        return [finding(rule)]
    if number.problem == "empty":
        return [finding(ReasonCode.NO_NUMBER, code_en="", code_ja="")]
    found = police_findings(number, config.police)
    home_cc = region_facts(config.region)[0]
    if number.international:
        if number.valid and number.country_code == home_cc:
            found.append(finding(ReasonCode.JAPANESE_NUMBER_FROM_ABROAD, national=number.national))
        else:
            found.append(finding(ReasonCode.INTERNATIONAL, **_where(number)))
    if not number.valid:
        found.append(
            finding(
                ReasonCode.MALFORMED,
                shown=number.shown[:40] or number.display[:40],
                problem_en=problem_text(number.problem, "en"),
                problem_ja=problem_text(number.problem, "ja"),
            )
        )
    if not found:
        found.append(
            finding(
                ReasonCode.ORDINARY,
                type_en=type_text(number.number_type, "en"),
                type_ja=type_text(number.number_type, "ja"),
                where_en="",
                where_ja="",
            )
        )
    return found


def _where(number: Number) -> dict[str, str]:
    if number.country and number.country_code:
        place = f"{number.country}, +{number.country_code}"
        return {"where_en": place, "where_ja": place}
    if number.country_code:  # non-geographic, e.g. +808 shared-cost
        place = f"+{number.country_code}"
        return {"where_en": f"no country, {place}", "where_ja": f"国なし、{place}"}
    return {"where_en": "a country code nobody uses", "where_ja": "存在しない国番号"}


def judge(number: Number, lists: FamilyLists, config: ScreenConfig) -> Verdict:
    """Combine the number's findings with the family's lists into one Verdict."""
    found = number_findings(number, config)
    decision = lists.decide(number) if number.absence is None and number.digits else None
    if decision is not None and not _allow_meets_police(decision, found):
        return _listed(number, decision, found)
    if decision is not None:  # a trusted entry never silences a police verdict; say it was seen
        label = label_fields(decision.winner.entry.label)
        ignored = finding(ReasonCode.ALLOW_IGNORED_FOR_POLICE, pattern=decision.winner.pattern, **label)
        found = [*found, ignored]
    verdict = min((f.verdict for f in found if f.verdict), key=_RANK.__getitem__)
    deciding = sorted((f for f in found if f.verdict == verdict), key=lambda f: -f.risk)
    others = sorted(
        (f for f in found if f.verdict != verdict), key=lambda f: (_RANK.get(f.verdict or "", 99), -f.risk)
    )
    return _verdict(number, verdict, deciding[0].risk, [*deciding, *others])


def _allow_meets_police(decision: ListDecision, found: list[Finding]) -> bool:
    """An allow entry decided, but the number itself is a police verdict: police wins (DESIGN.md)."""
    return decision.winner.entry.kind == ListKind.ALLOW and any(f.verdict in POLICE_VERDICTS for f in found)


def _listed(number: Number, decision: ListDecision, found: list[Finding]) -> Verdict:
    winner = decision.winner
    kind = winner.entry.kind
    blocked = kind == ListKind.BLOCK
    code = VerdictCode.BLOCKLISTED if blocked else VerdictCode.ALLOWLISTED
    rule = ReasonCode.BLOCKLISTED if blocked else ReasonCode.ALLOWLISTED
    head = [finding(rule, pattern=winner.pattern, **label_fields(winner.entry.label))]
    if decision.overruled is not None:
        head.append(
            finding(
                ReasonCode.LIST_CONFLICT,
                pattern=decision.overruled.pattern,
                **other_list(decision.overruled.entry.kind),
            )
        )
    notes = sorted(
        (f for f in found if f.verdict != VerdictCode.ORDINARY),
        key=lambda f: (_RANK.get(f.verdict or "", 99), -f.risk),
    )
    return _verdict(number, code, head[0].risk, [*head, *notes])


def _verdict(number: Number, code: VerdictCode, risk: int, findings: list[Finding]) -> Verdict:
    return Verdict(
        input=number.input,
        number=number.shown,
        e164=number.e164,
        display=number.display,
        country=number.country,
        verdict=code,
        risk=risk,
        action=ADVICE_BY_VERDICT[code],
        reasons=tuple(f.reason for f in findings),
    )


__all__ = [
    "ADVICE_BY_VERDICT",
    "POLICE_VERDICTS",
    "ScreenConfig",
    "judge",
    "number_findings",
    "screen",
    "screen_display",
]
