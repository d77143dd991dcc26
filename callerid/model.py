"""Frozen records shared by every stage of the pipeline.

Data flows one way (DESIGN.md): decode makes `CallerID`, screen makes `Verdict`,
the appliance joins them into a `CallRecord` that the store keeps. Keeping these
immutable means no stage can change what an earlier stage saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Caller-ID wire formats, as named in the JSON contract.
FORMATS = ("text", "sdmf", "mdmf", "etsi", "ntt")

#: Why no number was shown: private, out of area, public phone, service conflict.
ABSENCE_CODES = {
    "P": "private",
    "O": "unavailable",
    "C": "payphone",
    "S": "unavailable",
}

#: Verdict codes, most serious first (DESIGN.md).
VERDICT_CODES = (
    "blocklisted",
    "police-lookalike",
    "police-number",
    "international",
    "withheld",
    "unavailable",
    "payphone",
    "invalid",
    "allowlisted",
    "ordinary",
)

#: What the default policy does, least to most drastic.
ACTIONS = ("allow", "none", "warn", "block")


@dataclass(frozen=True, slots=True)
class CallerID:
    """One caller-ID record as the line delivered it, before any judgement."""

    format: str
    number: str | None = None
    name: str | None = None
    absence: str | None = None
    name_absence: str | None = None
    date: str | None = None  # MMDD
    time: str | None = None  # HHMM
    checksum_ok: bool | None = None
    raw: bytes = b""
    extras: tuple[tuple[str, str], ...] = ()  # unknown or secondary fields, e.g. ("MESG", "110101")

    def to_json(self) -> dict[str, Any]:
        """The `parse` / `decode-audio` JSON shape fixed by DESIGN.md."""
        return {
            "format": self.format,
            "number": self.number,
            "name": self.name,
            "absence": self.absence,
            "name_absence": self.name_absence,
            "date": self.date,
            "time": self.time,
            "checksum_ok": self.checksum_ok,
        }


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a verdict was reached, in words a family member understands."""

    code: str
    detail: str
    detail_ja: str = ""

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class Verdict:
    """The screening result for one displayed number (the `check --json` shape)."""

    input: str
    number: str
    e164: str | None
    display: str
    country: str | None
    verdict: str
    risk: int
    action: str
    reasons: tuple[Reason, ...] = ()

    @property
    def flagged(self) -> bool:
        """True when the household should be warned or the call was blocked."""
        return self.action in ("warn", "block")

    def to_json(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "number": self.number,
            "e164": self.e164,
            "display": self.display,
            "country": self.country,
            "verdict": self.verdict,
            "risk": self.risk,
            "action": self.action,
            "reasons": [r.to_json() for r in self.reasons],
        }


@dataclass(frozen=True, slots=True)
class ListEntry:
    """One line of the family's allow or block list.

    `pattern` is what the family typed: an exact number (`0312345678`,
    `+81312345678`) or a prefix ending in `*` (`03-3581-*`).
    """

    kind: str  # "allow" | "block"
    pattern: str
    label: str = ""
    id: int | None = None
    added_at: str | None = None  # ISO 8601 UTC


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One incoming call as logged: what the line said, what we decided, what we did."""

    received_at: str  # ISO 8601 with UTC offset
    caller: CallerID
    verdict: Verdict
    actions: tuple[str, ...] = ()
    reviewed: bool = False
    id: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The `callerid log --json` shape."""
        return {
            "id": self.id,
            "time": self.received_at,
            "number": self.caller.number,
            "name": self.caller.name,
            "absence": self.caller.absence,
            "verdict": self.verdict.verdict,
            "risk": self.verdict.risk,
            "reasons": [r.to_json() for r in self.verdict.reasons],
            "actions": list(self.actions),
            "reviewed": self.reviewed,
        }


__all__ = [
    "ABSENCE_CODES",
    "ACTIONS",
    "FORMATS",
    "VERDICT_CODES",
    "CallRecord",
    "CallerID",
    "ListEntry",
    "Reason",
    "Verdict",
]
