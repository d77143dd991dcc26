"""Assemble caller-ID records from the formatted text a modem prints (`AT+VCID=1`, `AT#CID=1`).

A record is a handful of `KEY = value` lines (DATE, TIME, NMBR, NAME, MESG, ...) that arrive
between rings, mixed with RING, command echo and result codes. No line says "this record is
complete", so the assembler decides:

- at once, when a record has everything a full Bellcore record carries (date, time, number or
  reason, name or reason): the household hears the warning before the next ring;
- when a field repeats (DATE after DATE: a second call's record has started);
- on the next RING, or once `quiet_seconds` have passed without a new field (UK and Japanese lines
  send no NAME, some send no DATE/TIME at all);
- at the end of input (`flush`).

A one-line record (`--DATE = 0912--TIME = 1137--NMBR = ...--NAME = ...--`) is complete by itself.

Quirks of real captures (NCID's modem test data): `DDN_NMBR` or `DDN` (a Dialable Directory
Number) is the caller's number when no NMBR came; a date or time that cannot be (`TIME = 2423`,
`TIME = 12541`) is kept raw in `extras` as `invalid_date` / `invalid_time`, not accepted;
`NAME = PrivDirOff` with `NMBR = 0000000000` is a withheld (P) number and name.
The assembler never raises and never drops a record that carries a date, time, number, name or
reason; fragments that carry nothing but unknown fields (a stray MESG) are not calls and are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from callerid.decode.fields import date_of, time_of, to_ascii_digits
from callerid.model import CallerID

#: Field names as modems print them -> our field. Unknown `KEY = value` lines inside a record are
#: kept in `extras` under their own name.
FIELD_ALIASES = {
    "DATE": "date",
    "TIME": "time",
    "NMBR": "number",
    "NUMBER": "number",
    "CALLER NUMBER": "number",
    "CALLERID": "number",
    "CID": "number",
    "NAME": "name",
    "CALLER NAME": "name",
    "MESG": "mesg",
    # Dialable Directory Number: the caller's number in dialable form (some Rockwell and Bell
    # Canada lines print it instead of NMBR; NCID takes it as the number too).
    "DDN_NMBR": "ddn",
    "DDN": "ddn",
}

#: Fields whose repetition means a new record has begun.
_SINGLE = {"date", "time", "number", "name", "ddn"}
#: What a full record carries (a DDN stands in for the number).
_FULL = ({"date", "time", "number", "name"}, {"date", "time", "ddn", "name"})

#: Number or name values that mean "not shown", and why (P private, O unavailable, C payphone,
#: S service conflict). Compared upper-case with spaces, dashes and underscores removed.
ABSENCE_WORDS = {
    "P": "P",
    "PRIVATE": "P",
    "PRIVATECALLER": "P",
    "PRIVATENUMBER": "P",
    "PRIVAT": "P",
    "RESTRICTED": "P",
    "WITHHELD": "P",
    "ANONYMOUS": "P",
    "BLOCKED": "P",
    "PRIVDIROFF": "P",
    "PRIVDIR": "P",
    "HIDDEN": "P",
    "O": "O",
    "OUTOFAREA": "O",
    "UNAVAILABLE": "O",
    "NOTAVAILABLE": "O",
    "UNKNOWN": "O",
    "UNKNOWNNAME": "O",
    "UNKNOWNNUMBER": "O",
    "UNKNOWNCALLER": "O",
    "INTERNATIONAL": "O",
    "C": "C",
    "COIN": "C",
    "PAYPHONE": "C",
    "PUBLICPHONE": "C",
    "S": "S",
}

_KEY_LINE = re.compile(r"^\s*([A-Za-z][A-Za-z_ ]{0,15}?)\s*[=:]\s?(.*)$")
_RING = re.compile(r"^\s*RING(\s*[A-Z0-9]?)?\s*$", re.IGNORECASE)
_ONELINE_KEY = re.compile(r"^\s*([A-Za-z][A-Za-z_ ]{0,15}?)\s*=\s?(.*)$")
_NUMBER_CHARS = re.compile(r"[\s\-().\[\]/]")
_DIALABLE = re.compile(r"^\+?[0-9*#]+$")

MAX_VALUE = 80  # the caller controls the name; nothing on the line is longer than this
MAX_EXTRAS = 32  # a modem spewing MESG lines must not grow one record without bound
MAX_LINES = 64


#: In a NAME line only "private" and "unavailable" are reasons (a name "COIN" may be a name).
NAME_ABSENCE_WORDS = {word: code for word, code in ABSENCE_WORDS.items() if code in ("P", "O")}


def _absence_of(value: str, words: dict[str, str] = ABSENCE_WORDS) -> str | None:
    key = re.sub(r"[\s\-_]", "", value).upper()
    return words.get(key)


def name_absence_of(value: str) -> str | None:
    """The reason a NAME value stands for (P or O), or None when it is a name."""
    return _absence_of(value, NAME_ABSENCE_WORDS)


def is_ring(line: str) -> bool:
    """RING, a distinctive-ring variant (RING A, RING1), or `2` (RING as a numeric result code, ATV0)."""
    return line.strip() == "2" or bool(_RING.match(line))


def split_field(line: str) -> tuple[str, str, str] | None:
    """`KEY = value` (spaces or none, `=` or `:`) -> (KEY, our field, value), or None."""
    match = _KEY_LINE.match(line)
    if not match:
        return None
    key = " ".join(match.group(1).split()).upper()
    name = FIELD_ALIASES.get(key)
    if name is None:
        return None
    return key, name, match.group(2).strip()[:MAX_VALUE]


def split_oneline(line: str) -> list[tuple[str, str, str]] | None:
    """`--DATE = 0912--TIME = 1137--NMBR = ..--NAME = ..--` -> its fields, or None.

    A piece that is not `KEY = value`, or that repeats a key already seen in the line, belongs to
    the previous value (a name containing `--` or `NMBR = ` cannot forge a second number).
    """
    stripped = line.strip()
    if not stripped.startswith("--") or stripped.count("--") < 2:
        return None
    pieces = stripped.strip("-").split("--")
    fields: list[list[str]] = []
    seen: set[str] = set()
    for piece in pieces:
        match = _ONELINE_KEY.match(piece)
        key = " ".join(match.group(1).split()).upper() if match else ""
        name = FIELD_ALIASES.get(key) if match else None
        if match and name is not None and not (name in _SINGLE and name in seen):
            seen.add(name)
            fields.append([key, name, match.group(2)])
        elif fields:
            fields[-1][2] += "--" + piece
    if not fields:
        return None
    return [(k, n, v.strip()[:MAX_VALUE]) for k, n, v in fields]


def _is_zeros(value: str) -> bool:
    """0000000000: what some exchanges put in the number field when they will not show one."""
    cleaned = _NUMBER_CHARS.sub("", value)
    return len(cleaned) >= 4 and set(cleaned.lstrip("+")) == {"0"}


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit() and ch.isascii())


@dataclass
class _Pending:
    """A record being assembled: field name -> value, plus what arrived, in order."""

    fields: dict[str, str] = field(default_factory=dict)
    extras: list[tuple[str, str]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    last_at: float = 0.0

    def has_call_data(self) -> bool:
        return any(name in self.fields for name in _SINGLE)

    def is_full(self) -> bool:
        return any(self.fields.keys() >= full for full in _FULL)


def build_record(fields: dict[str, str], extras: list[tuple[str, str]], raw: bytes) -> CallerID:
    """Turn raw text fields into a `CallerID`, interpreting the words modems use for "not shown"."""
    out_extras = list(extras)
    number = absence = name = name_absence = date = time = None

    raw_number = fields.get("number")
    if raw_number is None:
        raw_number = fields.get("ddn")  # the caller's number, dialable form
    elif "ddn" in fields:
        out_extras.append(("DDN_NMBR", fields["ddn"]))
    if raw_number is not None:
        raw_number = to_ascii_digits(raw_number)  # ０３-… is a number, not "no number"
        absence = _absence_of(raw_number)
        cleaned = _NUMBER_CHARS.sub("", raw_number)
        if absence is not None:
            pass
        elif _is_zeros(cleaned):
            # 0000000000: some exchanges fill the field with zeros when they have no number.
            absence = "O"
            out_extras.append(("NMBR", raw_number))
        elif _DIALABLE.match(cleaned):
            number = cleaned
        elif _digits(raw_number):
            number = raw_number.strip()  # odd but has digits: keep it; screening calls it invalid
        else:
            absence = "O"
            if raw_number:
                out_extras.append(("NMBR", raw_number))

    raw_name = fields.get("name")
    if raw_name is not None:
        name_absence = name_absence_of(raw_name)
        if name_absence is None and raw_name:
            name = raw_name
        elif name_absence is None:
            name_absence = "O"

    raw_date = fields.get("date")
    if raw_date is not None:
        digits = _digits(raw_date)
        if len(digits) == 8 and "time" not in fields:
            fields = {**fields, "time": digits[4:]}  # DATE = MMDDhhmm
        date = date_of(digits[:4]) if len(digits) in (4, 8) else None
        if date is None and raw_date:
            out_extras.append(("invalid_date", raw_date))

    raw_time = fields.get("time")
    if raw_time is not None:
        time = time_of(_digits(raw_time))
        if time is None and raw_time:
            out_extras.append(("invalid_time", raw_time))

    if absence == "O" and name_absence == "P" and number is None and _is_zeros(raw_number or ""):
        absence = "P"  # NAME = PrivDirOff with NMBR = 0000000000: a private directory entry

    return CallerID(
        format="text",
        number=number,
        name=name,
        absence=absence,
        name_absence=name_absence,
        date=date,
        time=time,
        checksum_ok=None,
        raw=raw,
        extras=tuple(out_extras),
    )


class TextAssembler:
    """Streaming assembler for formatted caller-ID lines; see the module docstring for the rules."""

    def __init__(self, quiet_seconds: float = 1.5) -> None:
        self.quiet_seconds = quiet_seconds
        self._pending: _Pending | None = None

    # -- input -----------------------------------------------------------------------------
    def feed_line(self, line: str, now: float) -> list[CallerID]:
        """One line (without its terminator). Returns the records this line completed."""
        out = self.poll(now)
        if is_ring(line):
            out.extend(self._complete())
            return out
        oneline = split_oneline(line)
        if oneline is not None:
            out.extend(self._complete())
            for key, name, value in oneline:
                self._add(key, name, value, line, now)
            out.extend(self._complete())
            return out
        parsed = split_field(line)
        if parsed is None:
            return out  # echo, OK, ERROR, CONNECT, NO CARRIER, blank lines, garbage: not ours
        key, name, value = parsed
        if self._pending is not None and name in _SINGLE and name in self._pending.fields:
            out.extend(self._complete())
        self._add(key, name, value, line, now)
        if self._pending is not None and self._pending.is_full():
            out.extend(self._complete())
        return out

    def poll(self, now: float) -> list[CallerID]:
        """Complete the pending record if the line has been quiet for `quiet_seconds`."""
        deadline = self.deadline()
        if deadline is not None and now >= deadline:
            return self._complete()
        return []

    def deadline(self) -> float | None:
        """When `poll` should next be called; None when nothing is pending."""
        if self._pending is None:
            return None
        return self._pending.last_at + self.quiet_seconds

    def flush(self) -> list[CallerID]:
        """End of input: complete whatever is pending."""
        return self._complete()

    # -- internals ---------------------------------------------------------------------------
    def _add(self, key: str, name: str, value: str, line: str, now: float) -> None:
        pending = self._pending
        if pending is None:
            pending = self._pending = _Pending()
        if (not pending.lines or pending.lines[-1] != line) and len(pending.lines) < MAX_LINES:
            pending.lines.append(line)
        pending.last_at = now
        if name in _SINGLE:
            pending.fields[name] = value
        elif len(pending.extras) < MAX_EXTRAS:
            pending.extras.append(("MESG" if name == "mesg" else key, value))

    def _complete(self) -> list[CallerID]:
        pending, self._pending = self._pending, None
        if pending is None or not pending.has_call_data():
            return []
        raw = "\r\n".join(pending.lines).encode("utf-8", errors="replace")
        return [build_record(pending.fields, pending.extras, raw)]
