"""The settings of the parts that reach out: family notifications (`[notify]`), the health watch's
thresholds (`[health]`) and the text display (`[oled]`), with their checks.

Kept beside `callerid.config`, which merges `OUTPUT_SECTIONS` into its table of sections.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from callerid.config_checks import (
    HHMM,
    LANGUAGES,
    Invalid,
    boolean,
    choice,
    clock_time,
    integer,
    number,
    show,
    string,
    string_list,
)
from callerid.model import VERDICT_CODES, Action, VerdictCode

#: Verdicts that reach the family by default: the ones that mean fraud (DESIGN.md).
DEFAULT_NOTIFY_VERDICTS = (VerdictCode.BLOCKLISTED, VerdictCode.POLICE_LOOKALIKE, VerdictCode.POLICE_NUMBER)
#: The [notify] table is named after the policy's action.
NOTIFY_SECTION = Action.NOTIFY.value


@dataclass(frozen=True)
class NotifyConfig:
    """Family notifications (callerid.notify); the website's settings, when saved, take precedence."""

    urls: tuple[str, ...] = ()  # apprise URLs: secrets, never logged or shown in full
    verdicts: tuple[str, ...] = DEFAULT_NOTIFY_VERDICTS
    quiet_hours: str | None = None  # "22:00-07:00": held, then sent as one message when they end
    language: str = "ja"
    link: str | None = None  # the website's address for call links; None: http://callerid.local:PORT
    health: bool = True  # also tell the family when protection stops and when it is back
    digest: str = "off"  # off | daily | weekly (Mondays)
    digest_time: str = "08:00"
    flood_limit: int = 1  # calls sent one by one per minute; the rest of that minute: one summary
    retry_first_seconds: float = 5.0
    retry_max_seconds: float = 300.0


@dataclass(frozen=True)
class HealthConfig:
    """When the appliance says that protection is off (callerid.health)."""

    modem_grace_seconds: float = 60.0  # modem missing or not answering longer than this
    silent_days: float = 7.0  # no call at all for this many days (0: never)
    unavailable_calls: int = 5  # this many calls in a row without a number (0: never)
    min_free_mb: int = 50  # free space left for the call log


@dataclass(frozen=True)
class OledConfig:
    """The optional I2C text display (callerid.alert.oled)."""

    enabled: bool = False
    driver: str = "ssd1306"  # ssd1306 | sh1106
    i2c_port: int = 1
    address: int = 0x3C
    rotate: int = 0  # quarter turns
    language: str = "ja"
    hold_minutes: float = 30.0  # a flagged call stays shown this long unless acknowledged (burn-in)


def notify_urls(value: Any) -> tuple[str, ...]:
    urls = string_list(value)
    for position, url in enumerate(urls, 1):
        if "://" not in url:  # never quote the URL itself: it carries tokens and passwords
            raise Invalid(f"entry {position} is not an apprise URL (scheme://...)")
    return urls


def verdict_list(value: Any) -> tuple[str, ...]:
    codes = string_list(value)
    for code in codes:
        if code not in VERDICT_CODES:
            hint = difflib.get_close_matches(code, [str(c) for c in VERDICT_CODES], n=1)
            did = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise Invalid(f"unknown verdict {code!r}{did}")
    return tuple(VerdictCode(code) for code in codes)


def quiet_hours(value: Any) -> str | None:
    if value is False or value == "":
        return None
    if not isinstance(value, str) or not re.fullmatch(rf"\s*{HHMM}\s*-\s*{HHMM}\s*", value):
        raise Invalid(f"must be a range such as \"22:00-07:00\" (or false), not {show(value)}")
    start, end = (clock_time(part.strip()) for part in value.split("-"))
    if start == end:
        raise Invalid("start and end are the same time")
    return f"{start}-{end}"


def link(value: Any) -> str:
    text = string(value)
    if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", text):
        raise Invalid(f"must be the website address like \"http://callerid.local:8080\", not {show(value)}")
    return text.rstrip("/")


#: section -> (record, key -> check), merged into callerid.config's sections.
OUTPUT_SECTIONS: dict[str, tuple[type, dict[str, Any]]] = {
    NOTIFY_SECTION: (
        NotifyConfig,
        {
            "urls": notify_urls,
            "verdicts": verdict_list,
            "quiet_hours": quiet_hours,
            "language": choice(*LANGUAGES),
            "link": link,
            "health": boolean,
            "digest": choice("off", "daily", "weekly"),
            "digest_time": clock_time,
            "flood_limit": integer(1, 100),
            "retry_first_seconds": number(0.05, 3600),
            "retry_max_seconds": number(0.05, 86400),
        },
    ),
    "health": (
        HealthConfig,
        {
            "modem_grace_seconds": number(0.5, 86400),
            "silent_days": number(0, 365),
            "unavailable_calls": integer(0, 1000),
            "min_free_mb": integer(0, 100_000),
        },
    ),
    "oled": (
        OledConfig,
        {
            "enabled": boolean,
            "driver": choice("ssd1306", "sh1106"),
            "i2c_port": integer(0, 20),
            "address": integer(0x03, 0x77),
            "rotate": integer(0, 3),
            "language": choice(*LANGUAGES),
            "hold_minutes": number(0, 1440),
        },
    ),
}
