"""The running appliance: modem events in, screened and logged calls out.

One thread owns every decision. The modem driver's reader thread only turns
bytes into events and puts them on a queue; this loop screens each caller ID,
starts the fast actions (hang up, household warning), commits the call to the
store, and only then runs the slow ones (a spoken warning to the caller). Alert
sinks (speech, LED panel, the demo's terminal view) never block it: each one
queues its own work.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from callerid.alert import AlertSink
from callerid.model import Action, CallerID, CallRecord, ListKind, ModemState, VerdictCode
from callerid.modem import events as ev
from callerid.policy import Policy
from callerid.screen.engine import ScreenConfig, screen
from callerid.screen.lists import FamilyLists

if TYPE_CHECKING:
    from callerid.store import Store

log = logging.getLogger("callerid.appliance")

#: A ring this long after the previous one belongs to a new call (Japanese normal
#: ringing is 1 s on / 2 s off; North American 2 s on / 4 s off). The driver's own
#: CallEnded event (7 s) normally ends a call first; this is the appliance's fallback.
RING_GAP_SECONDS = 8.0
#: Calls kept in memory while the disk refuses writes (beyond this the oldest are dropped).
MAX_UNSAVED = 1000
#: How often the idle loop reloads the family's lists (the website may change them).
LIST_REFRESH_SECONDS = 10.0


class Driver(Protocol):
    """What the appliance needs from a modem driver (callerid.modem.driver.ModemDriver)."""

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def hang_up(self) -> None: ...
    def play_to_caller(self, wav_path: str) -> None: ...


@dataclass
class _ActiveCall:
    """The call that is ringing now: which record it is, when it last rang."""

    record: CallRecord | None
    first_ring: float | None
    last_ring: float | None
    rings: int = 0
    rings_since_record: int = 0


@dataclass
class Timings:
    """Monotonic timestamps of one call's milestones, for `callerid bench latency`."""

    caller_id_at: float = 0.0
    verdict_at: float = 0.0
    hangup_at: float | None = None
    warning_at: float | None = None


@dataclass
class ApplianceHooks:
    """Optional observers; the benchmark and tests use them, the product does not need them."""

    on_call: Callable[[CallRecord, Timings], None] | None = None
    on_status: Callable[[str, str], None] | None = None


