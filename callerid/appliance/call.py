"""The call that is ringing now, as the appliance follows it.

The modem driver is the one that decides a call is over: it owns the line, the clock and the ring
gap (`ModemDriver(ring_gap_seconds=...)`), and says so with `CallEnded` (rings stopped, or it hung
up). The appliance has no timer of its own; it only decides what a caller ID means for the call
that is ringing: a repeat of this call's record, or a new call.
"""

from __future__ import annotations

from dataclasses import dataclass

from callerid.model import CallerID, CallRecord

#: Rings without any caller ID after which the call is logged anyway (the line sends none).
RINGS_WITHOUT_CALLER_ID = 3
#: Caller ID comes once a call, before the second ring: the same caller after this many more rings
#: is a new call (fraudsters hang up and redial at once; each call must be warned and logged).
REPEAT_WITHIN_RINGS = 2


@dataclass
class Call:
    """One call from its first ring (or caller ID) until the driver says it is over."""

    record: CallRecord | None = None
    rings: int = 0
    rings_since_record: int = 0

    def ring(self) -> None:
        self.rings += 1
        self.rings_since_record += 1

    @property
    def lacks_caller_id(self) -> bool:
        """Enough rings without a caller ID: log the call without one."""
        return self.record is None and self.rings >= RINGS_WITHOUT_CALLER_ID

    def repeats(self, caller: CallerID) -> bool:
        """The modem printed this call's caller ID again (AT+VRID, a second burst)."""
        if self.record is None or self.rings_since_record >= REPEAT_WITHIN_RINGS:
            return False
        seen = self.record.caller
        return (seen.number, seen.absence, seen.name) == (caller.number, caller.absence, caller.name)

    def screened(self, record: CallRecord) -> None:
        self.record = record
        self.rings_since_record = 0


__all__ = ["RINGS_WITHOUT_CALLER_ID", "Call"]
