"""Calls the disk refused (full, read-only): held in memory, retried, never silently dropped.

A mixin of `Appliance` (it uses the appliance's store, its `_logged`, its held list and its spool),
kept apart so that the loop file reads as the call path. Each held call is also kept in the spool
(spool.py, a RAM folder off the full disk) so that a kill or a restart does not lose it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace

from callerid.model import Action, CallRecord

log = logging.getLogger("callerid.appliance")

#: Calls kept in memory while the disk refuses writes (beyond this the oldest are dropped).
MAX_UNSAVED = 1000
#: How often held calls are tried again while the disk refuses them (space may come back any time).
UNSAVED_RETRY_SECONDS = 1.0


@dataclass
class Unsaved:
    """A call the disk refused, with what the policy asked for it."""

    record: CallRecord
    requested: frozenset[Action]


class HeldCalls:
    """Writing calls to the log, holding those the disk refuses (mixin of `Appliance`)."""

    def _commit(self, record: CallRecord, requested: frozenset[Action]) -> CallRecord:
        """Write the call now; if the disk refuses (full, read-only), keep it and retry later."""
        try:
            call_id = self._store.add_call(record)
        except Exception as exc:  # one line: the store's message says why (full, read-only...)
            self._unsaved.append(Unsaved(record, requested))
            self._spool.put(record, requested)
            for dropped in self._unsaved[:-MAX_UNSAVED]:
                self._spool.drop(dropped.record.key)
            del self._unsaved[:-MAX_UNSAVED]
            log.error("could not write the call from %s to the log (%s); holding %d call(s) in memory, "
                      "retrying every %g s", record.caller.number or "an unknown number", exc,
                      len(self._unsaved), UNSAVED_RETRY_SECONDS)
            return record
        return self._logged(replace(record, id=call_id), requested)

    def _retry_unsaved(self) -> None:
        while self._unsaved:
            waiting = self._unsaved[0]
            try:
                call_id = self._store.add_call(waiting.record)
            except Exception as exc:
                log.debug("the call log still refuses writes: %s", exc)
                return
            del self._unsaved[0]
            self._spool.drop(waiting.record.key)
            log.info("wrote a call that had waited in memory to the log")
            record = self._logged(replace(waiting.record, id=call_id), waiting.requested)
            if record.key in self._awaiting_hang_up:
                self._awaiting_hang_up[record.key] = record
            call = self._call
            if call is not None and call.record is not None and call.record.key == record.key:
                call.record = record

    def _recover_spooled(self) -> None:
        """Calls a previous run held and could not write (killed while the disk was full): held
        again, ahead of any new call, and written now if the disk takes them."""
        spooled = [Unsaved(record, requested) for record, requested in self._spool.load()]
        if spooled:
            log.warning("%d call(s) held by the previous run are written to the log now", len(spooled))
            self._unsaved[:0] = spooled
            self._retry_unsaved()

    def _keep_unsaved_at_exit(self) -> None:
        """Stopping with calls the disk refused: one last try, then each one goes to the journal as
        a `log --json` line (kept outside the full disk) so that nothing is silently dropped; the
        spool keeps them too, for the next start to write."""
        if self._unsaved:
            self._retry_unsaved()
        for waiting in self._unsaved:
            log.error("call not written to the log (the disk refused it), kept here and in %s: %s",
                      self._spool.folder, json.dumps(waiting.record.to_json(), ensure_ascii=False))
        self._unsaved.clear()
