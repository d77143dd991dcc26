"""Shared helpers for the modem and simulator tests: an event recorder, a line recorder, a fast driver."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from callerid.modem.driver import ModemDriver
from callerid.modem.events import ModemStatus

#: Driver timings shrunk for tests (real defaults are seconds).
FAST = {
    "command_timeout": 0.3,
    "ring_gap_seconds": 0.6,
    "quiet_seconds": 0.2,
    "ping_seconds": 30.0,
    "backoff_initial": 0.02,
    "backoff_max": 0.2,
    "hangup_hold_seconds": 0.05,
}


class EventLog:
    """Collects driver events (from the driver's thread) and lets a test wait for them."""

    def __init__(self, on_event: Callable[[Any], None] | None = None) -> None:
        self.events: list[Any] = []
        self._cond = threading.Condition()
        self._hook = on_event

    def __call__(self, event: Any) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()
        if self._hook is not None:
            self._hook(event)

    def of(self, kind: type) -> list[Any]:
        with self._cond:
            return [e for e in self.events if isinstance(e, kind)]

    def states(self) -> list[str]:
        return [e.state for e in self.of(ModemStatus)]

    def wait(self, predicate: Callable[[list[Any]], bool], timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self.events):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def wait_count(self, kind: type, count: int = 1, timeout: float = 5.0) -> list[Any]:
        self.wait(lambda evs: sum(isinstance(e, kind) for e in evs) >= count, timeout)
        return self.of(kind)

    def wait_state(self, state: str, count: int = 1, timeout: float = 5.0) -> bool:
        def enough(evs: list[Any]) -> bool:
            return sum(isinstance(e, ModemStatus) and e.state == state for e in evs) >= count

        return self.wait(enough, timeout)


def fast_driver(port: str, events: EventLog, **overrides: Any) -> ModemDriver:
    options = {**FAST, **overrides}
    return ModemDriver(port, on_event=events, **options)


@contextmanager
def ready_driver(port: str, events: EventLog, **overrides: Any) -> Iterator[ModemDriver]:
    """A started fast driver past its init sequence; stopped on the way out, pass or fail."""
    driver = fast_driver(port, events, **overrides)
    driver.start()
    try:
        assert driver.wait_ready(3.0), f"the driver on {port} never became ready"
        yield driver
    finally:
        driver.stop()


class LineRecorder:
    """A ModemLink listener that only keeps the unsolicited lines: no timers, never asks to stop."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def on_line(self, line: str, now: float) -> None:
        self.lines.append(line)

    def next_timer(self) -> None:
        return None

    def run_timers(self, now: float) -> None:
        return None

    def stop_requested(self) -> bool:
        return False
