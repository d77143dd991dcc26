"""Plugging this home's FleetHome into the running appliance through its seams.

The fleet hears: each call once it is in the log, with its id (a per-call listener); the end or
acknowledgement of a call (an alert sink, so the alarm on the broker goes off); the modem's
state (read, never waited for). It may ask the appliance to acknowledge the warning, block the
last flagged caller and re-read the lists after a command or a shared list changed them. It
starts and stops with the appliance's sinks; everything it hears returns at once (FleetHome).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from callerid.alert import QuietSink
from callerid.fleet.home import FleetHome
from callerid.fleet.remote import HomeActions

if TYPE_CHECKING:
    from callerid.appliance.loop import Appliance
    from callerid.config import Config
    from callerid.model import CallRecord
    from callerid.screen.engine import ScreenConfig
    from callerid.store import Store

log = logging.getLogger("callerid.fleet")


class FleetSink(QuietSink):
    """The fleet link as an alert sink: it connects on start, says offline on close, and hears
    when the household's alarm is over (the call ended, or the household acknowledged it)."""

    def __init__(self, home: FleetHome) -> None:
        self.home = home

    def start(self) -> None:
        self.home.start()  # connects in the background; the call path never waits for it

    def ended(self, record: CallRecord) -> None:
        self.home.on_call_ended(record)

    def acknowledge(self, record: CallRecord | None) -> None:
        self.home.on_call_ended(record)

    def close(self) -> None:
        self.home.close()


def attach_fleet(
    config: Config, store: Store, appliance: Appliance, screening: ScreenConfig
) -> FleetHome | None:
    """Connect this home to the fleet when `[fleet]` asks for it; None (one log line) if it cannot."""
    if not config.fleet.active:
        return None
    try:
        home = FleetHome(config.fleet, store, region=config.region, screening=screening)
    except Exception as exc:  # never fatal: the appliance protects the household without the fleet
        log.warning("fleet link unavailable, carrying on without it: %s", exc)
        return None
    home.set_actions(HomeActions(
        acknowledge=appliance.acknowledge,
        block_last=appliance.block_last_flagged,
        lists_changed=appliance.reload_lists,
    ))
    home.follow_modem(lambda: (appliance.modem_state, appliance.modem_detail))
    appliance.add_listener(home.listener)
    appliance.add_sink(FleetSink(home))
    return home


__all__ = ["FleetSink", "attach_fleet"]
