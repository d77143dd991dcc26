"""What one rule concluded: the verdict it argues for, how risky, and why in words.

Every rule of the screening engine is a row of `RULES`: its reason code, the verdict it
pushes towards and its risk. The engine collects findings from all rules that fired and
picks the verdict by precedence; keeping the table here makes the whole rule book one
screenful (docs/screening.md repeats it for people).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from callerid.model import Reason, ReasonCode, VerdictCode
from callerid.screen.messages import reason

#: reason code -> (verdict it argues for, or None for a note; risk 0-100).
#: Risks sit in bands that follow the verdicts' severity, so `risk` and `verdict` never disagree.
RULES: Mapping[ReasonCode, tuple[VerdictCode | None, int]] = {
    ReasonCode.BLOCKLISTED: (VerdictCode.BLOCKLISTED, 100),
    ReasonCode.POLICE_INTERNATIONAL_FORM: (VerdictCode.POLICE_LOOKALIKE, 98),
    ReasonCode.POLICE_DIGITS: (VerdictCode.POLICE_LOOKALIKE, 96),
    ReasonCode.POLICE_ENDING: (VerdictCode.POLICE_LOOKALIKE, 95),  # 92 when it ends in 110 but not 0110
    ReasonCode.POLICE_ONE_OFF: (VerdictCode.POLICE_LOOKALIKE, 90),
    ReasonCode.POLICE_KNOWN: (VerdictCode.POLICE_NUMBER, 80),
    ReasonCode.POLICE_PATTERN: (VerdictCode.POLICE_NUMBER, 70),
    ReasonCode.POLICE_AREA_PATTERN: (VerdictCode.POLICE_NUMBER, 70),
    ReasonCode.JAPANESE_NUMBER_FROM_ABROAD: (VerdictCode.INTERNATIONAL, 65),
    ReasonCode.INTERNATIONAL: (VerdictCode.INTERNATIONAL, 60),
    ReasonCode.WITHHELD: (VerdictCode.WITHHELD, 50),
    ReasonCode.UNAVAILABLE: (VerdictCode.UNAVAILABLE, 45),
    ReasonCode.SERVICE_CONFLICT: (VerdictCode.UNAVAILABLE, 45),
    ReasonCode.NO_NUMBER: (VerdictCode.UNAVAILABLE, 45),
    ReasonCode.PAYPHONE: (VerdictCode.PAYPHONE, 35),
    ReasonCode.MALFORMED: (VerdictCode.INVALID, 30),
    ReasonCode.ORDINARY: (VerdictCode.ORDINARY, 5),
    ReasonCode.ALLOWLISTED: (VerdictCode.ALLOWLISTED, 0),
    ReasonCode.LIST_CONFLICT: (None, 0),
    ReasonCode.ALLOW_IGNORED_FOR_POLICE: (None, 0),
}

#: Risk of each verdict's band: (lowest, highest). Allowlisted is 0 although it outranks ordinary:
#: precedence says which verdict wins, risk says how worried to be, and the family vouched for it.
RISK_BANDS: Mapping[VerdictCode, tuple[int, int]] = {
    VerdictCode.BLOCKLISTED: (100, 100),
    VerdictCode.POLICE_LOOKALIKE: (90, 99),
    VerdictCode.POLICE_NUMBER: (70, 89),
    VerdictCode.INTERNATIONAL: (55, 69),
    VerdictCode.WITHHELD: (50, 54),
    VerdictCode.UNAVAILABLE: (40, 49),
    VerdictCode.PAYPHONE: (35, 39),
    VerdictCode.INVALID: (25, 34),
    VerdictCode.ORDINARY: (5, 5),
    VerdictCode.ALLOWLISTED: (0, 0),
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule that fired."""

    verdict: VerdictCode | None
    risk: int
    reason: Reason


def finding(code: ReasonCode, *, risk: int | None = None, **fields: object) -> Finding:
    """The finding for reason `code`, with its words filled from `fields`."""
    verdict, default_risk = RULES[code]
    return Finding(
        verdict=verdict, risk=default_risk if risk is None else risk, reason=reason(code, **fields)
    )


__all__ = ["RISK_BANDS", "RULES", "Finding", "finding"]
