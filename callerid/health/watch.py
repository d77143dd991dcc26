"""`HealthWatch`: feeds the pure detector from the running appliance and makes every change loud.

Feeders (`modem`, `call`, `write`, `sound`) only put an event on a queue and return: the appliance
thread never waits here. The watch's own thread applies the events, checks the free disk space and
probes that the database still takes writes, ticks the detector at its deadlines, and for each
change: one WARNING journal line, the `health.active` setting (the website's banner, read by any
process), `fault(conditions)` on every display sink (panel pattern, OLED text), and a queued family
notification.
"""

from __future__ import annotations

import json
import logging
import queue
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from callerid.health.conditions import order, title
from callerid.health.detector import Change, HealthDetector, Thresholds

if TYPE_CHECKING:
    from callerid.config import HealthConfig
    from callerid.model import CallRecord
    from callerid.store import Store

log = logging.getLogger("callerid.health")

ACTIVE_KEY = "health.active"
RUNNING_KEY = "health.running"  # "1" while running: found still set at start-up = unclean stop
PROBE_SECONDS = 300.0  # how often the database is asked to take a tiny write (also a heartbeat)
CHECKED_KEY = "health.checked_at"
STALE_SECONDS = 3 * PROBE_SECONDS + 60  # no heartbeat for this long: the appliance is not running
DISK_SECONDS = 60.0


def thresholds(config: HealthConfig) -> Thresholds:
    return Thresholds(
        modem_grace=config.modem_grace_seconds,
        silent_seconds=config.silent_days * 86400.0 if config.silent_days else None,
        unavailable_calls=config.unavailable_calls,
        min_free_bytes=config.min_free_mb * 1024 * 1024,
    )


def active_faults(store: Store, now: float | None = None) -> list[dict[str, Any]]:
    """The faults in force as the running appliance last published them (for the website, which may
    be another process), plus "stopped" when the appliance stopped, or stopped checking in."""
    try:
        faults = json.loads(store.get_setting(ACTIVE_KEY) or "[]")
        running = store.get_setting(RUNNING_KEY)
        checked = store.get_setting(CHECKED_KEY)
    except Exception:
        return []
    if not isinstance(faults, list):
        faults = []
    faults = [f for f in faults if isinstance(f, dict) and isinstance(f.get("condition"), str)]
    now = time.time() if now is None else now
    try:
        last = float(checked) if checked else None
    except ValueError:
        last = None
    silent = running == "1" and last is not None and now - last > STALE_SECONDS
    if running == "0" or silent:
        since = datetime.fromtimestamp(last if last is not None else now).astimezone()
        faults.insert(0, {"condition": "stopped", "since": since.isoformat(timespec="seconds"), "detail": ""})
    return faults


