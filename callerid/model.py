"""Frozen records shared by every stage of the pipeline.

Data flows one way (DESIGN.md): decode makes `CallerID`, screen makes `Verdict`,
the appliance joins them into a `CallRecord` that the store keeps. Keeping these
immutable means no stage can change what an earlier stage saw.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

#: Caller-ID wire formats, as named in the JSON contract.
FORMATS = ("text", "sdmf", "mdmf", "etsi", "ntt")


class VerdictCode(StrEnum):
    """What a call is (DESIGN.md), most serious first: the order is the precedence."""

    BLOCKLISTED = "blocklisted"
    POLICE_LOOKALIKE = "police-lookalike"
    POLICE_NUMBER = "police-number"
    INTERNATIONAL = "international"
    WITHHELD = "withheld"
    UNAVAILABLE = "unavailable"
    PAYPHONE = "payphone"
    INVALID = "invalid"
    ALLOWLISTED = "allowlisted"
    ORDINARY = "ordinary"


#: Verdict codes, most serious first (DESIGN.md).
VERDICT_CODES: tuple[VerdictCode, ...] = tuple(VerdictCode)


class Advice(StrEnum):
    """The screening engine's own suggestion (`check --json`'s "action"), least to most drastic.

    Not to be confused with `Action`: the policy turns a verdict into household actions.
    """

    ALLOW = "allow"
    NONE = "none"
    WARN = "warn"
    BLOCK = "block"


class Action(StrEnum):
    """What the appliance can do about a call (the policy's vocabulary, the log's "actions")."""

    WARN_HOUSEHOLD = "warn-household"
    PANEL = "panel"
    BLOCK = "block"
    WARN_CALLER = "warn-caller"
    NOTIFY = "notify"
    RECORD = "record"  # join the call once the household answers, announce, record (docs/recording.md)


class ListKind(StrEnum):
    """The family's two lists."""

    ALLOW = "allow"
    BLOCK = "block"


class Absence(StrEnum):
    """Why no number was shown (NTT / Bellcore / ETSI absence codes), one word each."""

    WITHHELD = "P"
    OUT_OF_AREA = "O"
    PAYPHONE = "C"
    SERVICE_CONFLICT = "S"

    @property
    def word(self) -> str:
        """How the log, the panel, the terminal and the website name it."""
        return _ABSENCE_WORDS[self]

    @classmethod
    def word_for(cls, code: str | None, default: str = "no number") -> str:
        """The word for a code as the line sent it (None or an unknown code gives `default`)."""
        try:
            return cls(code).word
        except ValueError:
            return default


_ABSENCE_WORDS = {
    Absence.WITHHELD: "withheld",
    Absence.OUT_OF_AREA: "out of area",
    Absence.PAYPHONE: "payphone",
    Absence.SERVICE_CONFLICT: "service conflict",
}


class ReasonCode(StrEnum):
    """Why a verdict was reached: one code per screening rule (`Reason.code`)."""

    BLOCKLISTED = "blocklisted"
    ALLOWLISTED = "allowlisted"
    LIST_CONFLICT = "list-conflict"
    ALLOW_IGNORED_FOR_POLICE = "allow-ignored-for-police"
    POLICE_INTERNATIONAL_FORM = "police-international-form"
    POLICE_DIGITS = "police-digits"
    POLICE_ENDING = "police-ending"
    POLICE_ONE_OFF = "police-one-off"
    POLICE_KNOWN = "police-known"
    POLICE_PATTERN = "police-pattern"
    POLICE_AREA_PATTERN = "police-area-pattern"
    JAPANESE_NUMBER_FROM_ABROAD = "japanese-number-from-abroad"
    INTERNATIONAL = "international"
    WITHHELD = "withheld"
    UNAVAILABLE = "unavailable"
    SERVICE_CONFLICT = "service-conflict"
    NO_NUMBER = "no-number"
    PAYPHONE = "payphone"
    MALFORMED = "malformed"
    ORDINARY = "ordinary"


class ModemState(StrEnum):
    """The modem's health as the driver reports it and the website shows it."""

    STARTING = "starting"  # the appliance has not heard from the driver yet
    READY = "ready"  # initialised and listening
    LOST = "lost"  # port vanished or the modem stopped answering
    RECOVERING = "recovering"  # reopening / re-initialising
    ERROR = "error"  # an action failed (the modem stays in service)


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

    code: ReasonCode
    detail: str
    detail_ja: str = ""
    #: The police line the reason is about ("新宿警察署"), for the spoken warning; not in the JSON.
    subject_ja: str = ""
    subject_en: str = ""

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
    verdict: VerdictCode
    risk: int
    action: Advice
    reasons: tuple[Reason, ...] = ()

    @property
    def flagged(self) -> bool:
        """True when the household should be warned or the call was blocked."""
        return self.action in (Advice.WARN, Advice.BLOCK)

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

    kind: ListKind
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
    actions: tuple[Action, ...] = ()
    reviewed: bool = False
    id: int | None = None
    #: What the modem did with a hang-up the policy asked for (block, warn the caller): True when
    #: it reached the line, False when it failed or was dropped, None when none was asked (or the
    #: driver has not said yet). `actions` lose "block"/"warn-caller" when this is False.
    hang_up_done: bool | None = None
    #: Names this call from the moment it is screened, before the log gives it an `id`: the alert
    #: sinks see the record first (a call never waits on the disk). Not stored; "" when read back.
    key: str = field(default="", compare=False)

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
            "hang_up_done": self.hang_up_done,
        }


__all__ = [
    "FORMATS",
    "VERDICT_CODES",
    "Absence",
    "Action",
    "Advice",
    "CallRecord",
    "CallerID",
    "ListEntry",
    "ListKind",
    "ModemState",
    "Reason",
    "ReasonCode",
    "Verdict",
    "VerdictCode",
]
