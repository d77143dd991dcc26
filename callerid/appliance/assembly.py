"""Assemble an `Appliance` from the configuration: store, screening, policy, modem, alerts, website.

`callerid run` and `callerid demo` share this so the demo is the real product
with a simulated modem, not a mock-up. Each optional part (speaker, LED panel,
website) is tried once; when it is missing the appliance says so once and
carries on with the rest.

New parts plug in through `Runtime.add_sink()` (warns the household while the phone rings) and
`Runtime.add_listener()` (follows logged calls), before `start()`; nothing on the call path changes.
So do the family notifications (a listener that queues each wanted call in the outbox; a sender
thread delivers) and the health watch (fed the modem's state and each logged call; it drives the
panel's fault pattern and the text display through their `fault()`).
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from callerid.alert import AlertSink
from callerid.alert.oled import OledAlerts, open_device
from callerid.alert.panel import PanelAlerts
from callerid.alert.speech import SpeechAlerts
from callerid.alert.warnings import CALLER_WARNINGS
from callerid.appliance.loop import Appliance, ApplianceHooks, CallListener
from callerid.appliance.spool import HeldSpool
from callerid.appliance.spool import default_folder as spool_folder
from callerid.config import Config, screen_config
from callerid.fleet.wiring import attach_fleet
from callerid.health.watch import HealthWatch, thresholds
from callerid.model import Action, CallRecord, ModemState
from callerid.modem.driver import ModemDriver
from callerid.modem.join import JoinSettings
from callerid.notify.queue import CallNotifier, queue_health
from callerid.notify.sender import NotifySender
from callerid.notify.settings import from_config
from callerid.outbox import Outbox
from callerid.policy import Policy
from callerid.recording.announcement import render_announcement
from callerid.recording.storage import RecordingStorage, recordings_folder
from callerid.recording.worker import RecordingWorker
from callerid.sdnotify import Watchdog
from callerid.store import Store

if TYPE_CHECKING:
    from callerid.web import WebServer

log = logging.getLogger("callerid.appliance")


@dataclass
class Runtime:
    """An assembled appliance and the parts that need closing with it."""

    appliance: Appliance
    store: Store
    panel: PanelAlerts | None = None  # the LED panel, when there is one (the demo draws it)
    web: WebServer | None = None
    notify: NotifySender | None = None  # the family notifications' sender thread
    health: HealthWatch | None = None
    recordings: RecordingWorker | None = None  # when calls are joined and recorded (issue 18)
    closers: list[Callable[[], None]] = field(default_factory=list)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def add_sink(self, sink: AlertSink) -> None:
        """Another alert output (before `start()`), told after the speaker and the panel."""
        self.appliance.add_sink(sink)

    def add_listener(self, listener: CallListener) -> None:
        """Another follower of logged calls (before `start()`)."""
        self.appliance.add_listener(listener)

    @property
    def web_url(self) -> str | None:
        return self.web.url if self.web is not None else None

    def start_in_thread(self) -> None:
        """Start the modem and the sinks, and run the appliance's loop in a background thread."""
        self.appliance.start()
        self._thread = threading.Thread(target=self.appliance.run, name="appliance", daemon=True)
        self._thread.start()

    def wait_modem_ready(self, timeout: float) -> bool:
        """True once the modem reported ready (False after `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        while self.appliance.modem_state != ModemState.READY:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the loop started by `start_in_thread()` and wait for it."""
        self.appliance.stop()
        if self._thread is not None:
            self._thread.join(timeout)

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
    password_reset: bool = False,
) -> Runtime:
    """Build everything `callerid run` needs; `None` switches follow the configuration.

    `ring_gap_seconds` is the driver's (the one rule for when a call is over); a faster simulated
    line (demo, tests) shortens it. `password_reset` (`callerid run` only, never the demo): honour the
    owner's password reset file on the boot partition, or in the database's folder where the
    systemd unit moves it.
    """
    store = Store(db_path or config.store.db, region=config.region)
    closers: list[Callable[[], None]] = []
    sender = _notify_sender(config, store, closers)
    health = _health_watch(config, store, sender)
    modem = config.modem
    options = dict(driver_options or {})
    if ring_gap_seconds is not None:
        options["ring_gap_seconds"] = ring_gap_seconds

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
    screening = screen_config(config)
    appliance = Appliance(
        store=store,
        screen_config=screening,
        policy=Policy.from_config(config),
        driver_factory=driver_factory,
        region=config.region,
        watchdog=watchdog,
        watchdog_interval=interval,
        hooks=_watched(hooks, health),
        spool=HeldSpool(spool_folder(store.path)),
    )
    if config.speech.enabled if speech is None else speech:
        speaker = _optional("speaker", lambda: _speaker(config, health))
        if speaker is not None:
            appliance.add_sink(speaker)
    led_panel = None
    if config.panel.enabled if panel is None else panel:
        led_panel = _optional("LED panel", lambda: PanelAlerts(
            config.panel, on_press=appliance.acknowledge, on_hold=appliance.block_last_flagged))
        if led_panel is not None:
            appliance.add_sink(led_panel)
            health.add_sink(led_panel)
    if config.oled.enabled:
        display = _optional("text display", lambda: OledAlerts(config.oled, device=open_device(config.oled)))
        if display is not None:
            appliance.add_sink(display)
            health.add_sink(display)
    if sender is not None:
        appliance.add_listener(CallNotifier(sender))
    appliance.add_listener(_health_listener(health))
    for sink in extra_sinks or []:  # after the speaker and panel: a view shows their new state
        appliance.add_sink(sink)
    attach_fleet(config, store, appliance, screening)  # many homes on one MQTT broker, when [fleet] asks
    if any(Action.WARN_CALLER in acts for acts in config.policy.actions.values()):
        _render_caller_warning(config, appliance)

    runtime = Runtime(appliance=appliance, store=store, panel=led_panel, closers=closers, notify=sender,
                      health=health)
    if config.recording.enabled and any(Action.RECORD in acts for acts in config.policy.actions.values()):
        _enable_recording(config, appliance, store, runtime)
    if config.web.enabled if web is None else web:
        runtime.web = _optional("website", lambda: _start_web(config, store, password_reset))
        if runtime.web is not None:
            runtime.closers.append(runtime.web.stop)
    health.start()
    runtime.closers.append(health.close)
    if sender is not None:
        sender.start()
        runtime.closers.append(sender.stop)
    # What start-up loaded (numbering metadata, the police directory, templates) lives as long as
    # the process: freezing it keeps the garbage collector's passes short on the call path.
    gc.collect()
    gc.freeze()
    return runtime


