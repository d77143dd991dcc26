"""Connecting a FleetHome to the running appliance: which appliance events it hears, what it may ask.

The fleet hears three things: a call committed to the log (with its id), a call ended or
acknowledged (the alarm goes off), and the modem's state. It may ask the appliance to
acknowledge the warning, block the last flagged caller, and re-read the lists after a command
or a shared list changed them. Everything it hears returns at once (see FleetHome).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from callerid.fleet.home import FleetHome

if TYPE_CHECKING:
    from callerid.config import Config
    from callerid.model import CallRecord
    from callerid.store import Store

log = logging.getLogger("callerid.fleet")


class FleetSink:
    """An alert sink that only listens for a call's end (the alarm shown on the broker goes off)."""

    def __init__(self, home: FleetHome) -> None:
        self.home = home

    def start(self) -> None:
        pass

    def incoming(self, record: CallRecord, actions: frozenset[str]) -> None:
        pass

    def ring(self, record: CallRecord) -> None:
        pass

    def ended(self, record: CallRecord) -> None:
        self.home.on_call_ended(record)

    def close(self) -> None:
        pass


def build_fleet(config: Config, store: Store) -> FleetHome | None:
    """This home's fleet link when `[fleet]` asks for one; None (with one log line) if it cannot start."""
    if not config.fleet.active:
        return None
    try:
        return FleetHome(config.fleet, store, region=config.region)
    except Exception as exc:  # never fatal: the appliance protects the household without the fleet
        log.warning("fleet link unavailable, carrying on without it: %s", exc)
        return None


__all__ = ["FleetSink", "build_fleet"]
