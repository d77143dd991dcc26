"""Assemble an `Appliance` from the configuration: store, screening, policy, modem, alerts, website.

`callerid run` and `callerid demo` share this so the demo is the real product
with a simulated modem, not a mock-up. Each optional part (speaker, LED panel,
website) is tried once; when it is missing the appliance says so once and
carries on with the rest.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from callerid.alert.panel import PanelAlerts
from callerid.alert.speech import SpeechAlerts
from callerid.appliance import Appliance, ApplianceHooks
from callerid.config import screen_config
from callerid.model import Action
from callerid.modem.driver import ModemDriver
from callerid.policy import Policy
from callerid.sdnotify import Watchdog
from callerid.store import Store

if TYPE_CHECKING:
    from callerid.alert import AlertSink
    from callerid.config import Config
    from callerid.store import Store

log = logging.getLogger("callerid.runtime")


@dataclass
class Runtime:
    """An assembled appliance and the parts that need closing with it."""

    appliance: Appliance
    store: Store
    web: Any = None
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        self.appliance.close()
        for closer in reversed(self.closers):
            try:
                closer()
            except Exception:
                log.exception("error while shutting down")
        self.store.close()


def build_runtime(
    config: Config,
    *,
    port: str | None = None,
    db_path: str | None = None,
    extra_sinks: list[AlertSink] | None = None,
    speech: bool | None = None,
    panel: bool | None = None,
    web: bool | None = None,
    hooks: ApplianceHooks | None = None,
    driver_options: dict[str, Any] | None = None,
    ring_gap_seconds: float | None = None,
) -> Runtime:
    """Build everything `callerid run` needs; `None` switches follow the configuration."""
    store = Store(db_path or config.store.db, region=config.region)
    closers: list[Callable[[], None]] = []
    sinks: list[AlertSink] = []
    appliance_ref: list[Appliance] = []

    if config.speech.enabled if speech is None else speech:
        sink = _optional_sink("speaker", lambda: _speech_sink(config))
        if sink is not None:
            sinks.append(sink)
    if config.panel.enabled if panel is None else panel:
        sink = _optional_sink("LED panel", lambda: _panel_sink(config, appliance_ref))
        if sink is not None:
            sinks.append(sink)

    sinks.extend(extra_sinks or [])  # after the speaker and panel: a view shows their new state
    modem = config.modem
    options = dict(driver_options or {})
    gap: dict[str, float] = {}
    if ring_gap_seconds is not None:  # a faster simulated line (demo, tests): calls end sooner
        options.setdefault("ring_gap_seconds", ring_gap_seconds)
        gap["ring_gap_seconds"] = ring_gap_seconds + 0.5

    def driver_factory(on_event: Callable[[object], None]) -> ModemDriver:
        return ModemDriver(
            port or modem.port,
            profile=modem.profile,
            country_code=modem.country_code,
            quiet_seconds=modem.quiet_seconds,
            ping_seconds=modem.ping_seconds,
            number_display=modem.number_display,
            on_event=on_event,
            **options,
        )

    watchdog, interval = _systemd_watchdog()
    appliance = Appliance(
        store=store,
        screen_config=screen_config(config),
        policy=Policy.from_config(config),
        driver_factory=driver_factory,
        sinks=sinks,
        region=config.region,
        watchdog=watchdog,
        watchdog_interval=interval,
        hooks=hooks,
        **gap,
    )
    appliance_ref.append(appliance)
    if any(Action.WARN_CALLER in acts for acts in config.policy.actions.values()):
        _render_caller_warning(config, appliance)

    server = None
    if config.web.enabled if web is None else web:
        server = _optional_sink("website", lambda: _start_web(config, store))
        if server is not None:
            closers.append(server.stop)
    # What start-up loaded (numbering metadata, the police directory, templates) lives as long as
    # the process: freezing it keeps the garbage collector's passes short on the call path.
    gc.collect()
    gc.freeze()
    return Runtime(appliance=appliance, store=store, web=server, closers=closers)


def _systemd_watchdog() -> tuple[Callable[[], None] | None, float | None]:
    """A rate-limited WATCHDOG=1 sender when systemd asked for one, else (None, None)."""
    import time

    dog = Watchdog()
    if not dog.enabled:
        return None, None
    return (lambda: dog.kick(time.monotonic())), dog.interval


#: What a caller hears when the policy answers a call to warn them (the municipal call-warning
#: recorders' approach: the announcement alone drives many fraud callers away).
CALLER_WARNING = {
    "ja": "こちらは、特殊詐欺対策の自動応答です。"
          "この電話は、家族が確認してから、こちらから折り返します。失礼します。",
    "en": "This is an automatic answer against phone fraud. The family will check this call and "
          "call back if needed. Goodbye.",
}


def _render_caller_warning(config: Config, appliance: Appliance) -> None:
    """Render the caller warning in the background; until it exists such calls are only blocked."""
    import threading
    from pathlib import Path

    language = config.speech.language if config.speech.language in CALLER_WARNING else "ja"

    def render() -> None:
        try:

            out = Path(config.speech.cache_dir).expanduser() / f"caller-warning-{language}.wav"
            out.parent.mkdir(parents=True, exist_ok=True)
            path = SpeechAlerts(config.speech).render(CALLER_WARNING[language], language, out)
            appliance.set_caller_warning(str(path))
        except Exception as exc:  # no voice engine: the call is still blocked, just not spoken to
            log.warning("cannot render the warning for callers, such calls are only hung up: %s", exc)

    threading.Thread(target=render, name="caller-warning", daemon=True).start()


def _optional_sink(what: str, build: Callable[[], Any]) -> Any:
    """Build an optional part; log once and go on without it when it cannot work here."""
    try:
        return build()
    except Exception as exc:  # missing library, no GPIO, no sound: never fatal
        log.warning("%s unavailable, carrying on without it: %s", what, exc)
        return None


def _speech_sink(config: Config) -> AlertSink:
    return SpeechAlerts(config.speech)


def _panel_sink(config: Config, appliance_ref: list[Appliance]) -> AlertSink:
    def block_last() -> None:
        appliance_ref[0].block_last_flagged()

    def acknowledge() -> None:
        appliance_ref[0].acknowledge()

    return PanelAlerts(config.panel, on_block_last=block_last, on_acknowledge=acknowledge)


def _start_web(config: Config, store: Store) -> Any:
    from callerid.web import start_in_thread

    return start_in_thread(config, store)
