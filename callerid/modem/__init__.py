"""The USB voice modem: discovery, profiles, the driver thread and its events."""

from __future__ import annotations

from callerid.modem.events import CallEnded, CallerIDReceived, ModemEvent, ModemInfo, ModemStatus, Ring

__all__ = ["CallEnded", "CallerIDReceived", "ModemEvent", "ModemInfo", "ModemStatus", "Ring"]
