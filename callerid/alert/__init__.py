"""Alerts for the household: the spoken warning (`speech`) and the LED panel (`panel`).

Every alert is an `AlertSink`. The appliance's single event loop calls these
methods for every screened call, so each sink must return at once and do its
slow work (rendering speech, playing audio, blinking lights) in its own threads:
a stuck speaker or a missing GPIO chip must never delay the next call.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from callerid.model import Action, CallRecord


@runtime_checkable
class AlertSink(Protocol):
    """What the appliance calls on each alert output (INTERFACES.md, "alerts")."""

    def start(self) -> None:
        """Prepare in the background (pre-render warnings, open pins); return at once."""

    def incoming(self, record: CallRecord, actions: frozenset[Action]) -> None:
        """A screened call arrived; `actions` are the policy's actions. Never blocks."""

    def ring(self, record: CallRecord) -> None:
        """Another ring of the same call: repeat the warning."""

    def ended(self, record: CallRecord) -> None:
        """The call was answered or stopped ringing: stop speaking."""

    def close(self) -> None:
        """Release threads, processes and pins."""


__all__ = ["AlertSink"]