class Appliance:
    """Screens every incoming call and acts on it; `run()` until `stop()`."""

    def __init__(
        self,
        *,
        store: Store,
        screen_config: ScreenConfig,
        policy: Policy,
        driver_factory: Callable[[Callable[[object], None]], Driver],
        sinks: Sequence[AlertSink] = (),
        region: str = "JP",
        caller_warning_wav: str | None = None,
        watchdog: Callable[[], None] | None = None,
        watchdog_interval: float | None = None,
        hooks: ApplianceHooks | None = None,
        ring_gap_seconds: float = RING_GAP_SECONDS,
    ) -> None:
        self._store = store
        self._ring_gap = ring_gap_seconds
        self._screen_config = screen_config
        self._policy = policy
        self._sinks = list(sinks)
        self._region = region
        self._caller_warning_wav = caller_warning_wav
        self._watchdog = watchdog
        # Wake often enough to feed systemd's watchdog even when the line is quiet.
        self._tick = LIST_REFRESH_SECONDS
        if watchdog_interval:
            self._tick = min(watchdog_interval / 4, LIST_REFRESH_SECONDS)
        self._hooks = hooks or ApplianceHooks()
        self._events: queue.Queue[object] = queue.Queue()
        self._stopping = threading.Event()
        self._call = _ActiveCall(record=None, first_ring=None, last_ring=None)
        self._last_flagged: CallRecord | None = None
        self._unsaved: list[CallRecord] = []  # calls the disk refused, oldest first
        self._lists: FamilyLists = store.family_lists(region)
        self._lists_loaded_at = time.monotonic()
        self._driver = driver_factory(self._events.put)
        self.modem_state = ModemState.STARTING
        self._modem_detail = ""

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the sinks and the modem driver; returns at once."""
        for sink in self._sinks:
            _guard(sink.start, f"{type(sink).__name__}.start")
        self._driver.start()

    def run(self) -> None:
        """Process events until `stop()`; the only thread that screens, logs and acts."""
        while not self._stopping.is_set():
            try:
                event = self._events.get(timeout=self._tick)
            except queue.Empty:
                event = None
            if self._watchdog is not None:
                self._watchdog()
            if event is None:
                self._idle()
                continue
            if event is _STOP:
                break
            try:
                self._dispatch(event)
            except Exception:  # one bad event must never stop the appliance
                log.exception("could not process %r", event)

    def stop(self) -> None:
        """Ask `run()` to return; then stop the driver and the sinks."""
        self._stopping.set()
        self._events.put(_STOP)

    def close(self) -> None:
        """Release the modem and the sinks (call after `run()` returned)."""
        _guard(self._driver.stop, "driver.stop")
        for sink in self._sinks:
            _guard(sink.close, f"{type(sink).__name__}.close")

    # -- family actions from the panel button ----------------------------------------------------

    def set_caller_warning(self, wav_path: str | None) -> None:
        """The WAV to play to callers whose verdict asks for Action.WARN_CALLER (rendered at start-up)."""
        self._caller_warning_wav = wav_path

    def reload_lists(self) -> None:
        """Re-read the family's lists now (after a change made outside the website's usual path)."""
        self._refresh_lists(force=True)

    def block_last_flagged(self) -> None:
        """Put the last flagged caller on the block list (the panel's long press)."""
        self._events.put(_BlockLast())

    def acknowledge(self) -> None:
        """The household saw the warning: stop the warning and the lights."""
        self._events.put(_Acknowledge())

    # -- event handling --------------------------------------------------------------------------

    def _commit(self, record: CallRecord) -> int | None:
        """Write the call now; if the disk refuses (full, read-only), keep it and retry later."""
        try:
            return self._store.add_call(record)
        except Exception:
            log.exception("could not write the call to the log; keeping it in memory to retry")
            self._unsaved.append(record)
            del self._unsaved[:-MAX_UNSAVED]
            return None

    def _retry_unsaved(self) -> None:
        while self._unsaved:
            try:
                self._store.add_call(self._unsaved[0])
            except Exception as exc:
                log.debug("the call log still refuses writes: %s", exc)
                return
            del self._unsaved[0]
            log.info("wrote a call that had waited in memory to the log")

    def _dispatch(self, event: object) -> None:
        if self._unsaved:
            self._retry_unsaved()

        if isinstance(event, ev.CallerIDReceived):
            self._on_caller_id(event.caller, event.at)
        elif isinstance(event, ev.Ring):
            self._on_ring(event.at)
        elif isinstance(event, ev.CallEnded):
            self._end_call()
        elif isinstance(event, ev.ModemStatus):
            self._on_status(event.state, event.detail)
        elif isinstance(event, _BlockLast):
            self._do_block_last()
        elif isinstance(event, _Acknowledge):
            self._end_call()
        else:
            log.debug("ignoring event %r", event)

    def _on_ring(self, at: float) -> None:
        call = self._call
        if call.last_ring is not None and at - call.last_ring > self._ring_gap:
            self._end_call()
            call = self._call
        if call.first_ring is None:
            call.first_ring = at
            self._refresh_lists()  # off the critical path: caller ID follows the first ring
        call.last_ring = at
        call.rings += 1
        call.rings_since_record += 1
        if call.record is not None:
            for sink in self._sinks:
                _guard(lambda s=sink: s.ring(call.record), "ring")
        elif call.rings >= 3:
            # Three rings and still no caller ID: the line sends none. Log the call anyway.
            self._on_caller_id(CallerID(format="text"), at)

    def _on_caller_id(self, caller: CallerID, at: float) -> None:
        timings = Timings(caller_id_at=at)
        current = self._call.record
        if current is not None and _same_caller(current.caller, caller) and self._call.rings_since_record < 2:
            # The modem repeated the record (e.g. AT+VRID, or a second burst). Caller ID comes once a
            # call, before the second ring: after two more rings the same number is a new call (a
            # caller who hangs up and redials at once, as fraudsters do, must be warned and logged).
            return
        if current is not None:
            self._end_call()
        verdict = screen(caller, self._lists, self._screen_config)
        timings.verdict_at = time.monotonic()
        actions = self._policy.actions_for(verdict)
        taken: list[str] = []

        # Fast actions first: neither waits on the modem, the speaker or the disk. A call that
        # will hear the caller warning is answered by that playback instead of a bare hang-up.
        if Action.BLOCK in actions and not (Action.WARN_CALLER in actions and self._caller_warning_wav):
            self._driver.hang_up()
            timings.hangup_at = time.monotonic()
            taken.append(Action.BLOCK)
        record = CallRecord(
            received_at=_now_iso(),
            caller=caller,
            verdict=verdict,
            actions=tuple(sorted(actions)),
        )
        for sink in self._sinks:
            _guard(lambda s=sink: s.incoming(record, actions), "incoming")
        if actions & {Action.WARN_HOUSEHOLD, Action.PANEL}:
            timings.warning_at = time.monotonic()
            taken.extend(sorted(actions & {Action.WARN_HOUSEHOLD, Action.PANEL}))

        # Commit before anything slow runs, so a crash from here on loses nothing.
        call_id = self._commit(record)
        if call_id is not None:
            record = replace(record, id=call_id)

        if Action.WARN_CALLER in actions:
            if self._caller_warning_wav:
                # The driver answers, plays the warning, then hangs up: a blocked call hears it too.
                self._driver.play_to_caller(self._caller_warning_wav)
                taken.append(Action.WARN_CALLER)
                if Action.BLOCK in actions:
                    taken.append(Action.BLOCK)  # the playback ends by hanging up
            else:
                log.warning("no caller warning is rendered yet; the caller was not warned")
        if Action.NOTIFY in actions:
            taken.append(Action.NOTIFY)  # notifications are logged; the website shows flagged calls
        taken = sorted(set(taken))
        if tuple(taken) != record.actions:
            record = replace(record, actions=tuple(taken))
            if call_id is None:
                self._unsaved[-1] = record  # still waiting to be written: write the final actions
            else:
                _guard(lambda: self._store.set_actions(call_id, taken), "set_actions")

        self._call = _ActiveCall(record=record, first_ring=self._call.first_ring or at, last_ring=at,
                                 rings=self._call.rings)
        if verdict.flagged:
            self._last_flagged = record
        if Action.BLOCK in actions:
            self._end_call()
        if self._hooks.on_call is not None:
            self._hooks.on_call(record, timings)

    def _end_call(self) -> None:
        record = self._call.record
        self._call = _ActiveCall(record=None, first_ring=None, last_ring=None)
        if record is not None:
            for sink in self._sinks:
                _guard(lambda s=sink: s.ended(record), "ended")

    def _on_status(self, state: str, detail: str) -> None:
        if (state, detail) != (self.modem_state, self._modem_detail):
            self._publish_modem_state(state, detail)
        self.modem_state, self._modem_detail = state, detail
        if self._hooks.on_status is not None:
            self._hooks.on_status(state, detail)

    def _publish_modem_state(self, state: str, detail: str) -> None:
        """Leave the modem's health where the website's /status page (maybe another process) reads it."""
        try:
            self._store.set_settings(
                {"modem.state": state, "modem.detail": detail, "modem.updated_at": _now_iso()}
            )
        except Exception:
            log.exception("could not record the modem state for the website")

    def _do_block_last(self) -> None:
        record = self._last_flagged
        number = record.caller.number if record is not None else None
        if not number:
            log.info("block button pressed, but there is no flagged caller with a number to block")
            return
        if record is not None and record.verdict.verdict == VerdictCode.BLOCKLISTED:
            log.info("block button pressed, but %s is already on the block list", number)
            return  # re-adding would replace the family's own label with the button's
        self._store.add_list_entry(ListKind.BLOCK, number, label="blocked with the button")
        self._refresh_lists(force=True)
        log.info("blocked %s from the panel button", number)

    def _idle(self) -> None:
        if self._unsaved:
            self._retry_unsaved()
        if self._call.last_ring is not None and time.monotonic() - self._call.last_ring > self._ring_gap:
            self._end_call()
        self._refresh_lists()

    def _refresh_lists(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._lists_loaded_at >= LIST_REFRESH_SECONDS:
            try:
                self._lists = self._store.family_lists(self._region)
            except Exception:
                log.exception("could not reload the allow and block lists; keeping the old ones")
            self._lists_loaded_at = now


class _BlockLast:
    pass


class _Acknowledge:
    pass


_STOP = object()


def _now_iso() -> str:
    """Wall-clock time with the household's UTC offset, as the log and the website show it."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


def _same_caller(a: CallerID, b: CallerID) -> bool:
    return (a.number, a.absence, a.name) == (b.number, b.absence, b.name)


def _guard(fn: Callable[[], object], what: str) -> None:
    """Run an alert or driver call; a failing speaker or LED never takes the appliance down."""
    try:
        fn()
    except Exception:
        log.exception("%s failed", what)
