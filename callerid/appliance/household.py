"""The household's side of the calls, decided in one place: which warning waits to be seen, and
whom the button's hold puts on the block list (once).

The panel only reports presses and holds; the appliance asks this object what they mean and tells
every alert sink the outcome.
"""

from __future__ import annotations

import logging

from callerid.model import CallRecord, VerdictCode

log = logging.getLogger("callerid.appliance")

#: The label a caller blocked with the button gets on the block list.
BUTTON_LABEL = "blocked with the button"


class Household:
    """Remembers the last flagged call: until acknowledged (its warning waits), until blocked."""

    def __init__(self) -> None:
        self._waiting: CallRecord | None = None
        self._last_flagged: CallRecord | None = None

    def warned(self, record: CallRecord) -> None:
        """A call was screened; a flagged one becomes the one the button acts on."""
        if record.verdict.flagged:
            self._waiting = self._last_flagged = record

    def logged(self, record: CallRecord) -> None:
        """The same call, now with its id in the log."""
        if self._waiting is not None and self._waiting.key == record.key:
            self._waiting = record
        if self._last_flagged is not None and self._last_flagged.key == record.key:
            self._last_flagged = record

    def acknowledge(self) -> CallRecord | None:
        """A short press: the waiting warning (if any) was seen."""
        record, self._waiting = self._waiting, None
        return record

    def to_block(self) -> CallRecord | None:
        """A hold: the caller to put on the block list, or None (said in the log) when there is none."""
        record = self._last_flagged
        if record is None:
            reason = "no flagged call yet, or its caller is already blocked"
        elif not record.caller.number:
            reason = "the last flagged caller sent no number"
        elif record.verdict.verdict == VerdictCode.BLOCKLISTED:
            # re-adding would replace the family's own label with the button's
            reason = f"{record.caller.number} is already on the block list"
        else:
            return record
        log.info("block button held, but there is nothing to block: %s", reason)
        return None

    def blocked(self, record: CallRecord) -> None:
        """`record`'s caller is on the block list now: a second hold does not block it again."""
        if self._last_flagged is not None and self._last_flagged.key == record.key:
            self._last_flagged = None
        if self._waiting is not None and self._waiting.key == record.key:
            self._waiting = None


__all__ = ["BUTTON_LABEL", "Household"]
