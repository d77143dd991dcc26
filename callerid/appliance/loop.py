"""The running appliance: modem events in, screened and logged calls out.

One thread owns every decision. The modem driver's reader thread only turns
bytes into events and puts them on a queue; this loop screens each caller ID,
starts the fast actions (hang up, household warning), commits the call to the
store, and only then runs the slow ones (a spoken warning to the caller) and
tells the per-call listeners. Alert sinks (speech, LED panel, the demo's
terminal view) never block it: each one queues its own work.

Seams for new parts: `add_sink()` for anything that warns the household while the
phone rings, `add_listener()` for anything that follows logged calls (it gets the
record with its id, e.g. to queue a notification).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from callerid.alert import AlertSink
from callerid.appliance.call import Call
from callerid.appliance.held import UNSAVED_RETRY_SECONDS, HeldCalls, Unsaved
from callerid.appliance.household import BUTTON_LABEL, Household
from callerid.appliance.plan import plan_actions
from callerid.appliance.spool import HeldSpool
from callerid.model import Action, CallerID, CallRecord, ListKind, ModemState
from callerid.modem import events as ev
from callerid.policy import Policy
from callerid.screen.engine import ScreenConfig, screen
from callerid.screen.lists import FamilyLists
from callerid.screen.police import PoliceEntry

if TYPE_CHECKING:
    from callerid.modem.join import JoinResult, JoinSettings
    from callerid.recording.worker import RecordingWorker
    from callerid.store import Store

log = logging.getLogger("callerid.appliance")

#: Calls whose hang-up the driver has not reported on yet (beyond this the oldest are forgotten).
MAX_AWAITING_HANG_UP = 64
#: How often the idle loop reloads the family's lists (the website may change them).
LIST_REFRESH_SECONDS = 10.0


class Driver(Protocol):
    """What the appliance needs from a modem driver (callerid.modem.driver.ModemDriver)."""

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def hang_up(self, ref: str | None = None) -> None: ...
    def play_to_caller(self, wav_path: str, ref: str | None = None) -> None: ...


class CallListener(Protocol):
    """Follows logged calls (notifications, fleet): called on the appliance's thread, must not block.

    `record` has its id; `requested` is what the policy asked for. Returns the actions it started
    (e.g. {Action.NOTIFY} once a notification is queued), which the log then records.
    """

    def __call__(self, record: CallRecord, requested: frozenset[Action]) -> Iterable[Action] | None: ...


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


class Appliance(HeldCalls):
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
        spool: HeldSpool | None = None,
    ) -> None:
        self._store = store
        self._spool = spool or HeldSpool(None)
        self._base_screen_config = screen_config
        self._screen_config = screen_config
        self._household_police: tuple[PoliceEntry, ...] = ()
        self._policy = policy
        self._sinks: list[AlertSink] = list(sinks)
        self._listeners: list[CallListener] = []
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
        self._call: Call | None = None
        self._household = Household()
        self._unsaved: list[Unsaved] = []  # calls the disk refused, oldest first
        self._awaiting_hang_up: dict[str, CallRecord] = {}  # key -> record, until the driver reports
        self._lists: FamilyLists = FamilyLists.empty(region)
        self._lists_loaded_at = 0.0
        self._refresh_lists(force=True)
        self._driver = driver_factory(self._events.put)
        self.modem_state = ModemState.STARTING
        self.modem_detail = ""
        # Recording answered calls (issue 18): set by the assembly when the policy asks for it.
        self._announcement: str | None = None
        self._join_settings: JoinSettings | None = None
        self._recordings: RecordingWorker | None = None

    # -- assembly (before start) -----------------------------------------------------------------

    def add_sink(self, sink: AlertSink) -> None:
        """Another alert output; sinks are told in the order they were added."""
        self._sinks.append(sink)

    def add_listener(self, listener: CallListener) -> None:
        """Another follower of logged calls."""
        self._listeners.append(listener)

    def enable_recording(self, worker: RecordingWorker, settings: JoinSettings) -> None:
        """Join and record the calls the policy marks `record` (once the announcement is set)."""
        self._recordings = worker
        self._join_settings = settings

    @property
    def announcement(self) -> str | None:
        """The rendered recording announcement (None until rendered, or when not recording)."""
        return self._announcement

    @property
    def _recording_ready(self) -> bool:
        return self._announcement is not None and self._recordings is not None

    def set_announcement(self, wav_path: str | None) -> None:
        """The rendered "this call is recorded" announcement; until it exists no call is joined."""
        self._announcement = wav_path

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the sinks and the modem driver; returns at once."""
        for sink in self._sinks:
            _guard(sink.start, f"{type(sink).__name__}.start")
        self._driver.start()

    def run(self) -> None:
        """Process events until `stop()`; the only thread that screens, logs and acts."""
        self._recover_spooled()
        while not self._stopping.is_set():
            tick = min(self._tick, UNSAVED_RETRY_SECONDS) if self._unsaved else self._tick
            try:
                event = self._events.get(timeout=tick)
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
        self._log_unscreened_call()  # stopping while a call rings without caller ID: keep it
        self._keep_unsaved_at_exit()

    def stop(self) -> None:
        """Ask `run()` to return; then stop the driver and the sinks."""
        self._stopping.set()
        self._events.put(_STOP)

    def close(self) -> None:
        """Release the modem and the sinks (call after `run()` returned)."""
        _guard(self._driver.stop, "driver.stop")
        for sink in self._sinks:
            _guard(sink.close, f"{type(sink).__name__}.close")

    # -- from other threads: all of these queue an event and return at once ----------------------

    @property
    def caller_warning(self) -> str | None:
        """The WAV played to callers whose verdict asks for "warn-caller" (None until rendered)."""
        return self._caller_warning_wav

    def set_caller_warning(self, wav_path: str | None) -> None:
        self._caller_warning_wav = wav_path

    def reload_lists(self) -> None:
        """Re-read the family's lists now (after a change made outside the website's usual path)."""
        self._refresh_lists(force=True)

    def block_last_flagged(self) -> None:
        """The panel button was held: put the last flagged caller on the block list."""
        self._events.put(_BLOCK_LAST)

    def acknowledge(self) -> None:
        """The panel button was pressed: the household saw the warning; stop it and the lights."""
        self._events.put(_ACKNOWLEDGE)

    # -- event handling --------------------------------------------------------------------------

    def _dispatch(self, event: object) -> None:
        if self._unsaved:
            self._retry_unsaved()
        if isinstance(event, ev.CallerIDReceived):
            self._on_caller_id(event.caller, event.at)
        elif isinstance(event, ev.Ring):
            self._on_ring(event.at)
        elif isinstance(event, ev.CallEnded):
            self._log_unscreened_call()
            self._end_call()
        elif isinstance(event, ev.ModemStatus):
            self._on_status(event.state, event.detail)
        elif isinstance(event, _Joined):
            self._on_joined(event)
        elif isinstance(event, ev.HangUpResult):
            self._on_hang_up_result(event.ref, event.done, event.detail)
        elif event is _BLOCK_LAST:
            if not self._stop_recording():
                self._block_last()
        elif event is _ACKNOWLEDGE:
            record = self._household.acknowledge()
            self._tell(lambda sink: sink.acknowledge(record), "acknowledge")
        else:
            log.debug("ignoring event %r", event)

    def _on_ring(self, at: float) -> None:
        if self._call is None:
            self._call = Call()
            self._refresh_lists()  # off the critical path: caller ID follows the first ring
        call = self._call
        call.ring()
        if call.record is not None:
            record = call.record
            self._tell(lambda sink: sink.ring(record), "ring")
        elif call.lacks_caller_id:  # the line sends no caller ID: log the call anyway
            self._on_caller_id(CallerID(format="text"), at)

    def _on_caller_id(self, caller: CallerID, at: float) -> None:
        timings = Timings(caller_id_at=at)
        if self._call is not None and self._call.repeats(caller):
            return
        if self._call is not None and self._call.record is not None:
            self._end_call()  # a new call arrived before the driver saw the old one end
        call = self._call = self._call or Call()

        verdict = screen(caller, self._lists, self._screen_config)
        timings.verdict_at = time.monotonic()
        plan = plan_actions(self._policy.actions_for(verdict),
                            caller_warning_ready=self._caller_warning_wav is not None,
                            announcement_ready=self._recording_ready)
        started: set[Action] = set()
        key = uuid.uuid4().hex

        # Fast actions first: neither waits on the modem, the speaker or the disk.
        if plan.hang_up:
            self._driver.hang_up(ref=key)
            timings.hangup_at = time.monotonic()
        record = CallRecord(received_at=_now_iso(), caller=caller, verdict=verdict, key=key)
        for sink in self._sinks:
            started.update(_started(sink, record, plan.requested) & plan.household)
        if plan.household:
            timings.warning_at = time.monotonic()
        self._household.warned(record)

        # Commit before anything slow runs, so a crash from here on loses nothing.
        if plan.warn_caller and self._caller_warning_wav is not None:
            # The driver answers, plays the warning, then hangs up: a blocked call hears it too.
            self._driver.play_to_caller(self._caller_warning_wav, ref=key)
        elif plan.unmet_caller_warning:
            log.warning("no caller warning is rendered yet; the caller was not warned")
        started |= plan.driver_actions
        record = replace(record, actions=tuple(sorted(started)))
        record = self._commit(record, plan.requested)
        if plan.record:
            self._arm_recording(record)
        if plan.hang_up or (plan.warn_caller and self._caller_warning_wav is not None):
            self._awaiting_hang_up[key] = record  # the driver says later whether it reached the line
            for stale in list(self._awaiting_hang_up)[:-MAX_AWAITING_HANG_UP]:
                del self._awaiting_hang_up[stale]
        call.screened(record)
        if self._hooks.on_call is not None:
            self._hooks.on_call(record, timings)

    def _on_hang_up_result(self, key: str, done: bool, detail: str) -> None:
        """The log records what the modem did: a hang-up that never reached the line is no block."""
        record = self._awaiting_hang_up.pop(key, None)
        if record is None:
            return
        actions = record.actions
        if not done:
            log.warning("the hang-up for %s was not done (%s); the log says so",
                        record.caller.number or "a call without a number", detail)
            actions = tuple(a for a in actions if a not in (Action.BLOCK, Action.WARN_CALLER))
        record = replace(record, actions=actions, hang_up_done=done)
        for waiting in self._unsaved:  # not on disk yet: it will be written with the truth
            if waiting.record.key == key:
                waiting.record = replace(waiting.record, actions=actions, hang_up_done=done)
                self._spool.put(waiting.record, waiting.requested)
                return
        if record.id is not None:
            logged = record
            _guard(lambda: self._store.record_hang_up(logged.id, done, list(logged.actions)),
                   "record_hang_up")
        if self._call is not None and self._call.record is not None and self._call.record.key == key:
            self._call.record = record

    def _log_unscreened_call(self) -> None:
        """A call that rang but never got a caller ID (lost at a replug, or fewer rings than
        RINGS_WITHOUT_CALLER_ID): it is over, so it is logged now without one."""
        call = self._call
        if call is None or call.record is not None or call.rings == 0:
            return
        caller = CallerID(format="text")
        timings = Timings(caller_id_at=time.monotonic())
        verdict = screen(caller, self._lists, self._screen_config)
        timings.verdict_at = time.monotonic()
        # Nothing is started for a call that is already over (a hang-up now would seize an idle line).
        record = CallRecord(received_at=_now_iso(), caller=caller, verdict=verdict, key=uuid.uuid4().hex)
        record = self._commit(record, frozenset(self._policy.actions_for(verdict)))
        call.screened(record)
        if self._hooks.on_call is not None:
            self._hooks.on_call(record, timings)

    def _arm_recording(self, record: CallRecord) -> None:
        """Ask the driver to join this call if the household answers; the result comes back as an event."""
        join = getattr(self._driver, "join_if_answered", None)
        if join is None or record.id is None or self._announcement is None or self._join_settings is None:
            return  # a driver without voice joining, or a call the disk has not logged yet
        call_id = record.id
        join(self._announcement, self._join_settings,
             lambda result: self._events.put(_Joined(call_id, result)))

    def _on_joined(self, joined: _Joined) -> None:
        result = joined.result
        log.info("call %s: joined after pickup: %s (%s)", joined.call_id, result.outcome, result.ended_by)
        if result.outcome == "recorded" and self._recordings is not None:
            self._recordings.submit(joined.call_id, result)  # encoded and saved on its own thread

    def _end_call(self) -> None:
        call, self._call = self._call, None
        if call is not None and call.record is not None:
            record = call.record
            self._tell(lambda sink: sink.ended(record), "ended")

    def _stop_recording(self) -> bool:
        """A held button during a recording ends the recording (and blocks nobody)."""
        stop = getattr(self._driver, "stop_recording", None)
        if stop is not None and stop():
            log.info("recording stopped from the panel button")
            return True
        return False

    def _block_last(self) -> None:
        record = self._household.to_block()
        if record is not None:
            try:
                self._store.add_list_entry(ListKind.BLOCK, record.caller.number, label=BUTTON_LABEL)
            except Exception:
                log.exception("could not put %s on the block list", record.caller.number)
                record = None
            else:
                self._household.blocked(record)
                self._refresh_lists(force=True)
                log.info("blocked %s from the panel button", record.caller.number)
        blocked = record
        self._tell(lambda sink: sink.blocked(blocked), "blocked")

    def _tell(self, message: Callable[[AlertSink], object], what: str) -> None:
        for sink in self._sinks:
            _guard(lambda s=sink: message(s), f"{type(sink).__name__}.{what}")

    # -- the log -----------------------------------------------------------------------------------

    def _logged(self, record: CallRecord, requested: frozenset[Action]) -> CallRecord:
        """The call is in the log: the household and the listeners see it with its id."""
        self._household.logged(record)
        started = set(record.actions)
        for listener in self._listeners:
            try:
                started.update(listener(record, requested) or ())
            except Exception:
                log.exception("call listener %r failed", listener)
        if started != set(record.actions):
            record = replace(record, actions=tuple(sorted(started)))
            logged = record
            _guard(lambda: self._store.set_actions(logged.id, list(logged.actions)), "set_actions")
        return record

    # -- the modem's health and idle work --------------------------------------------------------

    def _on_status(self, state: str, detail: str) -> None:
        state = _modem_state(state)
        if (state, detail) != (self.modem_state, self.modem_detail):
            self._publish_modem_state(state, detail)
        self.modem_state, self.modem_detail = state, detail
        if self._hooks.on_status is not None:
            self._hooks.on_status(state, detail)

    def _publish_modem_state(self, state: str, detail: str) -> None:
        """Leave the modem's health where the website's /status page (maybe another process) reads it."""
        try:
            self._store.set_settings(
                {"modem.state": state, "modem.detail": detail, "modem.updated_at": _now_iso()}
            )
        except Exception as exc:  # the store's one line says why (a full disk, say): no traceback
            log.error("could not record the modem state for the website: %s", exc)

    def _idle(self) -> None:
        if self._unsaved:
            self._retry_unsaved()
        self._refresh_lists()

    def _refresh_lists(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._lists_loaded_at >= LIST_REFRESH_SECONDS:
            try:
                self._lists = self._store.family_lists(self._region)
                household = tuple(self._store.police_numbers())
                if household != self._household_police:  # the family added a station on the website
                    self._household_police = household
                    self._screen_config = self._base_screen_config.with_household_police(household)
            except Exception:
                log.exception("could not reload the family's lists; keeping the old ones")
            self._lists_loaded_at = now


@dataclass(frozen=True)
class _Joined:
    """The driver finished joining a call (from its thread, through the event queue)."""

    call_id: int
    result: JoinResult


_BLOCK_LAST = object()
_ACKNOWLEDGE = object()
_STOP = object()


def _now_iso() -> str:
    """Wall-clock time with the household's UTC offset, as the log and the website show it."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


def _modem_state(state: str) -> ModemState | str:
    try:
        return ModemState(state)
    except ValueError:
        return state


def _started(sink: AlertSink, record: CallRecord, requested: frozenset[Action]) -> frozenset[Action]:
    """What `sink` started for this call (nothing when it failed: a broken speaker is not a warning)."""
    try:
        return frozenset(sink.incoming(record, requested) or ())
    except Exception:
        log.exception("%s.incoming failed", type(sink).__name__)
        return frozenset()


def _guard(fn: Callable[[], object], what: str) -> None:
    """Run an alert or driver call; a failing speaker or LED never takes the appliance down."""
    try:
        fn()
    except Exception:
        log.exception("%s failed", what)


__all__ = ["Appliance", "ApplianceHooks", "CallListener", "Driver", "Timings"]
