"""The modem driver: one thread that owns the serial port and turns it into events.

What it guarantees: every byte the modem prints in command mode reaches the caller-ID stream,
including bytes that arrive during initialisation or while a command waits for OK, and the record
pending when the port vanishes is completed by the stream's quiet timer, not dropped. It notices a
modem that was unplugged (the port reads EOF / EIO) or that stopped answering (no OK to an idle AT
ping), reopens it with exponential backoff and re-initialises. Actions (hang up, play to the caller)
are queued from any thread and run in the driver's thread, so callers never wait on the modem.
The thread sleeps in `select` on the port and a wake-up pipe, with timeouts from the stream's
deadline, the ping schedule and the call-end timer: no polling.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from callerid.decode.stream import CallerIDStream
from callerid.model import CallerID, ModemState
from callerid.modem import events as ev
from callerid.modem.discovery import find_ports, usb_info
from callerid.modem.join import JoinResult, JoinSettings, PickupWatch
from callerid.modem.line_actions import LineActions
from callerid.modem.link import LinkLost, ModemLink, Stopping
from callerid.modem.number_display import CAPTURE_SECONDS, CAR_MAX_INTERVAL, CarDetector
from callerid.modem.probe import ModemError, open_serial, probe
from callerid.modem.profiles import GENERIC, ModemProfile, get_profile
from callerid.modem.requests import Request, Requests
from callerid.modem.session import CALLER_ID_VALUES, initialise

log = logging.getLogger(__name__)

#: Silence on the line (no ring, no caller ID) after which a call is over: Japanese ringing is
#: 1 s on / 2 s off, North American 2 s on / 4 s off. The one rule for "the call is over": the
#: appliance follows the driver's CallEnded and keeps no timer of its own.
RING_GAP_SECONDS = 7.0


class ModemDriver(LineActions):
    """A USB voice modem as a stream of events (Ring, CallerIDReceived, ModemStatus, CallEnded...).

    `on_event` is called from the driver's thread and must not block (hand work to another thread).
    Timing knobs (command_timeout, backoff, ring gap, hang-up hold) default to values for real
    modems; tests shrink them.
    """

    def __init__(
        self,
        port: str,
        *,
        profile: str = "auto",
        country_code: str | None = "00",
        quiet_seconds: float = 1.5,
        ping_seconds: float = 30.0,
        on_event: Callable[[ev.ModemEvent], None],
        caller_id_mode: str = "text",
        command_timeout: float = 3.0,
        ring_gap_seconds: float = RING_GAP_SECONDS,
        hangup_hold_seconds: float = 1.0,
        backoff_initial: float = 0.25,
        backoff_max: float = 5.0,
        appear_poll_seconds: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
        stream_factory: Callable[[], Any] | None = None,
        discovery_root: str = "/",
        number_display: str = "off",
        car_max_interval: float = CAR_MAX_INTERVAL,
        number_display_seconds: float = CAPTURE_SECONDS,
    ) -> None:
        if profile != "auto":
            get_profile(profile)  # ValueError naming the choices
        if caller_id_mode not in CALLER_ID_VALUES:
            raise ValueError(f"caller_id_mode must be one of {', '.join(CALLER_ID_VALUES)}")
        if number_display not in ("auto", "on", "off"):
            raise ValueError("number_display must be auto, on or off")
        self.port = port
        self._profile_name = profile
        self._country_code = country_code
        self._caller_id_mode = caller_id_mode
        self._ping_seconds = ping_seconds
        self._on_event = on_event
        self._command_timeout = command_timeout
        self._ring_gap = ring_gap_seconds
        self._hangup_hold = hangup_hold_seconds
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._appear_poll = appear_poll_seconds
        self._clock = clock
        self._root = discovery_root
        if stream_factory is None:
            stream_factory = _default_stream_factory(quiet_seconds)
        self._stream = stream_factory()

        self._jobs = Requests()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._link: ModemLink | None = None
        self._profile: ModemProfile = GENERIC
        self._info: ev.ModemInfo | None = None
        self._last_activity: float | None = None  # last RING / caller ID of the current call
        self._offhook = False
        # Japan's Number Display on a voice modem (callerid.modem.number_display): answer CAR once
        # per call, record the FSK burst, decode it ourselves.
        self._number_display = number_display
        self._car = CarDetector(car_max_interval)
        self._nd_seconds = number_display_seconds
        self._nd_tried = False
        self._pickup = PickupWatch(ring_gap_seconds)  # joining answered calls, armed per call
        self._join_settings = JoinSettings()
        self._on_joined: Callable[[JoinResult], None] | None = None
        self._stop_join = threading.Event()
        self._joining = False
        self._unreported: str | None = None  # the running job's ref until its result is out

    # ---- public API (any thread) ----------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("ModemDriver.start() called twice")
        self._thread = threading.Thread(target=self._run, name="modem-driver", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop the thread (completing any pending caller-ID record first) and close the port."""
        self._stop.set()
        self._wake()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.error("modem driver thread did not stop within %.1f s", timeout)
                return
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._wake_r = self._wake_w = -1

    def hang_up(self, ref: str | None = None) -> None:
        """Drop the call: off-hook, a short hold, on-hook. Returns at once; HangUpResult(ref) follows."""
        self._queue("hang_up", None, ref)

    def play_to_caller(self, wav_path: str | Path, ref: str | None = None) -> None:
        """Answer, play a WAV to the caller, hang up. Returns at once; HangUpResult(ref) follows."""
        self._queue("play", str(wav_path), ref)

    def join_if_answered(
        self, announcement_wav: str | Path, settings: JoinSettings, on_done: Callable[[JoinResult], None]
    ) -> None:
        """When the ringing call stops early (answered), join, announce, record (callerid.modem.join);
        `on_done` gets the result on the driver's thread and must not block. Returns at once."""
        self._join_settings = settings
        self._on_joined = on_done
        self._queue("arm_join", str(announcement_wav))

    def stop_recording(self) -> bool:
        """The household held the panel button: end a recording now (any thread). False when no
        call is joined (the button then does what it does otherwise)."""
        if not self._joining:
            return False
        self._stop_join.set()
        return True

    def identify(self, timeout: float = 5.0) -> ev.ModemInfo:
        """What the modem is and which commands it took: from the running driver, or by probing."""
        if self._thread is not None and self._thread.is_alive():
            if not self._ready.wait(timeout) or self._info is None:
                raise ModemError(f"modem on {self.port} is not ready")
            return self._info
        return probe(
            self.port,
            profile=self._profile_name,
            country_code=self._country_code,
            caller_id_mode=self._caller_id_mode,
            timeout=self._command_timeout,
            discovery_root=self._root,
        )

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def wait_ready(self, timeout: float) -> bool:
        return self._ready.wait(timeout)

    def __enter__(self) -> ModemDriver:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- LinkListener (driver thread) -----------------------------------------------------
    def on_line(self, line: str, now: float) -> None:
        is_ring = line.upper() == "RING"
        over_at = self._call_over_at()
        if over_at is not None and now >= over_at:
            self._end_call(now)  # the gap passed while this line was on its way: that call is over
        if is_ring:
            self._last_activity = now
            self._pickup.ring(now)
        self._emit_records(self._guard(self._stream.feed_line, line, now), now)
        if is_ring:
            self._emit(ev.Ring(now))
            if self._car.ring(now) and not self._nd_tried and self._number_display_on():
                self._nd_tried = True  # once per call: CAR lasts 6 s, the capture about 2 s
                self._queue("number_display", None)

    def next_timer(self) -> float | None:
        times = []
        deadline = self._guard(self._stream.deadline)
        if deadline is not None:
            times.append(deadline)
        over_at = self._call_over_at()
        if over_at is not None:
            times.append(over_at)
        if self._last_activity is not None and (pickup := self._pickup.deadline()) is not None:
            times.append(pickup)
        return min(times) if times else None

    def _call_over_at(self) -> float | None:  # a ring gap after the last ring or caller ID, unless...
        if self._last_activity is None or self._offhook:  # off-hook on it: we end it ourselves
            return None
        over_at = self._last_activity + self._ring_gap
        deadline = self._guard(self._stream.deadline)
        return over_at if deadline is None else max(over_at, deadline)

    def run_timers(self, now: float) -> None:
        deadline = self._guard(self._stream.deadline)
        if deadline is not None and now >= deadline:
            self._emit_records(self._guard(self._stream.poll, now), now)
        if self._last_activity is not None and (announcement := self._pickup.take(now)) is not None:
            self._queue("join", announcement)  # the rings stopped early: join before the gap ends it
            return
        over_at = self._call_over_at()
        if over_at is not None and now >= over_at:
            self._end_call(now)

    def stop_requested(self) -> bool:
        return self._stop.is_set()

    # ---- the thread -----------------------------------------------------------------------
    def _run(self) -> None:
        backoff = self._backoff_initial
        failing = announced = False  # in a lost episode; "recovering" said for it
        try:
            while not self._stop.is_set():
                try:
                    if failing and not announced:
                        self._status(ModemState.RECOVERING, f"reopening {self.port}")
                        announced = True
                    link = self._connect()
                    backoff = self._backoff_initial
                    failing = announced = False
                    self._serve(link)
                except LinkLost as exc:
                    self._drop_link()
                    if not failing:
                        failing = True
                        self._status(ModemState.LOST, str(exc))
                    log.info("modem: %s; retrying in %.2f s", exc, backoff)
                    if self._idle_wait(backoff, watch_port=self._port_missing()):
                        backoff = self._backoff_initial  # plugged back in: open it now
                    else:
                        backoff = min(backoff * 2, self._backoff_max)
                except Stopping:
                    raise
                except Exception as exc:  # a bug must not end caller-ID reception: reopen and go on
                    log.exception("modem driver error")
                    self._drop_link()
                    failing = True
                    self._status(ModemState.ERROR, f"driver error: {exc}")
                    self._idle_wait(backoff)
                    backoff = min(backoff * 2, self._backoff_max)
        except Stopping:
            pass
        finally:
            self._shutdown()

    def _connect(self) -> ModemLink:
        paths = [self.port] if self.port != "auto" else [c.path for c in find_ports(self._root)]
        if not paths:
            raise LinkLost("no modem found (looked in /dev/serial/by-id, /dev/ttyACM*, /dev/ttyUSB*)")
        errors = []
        for path in paths:
            try:
                return self._open_and_init(path)
            except LinkLost as exc:
                self._drop_link()
                errors.append(str(exc))
        raise LinkLost("; ".join(errors))

    def _open_and_init(self, path: str) -> ModemLink:
        port = open_serial(path, self._command_timeout)
        link = ModemLink(port, self, wake_fd=self._wake_r, clock=self._clock, name=path)
        self._link = link
        usb_id, _ = usb_info(os.path.realpath(path), self._root)
        self._profile, self._info = initialise(
            link,
            profile=self._profile_name,
            usb_id=usb_id,
            country_code=self._country_code,
            caller_id_mode=self._caller_id_mode,
            timeout=self._command_timeout,
        )
        self._offhook = False
        self._ready.set()
        command = self._info.caller_id_command
        cid = f"caller ID via AT{command}" if command else "no caller-ID command accepted (RING only)"
        self._status(ModemState.READY, f"{self._profile.title} on {path}; {cid}")
        return link

    def _serve(self, link: ModemLink) -> None:
        next_ping = self._clock() + self._ping_seconds
        while not self._stop.is_set():
            self._run_jobs(link)
            now = self._clock()
            if now >= next_ping:
                if self._last_activity is None:  # never ping in the middle of a call
                    self._ping(link)
                next_ping = self._clock() + self._ping_seconds
                continue
            link.pump(next_ping - now)

    def _ping(self, link: ModemLink) -> None:
        for _ in range(2):  # one retry: garbage on the line can hide an OK
            if link.command("", self._command_timeout).result != "timeout":
                return
        raise LinkLost(f"modem on {link.name} stopped answering (no reply to AT within "
                       f"{self._command_timeout:g} s)")

    def _run_jobs(self, link: ModemLink) -> None:
        while True:
            if (job := self._jobs.take()) is None:
                return
            if (age := self._clock() - job.queued_at) > self._ring_gap:
                why = f"dropped: queued {age:.1f} s ago, the call is over"
                log.warning("modem: %s request %s", job.kind, why)
                self._hang_up_result(job.ref, False, why)
                continue
            self._unreported = job.ref
            try:
                if job.kind == "hang_up":
                    self._do_hang_up(link)
                elif job.kind == "play" and job.arg is not None:
                    self._do_play(link, job.arg)
                elif job.kind == "number_display":
                    self._do_number_display(link)
                elif job.kind == "arm_join" and job.arg is not None and self._last_activity is not None:
                    self._pickup.arm(job.arg)
                elif job.kind == "join" and job.arg is not None:
                    self._do_join(link, job.arg)
            except LinkLost as exc:
                self._hang_up_result(self._unreported, False, f"the modem went away: {exc}")
                raise
            finally:
                self._unreported = None

    def _idle_wait(self, seconds: float, *, watch_port: bool = False) -> bool:
        """Wait without a port (backoff), still running the stream's quiet timer. With `watch_port`
        (unplugged) look for the port every `appear_poll_seconds` (one stat) and return True once it
        is back: a call ringing as the modem returns must not wait out the back-off."""
        deadline = self._clock() + seconds
        while (remaining := deadline - self._clock()) > 0:
            timer = self.next_timer()
            timeout = remaining if timer is None else min(remaining, max(0.0, timer - self._clock()))
            if watch_port:
                timeout = min(timeout, self._appear_poll)
            ready, _, _ = select.select([self._wake_r], [], [], timeout)
            if ready:
                with contextlib.suppress(OSError):
                    os.read(self._wake_r, 512)
                if self._stop.is_set():
                    raise Stopping
            self.run_timers(self._clock())
            self._expire_jobs()
            if watch_port and not self._port_missing():
                return True
        return False

    def _port_missing(self) -> bool:  # unplugged (nothing at the path), not broken
        if self.port == "auto":
            return not find_ports(self._root)
        return not os.path.exists(self.port)

    def _drop_link(self) -> None:
        self._ready.clear()
        link, self._link = self._link, None
        if link is not None:
            rest = link.close()
            if rest:
                self.on_line(rest, self._clock())

    def _shutdown(self) -> None:
        link = self._link
        if link is not None and self._offhook:
            with contextlib.suppress(LinkLost, Stopping):  # never leave the line off-hook
                link.set_raw_sink(None)
                for cmd in self._profile.onhook_commands:
                    link.command(cmd, min(self._command_timeout, 0.5))
        self._drop_link()
        now = self._clock()
        self._emit_records(self._guard(self._stream.flush) or [], now)
        self._expire_jobs(why="the appliance stopped before the modem could do it")

    # ---- helpers --------------------------------------------------------------------------
    def _queue(self, kind: str, arg: str | None, ref: str | None = None) -> None:
        self._jobs.put(Request(kind, arg, self._clock(), ref))
        self._wake()

    def _expire_jobs(self, why: str | None = None) -> None:  # hang-ups that can no longer be done
        now = self._clock()
        for job in self._jobs.expire(now, self._ring_gap, everything=why is not None):
            self._hang_up_result(job.ref, False, why or f"dropped: no modem for {now - job.queued_at:.1f} s")

    def _report(self, done: bool, detail: str) -> None:  # once per job: the first word is the truth
        ref, self._unreported = self._unreported, None
        self._hang_up_result(ref, done, detail)

    def _hang_up_result(self, ref: str | None, done: bool, detail: str) -> None:
        if ref is not None:
            self._emit(ev.HangUpResult(ref, done, detail, self._clock()))

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"!")

    def _end_call(self, now: float) -> None:
        self._nd_tried = False
        self._pickup.reset()
        self._car.reset()
        if self._last_activity is not None:
            self._last_activity = None
            self._emit(ev.CallEnded(now))

    def _emit_records(self, records: Iterable[CallerID] | None, now: float) -> None:
        for caller in records or ():
            self._last_activity = now
            self._emit(ev.CallerIDReceived(caller, now))

    def _status(self, state: ModemState, detail: str) -> None:
        log.info("modem %s: %s", state, detail)
        self._emit(ev.ModemStatus(state, detail, self._clock()))

    def _emit(self, event: ev.ModemEvent) -> None:
        try:
            self._on_event(event)
        except Exception:
            log.exception("modem event handler failed on %r", event)

    @staticmethod
    def _guard(func: Callable[..., Any], *args: Any) -> Any:
        """The decoder never raises by contract; if it ever does, log it and keep listening."""
        try:
            return func(*args)
        except Exception:
            log.exception("caller-ID stream failed")
            return None


def _default_stream_factory(quiet_seconds: float) -> Callable[[], Any]:
    def make() -> Any:
        return CallerIDStream(quiet_seconds=quiet_seconds)

    return make


__all__ = ["RING_GAP_SECONDS", "ModemDriver"]