def _notify_sender(config: Config, store: Store, closers: list[Callable[[], None]]) -> NotifySender | None:
    """The outbox and its sender thread (what is queued is delivered even if no target is set now)."""
    try:
        outbox = Outbox(store.path)
    except Exception as exc:
        log.warning("notifications unavailable, carrying on without them: %s", exc)
        return None
    closers.append(outbox.close)
    return NotifySender(outbox, from_config(config), store)


def _health_watch(config: Config, store: Store, sender: NotifySender | None) -> HealthWatch:
    def notify(condition: str, active: bool, since: float, detail: str) -> None:
        if sender is not None:
            queue_health(sender, condition, active, since, detail)

    return HealthWatch(thresholds(config.health), store, notify=notify)


def _health_listener(health: HealthWatch) -> Callable[[CallRecord, frozenset[Action]], None]:
    """Each logged call tells the health watch the line works, and whether it carried a number."""
    def listener(record: CallRecord, requested: frozenset[Action]) -> None:
        health.call(record)

    return listener


def _watched(hooks: ApplianceHooks | None, health: HealthWatch) -> ApplianceHooks:
    """The caller's hooks, with the health watch told every modem state first."""
    user = hooks or ApplianceHooks()

    def on_status(state: str, detail: str) -> None:
        health.modem(state, detail)
        if user.on_status is not None:
            user.on_status(state, detail)

    return ApplianceHooks(on_call=user.on_call, on_status=on_status)


