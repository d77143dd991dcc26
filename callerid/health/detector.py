"""`HealthDetector`: a pure state machine from what the appliance saw to faults raised and cleared.

Events in (the modem's state, each screened call, a refused write, free disk space, a failed
playback), each with `now` (wall-clock seconds); `Change`s out. `tick(now)` raises the conditions
that only time reveals (the modem still missing after the grace time, days of silence, a restart
note that has been shown long enough); `deadline()` says when the next tick matters. No I/O, no
clock: the same inputs always give the same faults.
"""

from __future__ import annotations

from dataclasses import dataclass

from callerid.model import VerdictCode

#: A restart after an unclean stop is reported, then cleared after this long running well.
RESTART_NOTE_SECONDS = 600.0


@dataclass(frozen=True, slots=True)
class Thresholds:
    modem_grace: float = 60.0
    silent_seconds: float | None = 7 * 86400.0  # None: never
    unavailable_calls: int = 5  # 0: never
    min_free_bytes: int = 50 * 1024 * 1024
    restart_note: float = RESTART_NOTE_SECONDS


@dataclass(frozen=True, slots=True)
class Fault:
    condition: str
    since: float
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Change:
    """A condition was raised (`active`) or cleared, at `at`; `since` is when it began."""

    condition: str
    active: bool
    since: float
    at: float
    detail: str = ""


class HealthDetector:
    """See the module docstring. `last_call_at` (wall clock) comes from the call log at start-up."""

    def __init__(
        self,
        thresholds: Thresholds,
        now: float,
        *,
        last_call_at: float | None = None,
        unclean_restart: bool = False,
    ) -> None:
        self.t = thresholds
        self.started = now
        self.active: dict[str, Fault] = {}
        self._modem_bad_since: float | None = now  # starting: not ready yet
        self._modem_detail = "starting"
        self._last_call = last_call_at
        self._unavailable_run = 0
        self._write_failed: str | None = None
        self._disk_low: str | None = None
        self._pending: list[Change] = []
        if unclean_restart:
            self._raise("restart", now, now, "")

    # -- events --------------------------------------------------------------------------------

    def modem(self, state: str, detail: str, now: float) -> list[Change]:
        if state == "ready":
            self._modem_bad_since = None
            self._clear("modem", now)
        else:
            if self._modem_bad_since is None:
                self._modem_bad_since = now
            self._modem_detail = f"{state}: {detail}" if detail else state
        return self.tick(now)

    def call(self, verdict: str, has_number: bool, now: float) -> list[Change]:
        """A screened call; `verdict` "unavailable" with no number counts towards "no-number"."""
        self._last_call = now
        self._clear("silent", now)
        if verdict == VerdictCode.UNAVAILABLE and not has_number:
            self._unavailable_run += 1
            n = self.t.unavailable_calls
            if n and self._unavailable_run >= n:
                self._raise("no-number", now, now, f"{self._unavailable_run} calls in a row without a number")
        else:
            self._unavailable_run = 0
            self._clear("no-number", now)
        return self.tick(now)

    def write(self, ok: bool, detail: str, now: float) -> list[Change]:
        self._write_failed = None if ok else (detail or "the database refused a write")
        self._storage(now)
        return self.tick(now)

    def disk(self, free_bytes: int, now: float) -> list[Change]:
        low = free_bytes < self.t.min_free_bytes
        self._disk_low = f"only {free_bytes // (1024 * 1024)} MB free" if low else None
        self._storage(now)
        return self.tick(now)

    def sound(self, ok: bool, detail: str, now: float) -> list[Change]:
        if ok:
            self._clear("sound", now)
        else:
            self._raise("sound", now, now, detail)
        return self.tick(now)

    def tick(self, now: float) -> list[Change]:
        bad = self._modem_bad_since
        if bad is not None and now - bad >= self.t.modem_grace:
            self._raise("modem", bad, now, self._modem_detail)
        silent = self.t.silent_seconds
        if silent is not None:
            last = self._last_call if self._last_call is not None else self.started
            if now - min(last, now) >= silent:
                self._raise("silent", last, now, "")
        restart = self.active.get("restart")
        if restart is not None and now - restart.since >= self.t.restart_note and "modem" not in self.active:
            self._clear("restart", now)
        out, self._pending = self._pending, []
        return out

    def deadline(self) -> float | None:
        """The next time `tick` could change something (None: only a new event can)."""
        times = []
        if self._modem_bad_since is not None and "modem" not in self.active:
            times.append(self._modem_bad_since + self.t.modem_grace)
        if self.t.silent_seconds is not None and "silent" not in self.active:
            last = self._last_call if self._last_call is not None else self.started
            times.append(last + self.t.silent_seconds)
        if "restart" in self.active:
            times.append(self.active["restart"].since + self.t.restart_note)
        return min(times) if times else None

    # -- internals -----------------------------------------------------------------------------

    def _storage(self, now: float) -> None:
        problem = self._write_failed or self._disk_low
        if problem:
            self._raise("storage", now, now, problem)
        else:
            self._clear("storage", now)

    def _raise(self, condition: str, since: float, now: float, detail: str) -> None:
        if condition in self.active:
            return
        self.active[condition] = Fault(condition, since, detail)
        self._pending.append(Change(condition, True, since, now, detail))

    def _clear(self, condition: str, now: float) -> None:
        fault = self.active.pop(condition, None)
        if fault is not None:
            self._pending.append(Change(condition, False, fault.since, now, fault.detail))
