"""Alerts for the household: the spoken warning (`speech`) and the LED panel (`panel`).

Every alert is an `AlertSink`. The appliance's single event loop calls these
methods for every screened call, so each sink must return at once and do its
slow work (rendering speech, playing audio, blinking lights) in its own threads:
a stuck speaker or a missing GPIO chip must never delay the next call.

A record's `key` names its call from the first `incoming` on (its `id` comes later, once the
log has it); `ring`, `ended` and `acknowledge` carry the same key.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from callerid.model import Action, CallRecord

NOTHING_STARTED: frozenset[Action] = frozenset()


@runtime_checkable
class AlertSink(Protocol):
    """What the appliance calls on each alert output (docs/alerts.md)."""

    def start(self) -> None:
        """Prepare in the background (pre-render warnings, open pins); return at once."""

    def incoming(self, record: CallRecord, actions: frozenset[Action]) -> frozenset[Action]:
        """A screened call arrived; `actions` are the policy's. Never blocks.

        Returns the actions this sink started (the speaker: warn-household; the panel: panel), so
        that the log records only what really happened; a view that only shows returns none.
        """

    def ring(self, record: CallRecord) -> None:
        """Another ring of the same call: repeat the warning."""

    def ended(self, record: CallRecord) -> None:
        """The call was answered or stopped ringing: stop speaking."""

    def acknowledge(self, record: CallRecord | None) -> None:
        """The household pressed the button: they saw the warning of `record` (None: no warning
        was waiting). Stop speaking, clear the lights."""

    def blocked(self, record: CallRecord | None) -> None:
        """The household held the button: `record`'s caller is now on the block list (None: there
        was nothing to block)."""

    def close(self) -> None:
        """Release threads, processes and pins."""


class QuietSink:
    """An `AlertSink` that does nothing; subclass it and override what you need."""

    def start(self) -> None:
        """Nothing to prepare."""

    def incoming(self, record: CallRecord, actions: frozenset[Action]) -> frozenset[Action]:
        return NOTHING_STARTED

    def ring(self, record: CallRecord) -> None:
        """Nothing to repeat."""

    def ended(self, record: CallRecord) -> None:
        """Nothing to stop."""

    def acknowledge(self, record: CallRecord | None) -> None:
        """Nothing to clear."""

    def blocked(self, record: CallRecord | None) -> None:
        """Nothing to show."""

    def close(self) -> None:
        """Nothing to release."""


__all__ = ["NOTHING_STARTED", "AlertSink", "QuietSink"]
