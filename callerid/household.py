"""The household's time zone: every time the family reads is on their clock, whatever the Pi's is.

The log keeps UTC instants (`at_utc`); an SD image left at UTC would otherwise show every call
nine hours off in Japan. The zone is a Store setting (changed on the website's /settings page),
defaulting to Asia/Tokyo in Japan and to this machine's zone elsewhere.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

if TYPE_CHECKING:
    from callerid.store import Store

ZONE_SETTING = "household.timezone"
#: The zone a region's households almost all live in; other regions default to this machine's zone.
REGION_ZONES = {"JP": "Asia/Tokyo"}
MAX_ZONE_NAME = 64


@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    """Every IANA zone name this machine knows, sorted (for the settings page's choice)."""
    return tuple(sorted(name for name in available_timezones() if "/" in name or name == "UTC"))


def parse_zone(name: str) -> ZoneInfo:
    """The zone called `name`, or ValueError with a one-line reason."""
    text = str(name or "").strip()
    if not text or len(text) > MAX_ZONE_NAME or ".." in text or text.startswith("/"):
        raise ValueError(f"{text[:MAX_ZONE_NAME]!r} is not a time zone name (e.g. Asia/Tokyo)")
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"{text!r} is not a time zone this machine knows (e.g. Asia/Tokyo)") from None


def default_zone(region: str) -> tzinfo:
    name = REGION_ZONES.get((region or "").upper())
    if name:
        try:
            return ZoneInfo(name)
        except ZoneInfoNotFoundError:  # no tzdata installed: fall through to the machine's zone
            pass
    return datetime.now().astimezone().tzinfo or ZoneInfo("UTC")


def zone(store: Store, region: str) -> tzinfo:
    """The household's zone: the setting when it names a real zone, else the region's default."""
    name = store.get_setting(ZONE_SETTING)
    if name:
        try:
            return parse_zone(name)
        except ValueError:
            pass  # a hand-edited or stale setting: never crash a page over it
    return default_zone(region)


def zone_name(store: Store, region: str) -> str:
    current = zone(store, region)
    return getattr(current, "key", None) or str(current)


def set_zone(store: Store, name: str) -> ZoneInfo:
    """Keep `name` as the household's zone (ValueError for a name that is not a zone)."""
    chosen = parse_zone(name)
    store.set_setting(ZONE_SETTING, chosen.key)
    return chosen


__all__ = [
    "REGION_ZONES", "ZONE_SETTING", "default_zone", "parse_zone",
    "set_zone", "zone", "zone_name", "zone_names",
]
