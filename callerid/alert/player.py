"""Playing warnings through ALSA in a worker thread: newest call wins, never blocking the caller.

The player runs `aplay` (or the command in $CALLERID_PLAYER) once per WAV part in
its own thread. `play()` only swaps the current job and kills the running player
process, so the appliance's event loop returns at once even when the sound card
hangs or the player is slow; a newer call always pre-empts an older warning.
Without a sound card aplay fails: that is said once in the log, and every
attempt still reports which WAV it would have played.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from callerid.alert.render import Ticket

log = logging.getLogger("callerid.alert.player")

DEFAULT_COMMAND = ("aplay", "-q")
#: Longest wait for a part still being rendered before skipping it.
PART_TIMEOUT = 30.0
#: Pause between repeats of the warning while the phone keeps ringing.
REPEAT_GAP = 0.8
#: After SIGTERM, how long a player process gets before SIGKILL.
KILL_GRACE = 1.0


def player_command(command: Sequence[str] | str | None = None) -> list[str]:
    """The player program: the argument, else $CALLERID_PLAYER, else `aplay -q` (the file is appended)."""
    if command is None:
        command = os.environ.get("CALLERID_PLAYER") or list(DEFAULT_COMMAND)
    if isinstance(command, str):
        command = shlex.split(command)
    if not command:
        raise ValueError("the player command is empty")
    return list(command)


@dataclass(frozen=True)
class PlaybackEvent:
    """One step of playing a warning; `at` is time.monotonic(). The latency benchmark uses "started"."""

    call: str
    part: str  # "warning" | "name" | "number"
    phase: str  # "started" | "finished" | "skipped"
    path: str | None
    at: float
    ok: bool | None = None
    detail: str = ""


@dataclass
class PlayJob:
    """The warning for one call: parts played in order, again after each ring while `repeat`."""

    call: str
    parts: list[tuple[str, Ticket]]
    repeat: bool = True
    finish_on_end: bool = False  # a blocked call: when it "ends" (hung up), finish this play, then stop
    plays_wanted: int = 1
    plays_started: int = 0
    generation: int = field(default=0, repr=False)


class Player:
    """One worker thread playing the current job's parts with a subprocess per part."""

    def __init__(
        self,
        command: Sequence[str] | str | None = None,
        *,
        on_event: Callable[[PlaybackEvent], None] | None = None,
        part_timeout: float = PART_TIMEOUT,
        repeat_gap: float = REPEAT_GAP,
    ) -> None:
        self.command = player_command(command)
        self._on_event = on_event
        self._part_timeout = part_timeout
        self._repeat_gap = repeat_gap
        self._cond = threading.Condition()
        self._job: PlayJob | None = None
        self._generation = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._closed = False
        self._thread: threading.Thread | None = None
        self._failure_said = False
        self.failures = 0
        self.plays = 0

    # -- called from the appliance's thread: all of these return at once ----------------------

    def start(self) -> None:
        with self._cond:
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._loop, name="speech-player", daemon=True)
                self._thread.start()

    def play(self, job: PlayJob) -> None:
        """Make `job` the current warning, cutting off whatever is playing."""
        with self._cond:
            self._generation += 1
            job.generation = self._generation
            self._job = job
            self._kill_current()
            self._cond.notify_all()
        for _, ticket in job.parts:
            ticket.on_done(self._wake)

    def again(self, call: str) -> None:
        """Another ring: play the current warning once more after the present play ends."""
        with self._cond:
            job = self._job
            if job is not None and job.call == call and job.repeat:
                job.plays_wanted = job.plays_started + 1
                self._cond.notify_all()

    def end(self, call: str) -> bool:
        """The call ended: stop its warning, or for a `finish_on_end` job let this play finish."""
        with self._cond:
            job = self._job
            if job is None or job.call != call:
                return False
            if job.finish_on_end:
                job.repeat = False
                job.plays_wanted = max(job.plays_started, 1)
                return True
        return self.stop(call)

    def stop(self, call: str | None = None) -> bool:
        """Stop the warning (of `call`, or whatever plays); True when something was stopped."""
        with self._cond:
            if self._job is None or (call is not None and self._job.call != call):
                return False
            self._generation += 1
            self._job = None
            self._kill_current()
            self._cond.notify_all()
            return True

    def close(self, timeout: float = 2.0) -> None:
        with self._cond:
            self._closed = True
            self._generation += 1
            self._job = None
            self._kill_current()
            self._cond.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    # -- worker ---------------------------------------------------------------------------------

    def _wake(self, _ticket: Ticket | None = None) -> None:
        with self._cond:
            self._cond.notify_all()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._closed and not self._has_work():
                    self._cond.wait()
                if self._closed:
                    return
                job = self._job
                job.plays_started += 1
                generation = job.generation
                first = job.plays_started == 1
            if not first:
                with self._cond:  # a short breath between repeats; stop() or a new call ends it
                    self._cond.wait_for(lambda g=generation: self._generation != g or self._closed,
                                        self._repeat_gap)
            try:
                self._play_once(job, generation)
            except Exception:  # never let one odd file or process kill the player
                log.exception("playback failed")

    def _has_work(self) -> bool:
        return self._job is not None and self._job.plays_started < self._job.plays_wanted

    def _current(self, generation: int) -> bool:
        return self._generation == generation and not self._closed

    def _play_once(self, job: PlayJob, generation: int) -> None:
        for part, ticket in job.parts:
            with self._cond:
                self._cond.wait_for(lambda g=generation, t=ticket: t.done or not self._current(g),
                                    self._part_timeout)
                if not self._current(generation):
                    return
            if ticket.path is None:
                detail = ticket.error or "not rendered in time"
                self._emit(PlaybackEvent(job.call, part, "skipped", None, time.monotonic(), False, detail))
                continue
            if not self._run(job.call, part, str(ticket.path), generation):
                return

    def _run(self, call: str, part: str, path: str, generation: int) -> bool:
        """Play one file; False when this job was pre-empted (stop playing its other parts)."""
        try:
            proc = subprocess.Popen(
                [*self.command, path],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,  # its own process group: a wrapper script dies with its children
            )
        except OSError as exc:
            self._failed(call, part, path, f"cannot start {self.command[0]}: {exc}")
            return True
        started = time.monotonic()
        with self._cond:
            self._proc = proc
            if not self._current(generation):
                self._kill_current()
        self.plays += 1
        self._emit(PlaybackEvent(call, part, "started", path, started))
        _, err = proc.communicate()
        with self._cond:
            if self._proc is proc:
                self._proc = None
            current = self._current(generation)
        if not current:
            self._emit(PlaybackEvent(call, part, "finished", path, time.monotonic(), False, "interrupted"))
            return False
        if proc.returncode != 0:
            lines = err.decode("utf-8", "replace").strip().splitlines()
            reason = f"{self.command[0]} exited {proc.returncode}" + (f": {lines[-1]}" if lines else "")
            self._failed(call, part, path, reason)
            return True
        self._emit(PlaybackEvent(call, part, "finished", path, time.monotonic(), True))
        return True

    def _failed(self, call: str, part: str, path: str, reason: str) -> None:
        self.failures += 1
        if not self._failure_said:
            self._failure_said = True
            log.warning("no sound output (%s); carrying on silently: warnings are still rendered "
                        "and the panel and the log still show every call", reason)
        log.info("would have played %s", path)
        self._emit(PlaybackEvent(call, part, "finished", path, time.monotonic(), False, reason))

    def _kill_current(self) -> None:
        """SIGTERM the running player's process group, SIGKILL it if it lingers (lock held)."""
        proc = self._proc
        if proc is None or proc.returncode is not None:
            return
        _signal_group(proc, signal.SIGTERM)
        timer = threading.Timer(KILL_GRACE, _signal_group, (proc, signal.SIGKILL))
        timer.daemon = True
        timer.start()

    def _emit(self, event: PlaybackEvent) -> None:
        if self._on_event is not None:
            try:
                self._on_event(event)
            except Exception:
                log.exception("playback observer failed")


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)


__all__ = ["DEFAULT_COMMAND", "PlayJob", "PlaybackEvent", "Player", "player_command"]
