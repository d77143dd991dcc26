"""Realistic CallRecords for the store, log and list tests (no screening engine needed)."""

from __future__ import annotations

import itertools

from callerid.model import CallerID, CallRecord, Reason, Verdict

#: Strings a caller (or a modem) can put in a name field, and that must come back unchanged.
HOSTILE = (
    "<script>alert('x')</script>",
    "'; DROP TABLE calls; --",
    "Robert'); DELETE FROM lists WHERE ('1'='1",
    '"quoted" \\backslash\\ 100% _under_',
    "ctrl:\x00\x01\x07\x08\x1b[31mred\x1b[0m\r\n\t\x7f\x9b",
    "bidi:\u202egnp.exe\u202c zero\u200bwidth",
    "日本語の名前　ヤマダ タロウ 🚓",
    "x" * 10_000,
)

_counter = itertools.count(1)


def make_record(
    *,
    number: str | None = "0335814321",
    name: str | None = "KEISHICHO",
    absence: str | None = None,
    verdict: str = "police-number",
    action: str = "warn",
    actions: tuple[str, ...] = ("warn-household", "panel"),
    received_at: str = "2026-11-25T09:30:00+09:00",
    raw: bytes = b"",
    reviewed: bool = False,
    e164: str | None = "+81335814321",
    display: str | None = None,
) -> CallRecord:
    """One call as the appliance would log it; every field is set so round trips test them all."""
    serial = next(_counter)
    caller = CallerID(
        format="mdmf",
        number=number,
        name=name,
        absence=absence,
        name_absence=None if name else "P",
        date="1125",
        time="0930",
        checksum_ok=True,
        raw=raw or bytes([0x80, serial % 256]) + (number or "").encode(),
        extras=(("MESG", "110101"), ("SERIAL", str(serial))),
    )
    shown = display if display is not None else (number or absence or "")
    result = Verdict(
        input=number or absence or "",
        number=number or "",
        e164=e164 if number else None,
        display=shown,
        country="JP" if number else None,
        verdict=verdict,
        risk=80 if action in ("warn", "block") else 0,
        action=action,
        reasons=(
            Reason(verdict, f"because of rule {serial}", f"規則{serial}のため"),
            Reason(
                "call-back", "Hang up and call back on a number you look up yourself.", "一度切ってください。"
            ),
        ),
    )
    return CallRecord(
        received_at=received_at, caller=caller, verdict=result, actions=actions, reviewed=reviewed
    )


def ordinary(number: str = "0312345678", **kwargs: object) -> CallRecord:
    return make_record(
        number=number,
        name=kwargs.pop("name", "TANAKA"),  # type: ignore[arg-type]
        verdict="ordinary",
        action="none",
        actions=(),
        e164="+81" + number[1:],
        **kwargs,  # type: ignore[arg-type]
    )
