"""What one rule concluded: the verdict it argues for, how risky, and why in words.

Every rule of the screening engine is a row of `RULES`: its reason code, the verdict it
pushes towards and its risk. The engine collects findings from all rules that fired and
picks the verdict by precedence; keeping the table here makes the whole rule book one
screenful (docs/screening.md repeats it for people).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from callerid.model import Reason
from callerid.screen.messages import reason

#: reason code -> (verdict it argues for, or None for a note; risk 0-100).
#: Risks sit in bands that follow the verdicts' severity, so `risk` and `verdict` never disagree.
RULES: Mapping[str, tuple[str | None, int]] = {
    "blocklisted": ("blocklisted", 100),
    "police-international-form": ("police-lookalike", 98),
    "police-digits": ("police-lookalike", 96),
    "police-ending": ("police-lookalike", 95),  # 92 when it ends in 110 but not 0110
    "police-one-off": ("police-lookalike", 90),
    "police-known": ("police-number", 80),
    "police-pattern": ("police-number", 70),
    "police-area-pattern": ("police-number", 70),
    "japanese-number-from-abroad": ("international", 65),
    "international": ("international", 60),
    "withheld": ("withheld", 50),
    "unavailable": ("unavailable", 45),
    "service-conflict": ("unavailable", 45),
    "no-number": ("unavailable", 45),
    "payphone": ("payphone", 35),
    "malformed": ("invalid", 30),
    "ordinary": ("ordinary", 5),
    "allowlisted": ("allowlisted", 0),
    "list-conflict": (None, 0),
    "allow-ignored-for-police": (None, 0),
}

#: Risk of each verdict's band: (lowest, highest). Allowlisted is 0 although it outranks ordinary:
#: precedence says which verdict wins, risk says how worried to be, and the family vouched for it.
RISK_BANDS: Mapping[str, tuple[int, int]] = {
    "blocklisted": (100, 100),
    "police-lookalike": (90, 99),
    "police-number": (70, 89),
    "international": (55, 69),
    "withheld": (50, 54),
    "unavailable": (40, 49),
    "payphone": (35, 39),
    "invalid": (25, 34),
    "ordinary": (5, 5),
    "allowlisted": (0, 0),
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule that fired."""

    verdict: str | None
    risk: int
    reason: Reason


def finding(code: str, *, risk: int | None = None, **fields: object) -> Finding:
    """The finding for reason `code`, with its words filled from `fields`."""
    verdict, default_risk = RULES[code]
    return Finding(
        verdict=verdict, risk=default_risk if risk is None else risk, reason=reason(code, **fields)
    )


__all__ = ["RISK_BANDS", "RULES", "Finding", "finding"]
