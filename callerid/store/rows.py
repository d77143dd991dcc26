"""Between `CallRecord`/`ListEntry` and table rows: every value SQLite can take, every row read back.

Stored vocabularies (verdict codes, actions, reason codes) come back as the `callerid.model`
StrEnums; a word this version does not know (a newer callerid wrote it) stays a plain string
rather than losing the call.
"""

from __future__ import annotations

import json
import sqlite3
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from callerid.model import (
    Action,
    Advice,
    CallerID,
    CallRecord,
    ListEntry,
    ListKind,
    Reason,
    ReasonCode,
    Verdict,
    VerdictCode,
)

#: Actions that mean the household was warned or the call was stopped (see `flagged`).
FLAGGING_ACTIONS = frozenset({Action.WARN_HOUSEHOLD, Action.WARN_CALLER, Action.BLOCK})

#: SQLite integers are 64-bit: a larger id cannot name a row, a larger limit means "no limit".
SQLITE_INT_MAX = 2**63 - 1

E = TypeVar("E", bound=StrEnum)


def vocabulary(kind: type[E], value: Any) -> E | Any:
    """The enum member for a stored word, or the word itself when this version does not know it."""
    try:
        return kind(value)
    except ValueError:
        return value


def text(value: str | None) -> str | None:
    """A str SQLite can take: lone surrogates (undecodable input) become U+FFFD instead of crashing."""
    if value is None:
        return None
    value = str(value)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in value)
    return value


def dumps(value: Any) -> str:
    # ensure_ascii keeps the JSON pure ASCII, so even lone surrogates round-trip exactly.
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"))


def loads_list(text: str | None) -> list[Any]:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def naive_iso(moment: datetime) -> str:
    # isoformat pads the year to four digits, so these strings sort like the instants they name.
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds")


def instants(received_at: str | None) -> tuple[str, str]:
    """(UTC instant, household wall-clock time) as sortable strings.

    A time without an offset is taken as this machine's local time; an unparseable one is filed
    under "now" so the call is still logged (received_at itself is kept verbatim).
    """
    try:
        moment = datetime.fromisoformat(str(received_at))
    except (TypeError, ValueError):
        moment = datetime.now().astimezone()
    if moment.tzinfo is None:
        moment = moment.astimezone()
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:  # year 1 with a positive offset and the like
        utc = moment.replace(tzinfo=UTC)
    return naive_iso(utc), naive_iso(moment)


def digits_of(text: str | None) -> str:
    return "".join(c for c in unicodedata.normalize("NFKC", text or "") if c.isascii() and c.isdigit())


def search_digits(values: Iterable[str | None]) -> str:
    """Every digit form of the number (as shown, E.164, national) for the number search."""
    seen: list[str] = []
    for value in values:
        digits = digits_of(value)
        if digits and digits not in seen:
            seen.append(digits)
    return " ".join(seen)


def is_flagged(default_action: str, actions: Sequence[str]) -> bool:
    """The household should have been warned or the call was stopped (Verdict.flagged, or what we did)."""
    return default_action in (Advice.WARN, Advice.BLOCK) or bool(FLAGGING_ACTIONS.intersection(actions))


def call_row(record: CallRecord) -> dict[str, Any]:
    caller, verdict = record.caller, record.verdict
    actions = tuple(str(a) for a in record.actions)
    at_utc, at_local = instants(record.received_at)
    return {
        "received_at": text(record.received_at),
        "format": text(caller.format),
        "number": text(caller.number),
        "name": text(caller.name),
        "absence": text(caller.absence),
        "name_absence": text(caller.name_absence),
        "cid_date": text(caller.date),
        "cid_time": text(caller.time),
        "checksum_ok": None if caller.checksum_ok is None else int(bool(caller.checksum_ok)),
        "raw": bytes(caller.raw or b""),
        "extras": dumps([[k, v] for k, v in caller.extras]),
        "v_input": text(verdict.input),
        "v_number": text(verdict.number),
        "e164": text(verdict.e164),
        "display": text(verdict.display),
        "country": text(verdict.country),
        "verdict": text(verdict.verdict),
        "risk": int(verdict.risk),
        "action": text(verdict.action),
        "reasons": dumps([[r.code, r.detail, r.detail_ja] for r in verdict.reasons]),
        "actions": dumps(list(actions)),
        "reviewed": int(bool(record.reviewed)),
        "hang_up_done": None if record.hang_up_done is None else int(record.hang_up_done),
        "at_utc": at_utc,
        "at_local": at_local,
        "flagged": int(is_flagged(verdict.action, actions)),
        "search_digits": search_digits((caller.number, verdict.number, verdict.e164, verdict.display)),
    }


CALL_COLUMNS = [
    "received_at", "format", "number", "name", "absence", "name_absence", "cid_date", "cid_time",
    "checksum_ok", "raw", "extras", "v_input", "v_number", "e164", "display", "country", "verdict",
    "risk", "action", "reasons", "actions", "reviewed", "at_utc", "at_local", "flagged", "search_digits",
    "hang_up_done",
]
INSERT_CALL = (
    f"INSERT INTO calls ({', '.join(CALL_COLUMNS)}) VALUES ({', '.join(':' + c for c in CALL_COLUMNS)})"
)


def reason(item: Any) -> Reason:
    if isinstance(item, dict):  # tolerate a hand-edited or future row
        code, detail, detail_ja = item.get("code", ""), item.get("detail", ""), item.get("detail_ja", "")
    else:
        code, detail, detail_ja = (list(item) + ["", "", ""])[:3]
    return Reason(vocabulary(ReasonCode, str(code)), str(detail), str(detail_ja))


def record_from_row(row: sqlite3.Row) -> CallRecord:
    caller = CallerID(
        format=row["format"],
        number=row["number"],
        name=row["name"],
        absence=row["absence"],
        name_absence=row["name_absence"],
        date=row["cid_date"],
        time=row["cid_time"],
        checksum_ok=None if row["checksum_ok"] is None else bool(row["checksum_ok"]),
        raw=bytes(row["raw"] or b""),
        extras=tuple((pair[0], pair[1]) for pair in loads_list(row["extras"]) if len(pair) == 2),
    )
    verdict = Verdict(
        input=row["v_input"],
        number=row["v_number"],
        e164=row["e164"],
        display=row["display"],
        country=row["country"],
        verdict=vocabulary(VerdictCode, row["verdict"]),
        risk=int(row["risk"]),
        action=vocabulary(Advice, row["action"]),
        reasons=tuple(reason(item) for item in loads_list(row["reasons"])),
    )
    return CallRecord(
        received_at=row["received_at"],
        caller=caller,
        verdict=verdict,
        actions=tuple(vocabulary(Action, a) for a in loads_list(row["actions"])),
        reviewed=bool(row["reviewed"]),
        id=int(row["id"]),
        hang_up_done=None if row["hang_up_done"] is None else bool(row["hang_up_done"]),
    )


def row_id(call_id: Any) -> int | None:
    """A call id SQLite can look up, or None (not a number, or beyond 64 bits: no such call)."""
    try:
        key = int(call_id)
    except (TypeError, ValueError, OverflowError):
        return None
    return key if -SQLITE_INT_MAX <= key <= SQLITE_INT_MAX else None


def entry_from_row(row: sqlite3.Row) -> ListEntry:
    return ListEntry(
        kind=vocabulary(ListKind, row["kind"]),
        pattern=row["pattern"],
        label=row["label"],
        id=int(row["id"]),
        added_at=row["added_at"],
    )
