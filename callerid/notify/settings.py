"""The notification settings in force: the config file's `[notify]`, overridden by what the family
saved on the website (the `notify.*` keys of the settings table).

The sender reads them before each delivery, so a change on the website applies at once, in every
process, without a restart. Quiet hours and the digest schedule are pure functions of local time.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from callerid.config_outputs import DEFAULT_NOTIFY_VERDICTS

if TYPE_CHECKING:
    from callerid.config import Config, NotifyConfig
    from callerid.store import Store

log = logging.getLogger("callerid.notify")

#: settings-table key -> NotifySettings field; JSON for lists and booleans.
KEYS = {
    "notify.urls": "urls",
    "notify.verdicts": "verdicts",
    "notify.quiet_hours": "quiet_hours",
    "notify.language": "language",
    "notify.health": "health",
    "notify.digest": "digest",
    "notify.digest_time": "digest_time",
}


@dataclass(frozen=True)
class NotifySettings:
    urls: tuple[str, ...] = ()
    verdicts: tuple[str, ...] = DEFAULT_NOTIFY_VERDICTS
    quiet_hours: str | None = None
    language: str = "ja"
    link: str | None = None
    health: bool = True
    digest: str = "off"
    digest_time: str = "08:00"
    flood_limit: int = 1
    retry_first_seconds: float = 5.0
    retry_max_seconds: float = 300.0

    @property
    def enabled(self) -> bool:
        return bool(self.urls)

    def retry_delay(self, attempts: int) -> float:
        """Seconds before the next try after the `attempts`-th failure: doubling, capped."""
        return min(self.retry_max_seconds, self.retry_first_seconds * 2 ** max(0, attempts - 1))


def from_config(config: Config) -> NotifySettings:
    notify: NotifyConfig = config.notify
    link = notify.link or f"http://callerid.local:{config.web.port}"
    return NotifySettings(
        urls=tuple(notify.urls), verdicts=tuple(notify.verdicts), quiet_hours=notify.quiet_hours,
        language=notify.language, link=link, health=notify.health, digest=notify.digest,
        digest_time=notify.digest_time, flood_limit=notify.flood_limit,
        retry_first_seconds=notify.retry_first_seconds, retry_max_seconds=notify.retry_max_seconds,
    )


def load(base: NotifySettings, store: Store | None) -> NotifySettings:
    """`base` with the website's saved settings applied; a damaged value is ignored (and said once)."""
    if store is None:
        return base
    changes: dict[str, Any] = {}
    for key, name in KEYS.items():
        try:
            raw = store.get_setting(key)
        except Exception as exc:  # the database refuses reads: keep the file's settings
            log.debug("cannot read %s: %s", key, exc)
            return base
        if raw is None:
            continue
        try:
            changes[name] = _decode(name, raw)
        except (ValueError, TypeError):
            log.warning("ignoring a damaged notification setting %s", key)
    return replace(base, **changes) if changes else base


def save(store: Store, **values: Any) -> None:
    """Store the given fields (one transaction); None removes a key, so the file's value applies."""
    names = {v: k for k, v in KEYS.items()}
    out: dict[str, str | None] = {}
    for name, value in values.items():
        key = names[name]
        if value is None:
            out[key] = None
        elif name in ("urls", "verdicts"):
            out[key] = json.dumps(list(value))
        elif name == "health":
            out[key] = "1" if value else "0"
        else:
            out[key] = str(value)
    store.set_settings(out)


def _decode(name: str, raw: str) -> Any:
    if name in ("urls", "verdicts"):
        value = json.loads(raw)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(name)
        return tuple(value)
    if name == "health":
        return raw == "1"
    if name == "quiet_hours":
        return raw or None
    return raw


# -- time rules ----------------------------------------------------------------------------------


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def quiet_until(spec: str | None, now: datetime) -> datetime | None:
    """When the quiet hours around `now` (local) end, or None when `now` is not in quiet hours."""
    if not spec:
        return None
    try:
        start, end = (_clock(part) for part in spec.split("-"))
    except ValueError:
        return None
    t = now.time().replace(second=0, microsecond=0, tzinfo=None)
    # over midnight (22:00-07:00) when the start is later than the end
    inside = start <= t < end if start < end else (t >= start or t < end)
    if not inside:
        return None
    ends = now.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if ends <= now:
        ends += timedelta(days=1)
    return ends


def next_digest(schedule: str, at: str, now: datetime) -> datetime | None:
    """The next digest time after `now` (local): daily at `at`, weekly on Mondays at `at`."""
    if schedule not in ("daily", "weekly"):
        return None
    clock = _clock(at)
    moment = now.replace(hour=clock.hour, minute=clock.minute, second=0, microsecond=0)
    if moment <= now:
        moment += timedelta(days=1)
    if schedule == "weekly":
        moment += timedelta(days=(7 - moment.weekday()) % 7)
    return moment


def mask_url(url: str) -> str:
    """An apprise URL as the website and the log may show it: the scheme and its last 4 characters.

    Tokens, passwords, topics and hosts can all be secrets in apprise URLs, so nothing else is kept.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return "…"
    tail = rest[-4:] if len(rest) > 8 else ""
    return f"{scheme}://…{tail}"
