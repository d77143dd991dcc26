"""Queue notifications from the appliance: one small outbox INSERT, never a delivery.

`CallNotifier` is a per-call listener (it receives each committed CallRecord, with its id);
`queue_health` is what the health watch calls when a fault is raised or cleared.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime
from typing import TYPE_CHECKING

from callerid.model import Action
from callerid.notify.message import call_item
from callerid.notify.sender import CHANNEL

if TYPE_CHECKING:
    from callerid.model import CallRecord
    from callerid.notify.sender import NotifySender

log = logging.getLogger("callerid.notify")


class CallNotifier:
    """Queues a committed call when its verdict is one the family asked for (or the policy said notify)."""

    def __init__(self, sender: NotifySender) -> None:
        self._sender = sender

    def wanted(self, record: CallRecord, requested: Collection[str] = ()) -> bool:
        settings = self._sender.settings()
        if not settings.enabled:
            return False
        return (record.verdict.verdict in settings.verdicts or Action.NOTIFY in requested
                or Action.NOTIFY in record.actions)

    def __call__(self, record: CallRecord, requested: Collection[str] = ()) -> tuple[str, ...]:
        """Queue `record` (`requested`: the policy's actions); ("notify",) when it is on its way.

        A call the log refused (no id yet) is keyed by its time. The same call again is not
        queued twice, and still reports ("notify",): it is on its way.
        """
        try:
            if not self.wanted(record, requested):
                return ()
            key = f"call:{record.id}" if record.id is not None else f"call-at:{record.received_at}"
            self._sender.outbox.put(CHANNEL, key, call_item(record))
            return (Action.NOTIFY,)
        except Exception:  # the outbox refuses writes: the call itself is unaffected
            log.exception("could not queue the notification for a call")
            return ()


def queue_health(sender: NotifySender, condition: str, active: bool, since: float, detail: str) -> bool:
    """Queue "problem" or "back to normal" for one fault episode (keyed by when it began)."""
    if not sender.settings().health or not sender.settings().enabled:
        return False
    state = "on" if active else "off"
    since_iso = datetime.fromtimestamp(since).astimezone().isoformat(timespec="seconds")
    payload = {
        "kind": "health", "condition": condition, "state": state, "since": since_iso,
        "time": datetime.now().astimezone().isoformat(timespec="seconds"), "detail": detail,
    }
    try:
        return sender.outbox.put(CHANNEL, f"health:{condition}:{int(since)}:{state}", payload)
    except Exception:
        log.exception("could not queue the health notification")
        return False
