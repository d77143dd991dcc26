"""Value checks for the TOML configuration: each takes a parsed value, returns it (normalised) or
raises `Invalid` with a message that the loader prefixes with the file and the key."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from typing import Any

Check = Callable[[Any], Any]

LANGUAGES = ("ja", "en")


class Invalid(ValueError):
    """A value problem, before the file and key are attached."""


def show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"must be true or false, not {show(value)}")
    return value


def number(low: float, high: float) -> Check:
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Invalid(f"must be a number from {low:g} to {high:g}, not {show(value)}")
        if not low <= value <= high:
            raise Invalid(f"must be from {low:g} to {high:g}, not {value:g}")
        return float(value)

    return check


def integer(low: int, high: int, *, allow_false: bool = False) -> Check:
    def check(value: Any) -> int | None:
        if allow_false and value is False:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            extra = " (or false for none)" if allow_false else ""
            raise Invalid(f"must be a whole number from {low} to {high}{extra}, not {show(value)}")
        if not low <= value <= high:
            raise Invalid(f"must be from {low} to {high}, not {value}")
        return value

    return check


def choice(*choices: str) -> Check:
    def check(value: Any) -> str:
        if value not in choices:
            hint = difflib.get_close_matches(str(value), choices, n=1) if isinstance(value, str) else []
            did = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise Invalid(f"must be one of {', '.join(repr(c) for c in choices)}, not {show(value)}{did}")
        return value

    return check


def string(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"must be a non-empty string, not {show(value)}")
    if any(ord(c) < 32 for c in value):
        raise Invalid("must not contain control characters")
    return value.strip()


def string_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise Invalid(f"must be a list of strings, e.g. [\"...\"], not {show(type(value).__name__)}")
    out = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise Invalid("must be a list of non-empty strings")
        if any(ord(c) < 32 for c in item):
            raise Invalid("must not contain control characters")
        out.append(item.strip())
    return tuple(out)


HHMM = r"([01]?[0-9]|2[0-3]):([0-5][0-9])"


def clock_time(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(HHMM, value.strip()):
        raise Invalid(f"must be a time of day such as \"08:00\", not {show(value)}")
    hours, minutes = value.strip().split(":")
    return f"{int(hours):02d}:{minutes}"