def _speaker(config: Config, health: HealthWatch) -> SpeechAlerts:
    """The speaker, reporting each playback's outcome to the health watch (no sound card: a fault)."""
    def on_playback(event: Any) -> None:
        if event.phase == "finished" and event.ok is not None:
            health.sound(bool(event.ok), event.detail)

    return SpeechAlerts(config.speech, on_playback=on_playback)


def _systemd_watchdog() -> tuple[Callable[[], None] | None, float | None]:
    """A rate-limited WATCHDOG=1 sender when systemd asked for one, else (None, None)."""
    dog = Watchdog()
    if not dog.enabled:
        return None, None
    return (lambda: dog.kick(time.monotonic())), dog.interval


def _render_caller_warning(config: Config, appliance: Appliance) -> None:
    """Render the caller warning in the background; until it exists such calls are only blocked."""
    language = config.speech.language if config.speech.language in CALLER_WARNINGS else "ja"

    def render() -> None:
        try:
            out = Path(config.speech.cache_dir).expanduser() / f"caller-warning-{language}.wav"
            out.parent.mkdir(parents=True, exist_ok=True)
            path = SpeechAlerts(config.speech).render(CALLER_WARNINGS[language], language, out)
            appliance.set_caller_warning(str(path))
        except Exception as exc:  # no voice engine: the call is still blocked, just not spoken to
            log.warning("cannot render the warning for callers, such calls are only hung up: %s", exc)

    threading.Thread(target=render, name="caller-warning", daemon=True).start()


def _enable_recording(config: Config, appliance: Appliance, store: Store, runtime: Runtime) -> None:
    """The recordings' worker, and the announcement rendered in the background (issue 18)."""
    rec = config.recording
    storage = RecordingStorage(
        store, recordings_folder(config, str(store.path)), retention_days=rec.retention_days,
        max_total_bytes=int(rec.max_total_mb * 2**20), min_free_bytes=int(rec.min_free_mb * 2**20),
    )
    worker = RecordingWorker(storage)
    worker.start()
    runtime.closers.append(worker.close)
    runtime.recordings = worker
    appliance.enable_recording(worker, JoinSettings(
        listen_seconds=rec.listen_seconds, quiet_seconds=rec.quiet_seconds,
        time_limit_seconds=rec.time_limit_minutes * 60,
    ))
    language = rec.language or config.speech.language

    def render() -> None:
        try:
            speech = SpeechAlerts(config.speech)
            path = render_announcement(lambda text, lang: speech.render(text, lang), language,
                                       config.speech.cache_dir, level_dbfs=rec.announcement_dbfs)
            appliance.set_announcement(str(path))
        except Exception as exc:  # no voice engine: nobody is recorded without being told
            log.warning("cannot render the recording announcement, calls are not recorded: %s", exc)

    threading.Thread(target=render, name="recording-announcement", daemon=True).start()


def _optional(what: str, build: Callable[[], Any]) -> Any:
    """Build an optional part; log once and go on without it when it cannot work here."""
    try:
        return build()
    except Exception as exc:  # missing library, no GPIO, no sound: never fatal
        log.warning("%s unavailable, carrying on without it: %s", what, exc)
        return None


def _start_web(config: Config, store: Store, password_reset: bool) -> WebServer:
    from callerid.web import recovery, start_in_thread  # Flask and waitress: only when the website is on

    if not password_reset:
        return start_in_thread(config, store)
    recovery.reset_from_boot_partition(store, store.path.parent)  # moved there by the systemd unit
    return start_in_thread(config, store, boot_dir=recovery.BOOT_DIR)


__all__ = ["Runtime", "build_runtime"]