class HealthWatch:
    """See the module docstring."""

    def __init__(
        self,
        limits: Thresholds,
        store: Store,
        *,
        sinks: Sequence[Any] = (),
        notify: Callable[[str, bool, float, str], object] | None = None,
        clock: Callable[[], float] = time.time,
        probe_seconds: float = PROBE_SECONDS,
        disk_seconds: float = DISK_SECONDS,
    ) -> None:
        self._limits = limits
        self._store = store
        self._sinks = list(sinks)
        self._notify = notify
        self._clock = clock
        self._probe_every = probe_seconds
        self._disk_every = disk_seconds
        self._events: queue.Queue[tuple[str, tuple[Any, ...]]] = queue.Queue()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.detector: HealthDetector | None = None
        self.changes: list[Change] = []  # everything that happened, for tests and `status`

    # -- feeders (any thread; never block) --------------------------------------------------------

    def modem(self, state: str, detail: str) -> None:
        self._events.put(("modem", (state, detail)))

    def call(self, record: CallRecord) -> None:
        has_number = bool(record.caller.number)
        self._events.put(("call", (record.verdict.verdict, has_number)))

    def write(self, ok: bool, detail: str = "") -> None:
        self._events.put(("write", (ok, detail)))

    def sound(self, ok: bool, detail: str = "") -> None:
        self._events.put(("sound", (ok, detail)))

    def add_sink(self, sink: Any) -> None:
        self._sinks.append(sink)

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Read what the last run left (last call, clean stop or not), then watch in a thread."""
        now = self._clock()
        unclean = False
        last_call_at = None
        try:
            unclean = self._store.get_setting(RUNNING_KEY) == "1"
            last = self._store.last_call()
            if last is not None:
                last_call_at = datetime.fromisoformat(last.received_at).timestamp()
            self._store.set_settings({RUNNING_KEY: "1", ACTIVE_KEY: "[]"})
        except Exception as exc:
            log.debug("health: cannot read the last run's state: %s", exc)
        self.detector = HealthDetector(self._limits, now, last_call_at=last_call_at, unclean_restart=unclean)
        self._thread = threading.Thread(target=self._run, name="callerid-health", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the thread; mark the stop as clean (the next start does not report a restart)."""
        self._stopping.set()
        self._events.put(("stop", ()))
        if self._thread is not None:
            self._thread.join(5)
        try:
            self._store.set_settings(
                {RUNNING_KEY: "0", ACTIVE_KEY: "[]", CHECKED_KEY: str(int(self._clock()))})
        except Exception as exc:
            log.debug("health: cannot record the clean stop: %s", exc)

    # -- the thread ------------------------------------------------------------------------------

    def _run(self) -> None:
        next_disk = next_probe = 0.0
        while not self._stopping.is_set():
            detector = self.detector
            assert detector is not None
            now = self._clock()
            changes: list[Change] = []
            if now >= next_disk:
                next_disk = now + self._disk_every
                free = _free_bytes(self._store)
                if free is not None:
                    changes += detector.disk(free, now)
            if now >= next_probe:
                next_probe = now + self._probe_every
                changes += self._probe(detector, now)
            changes += detector.tick(now)
            self._apply(changes)
            deadline = detector.deadline()
            wait = min(next_disk, next_probe) - now
            if deadline is not None:
                wait = min(wait, deadline - now)
            try:
                kind, args = self._events.get(timeout=max(0.05, min(wait, 60.0)))
            except queue.Empty:
                continue
            if kind == "stop":
                break
            try:
                self._apply(getattr(detector, kind)(*args, self._clock()))
            except Exception:
                log.exception("health: could not process %s", kind)

    def _probe(self, detector: HealthDetector, now: float) -> list[Change]:
        try:
            self._store.set_setting(CHECKED_KEY, str(int(now)))
        except Exception as exc:
            return detector.write(False, str(exc).splitlines()[0] if str(exc) else type(exc).__name__, now)
        return detector.write(True, "", now)

    def _apply(self, changes: list[Change]) -> None:
        if not changes:
            return
        detector = self.detector
        assert detector is not None
        for change in changes:
            self.changes.append(change)
            if change.active:
                log.warning("PROBLEM: %s%s", title(change.condition, "en"),
                            f" ({change.detail})" if change.detail else "")
            else:
                log.warning("back to normal: %s", title(change.condition, "en"))
        faults = sorted(detector.active.values(), key=lambda f: order(f.condition))
        published = [
            {"condition": f.condition, "since": datetime.fromtimestamp(f.since).astimezone().isoformat(
                timespec="seconds"), "detail": f.detail}
            for f in faults
        ]
        try:
            self._store.set_setting(ACTIVE_KEY, json.dumps(published))
        except Exception as exc:  # the storage fault itself: the banner cannot show it, the rest can
            log.debug("health: cannot publish the faults: %s", exc)
        codes = [f.condition for f in faults]
        for sink in self._sinks:
            show = getattr(sink, "fault", None)
            if show is None:
                continue
            try:
                show(codes)
            except Exception:
                log.exception("health: %s could not show the fault", type(sink).__name__)
        for change in changes:  # last: by the time the family reads it, the banner says it too
            if self._notify is not None:
                try:
                    self._notify(change.condition, change.active, change.since, change.detail)
                except Exception:
                    log.exception("health: could not queue the notification")


def _free_bytes(store: Store) -> int | None:
    try:
        return shutil.disk_usage(Path(store.path).parent).free
    except (OSError, AttributeError):
        return None
