"""What the modem driver tells the appliance, as frozen events.

`at` is the driver's clock (`time.monotonic()` unless a clock is injected): a Pi without a
real-time clock jumps its wall clock at boot, and ring cadence must be measured on a clock that
never jumps. The appliance stamps calls with wall time itself when it logs them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from callerid.model import CallerID, ModemState

#: ModemStatus.state values the driver reports (callerid.model.ModemState, less "starting").
STATES = (ModemState.READY, ModemState.LOST, ModemState.RECOVERING, ModemState.ERROR)


@dataclass(frozen=True, slots=True)
class Ring:
    """The modem printed RING: one ring (or one CAR burst) started."""

    at: float


@dataclass(frozen=True, slots=True)
class CallerIDReceived:
    """A complete caller-ID record, decoded by `callerid.decode.stream.CallerIDStream`."""

    caller: CallerID
    at: float


@dataclass(frozen=True, slots=True)
class ModemStatus:
    """The modem's health changed, or an action failed (state in STATES)."""

    state: ModemState
    detail: str
    at: float


@dataclass(frozen=True, slots=True)
class CallEnded:
    """The call is over: rings stopped for longer than a ring cycle, or we hung it up."""

    at: float


@dataclass(frozen=True, slots=True)
class HangUpResult:
    """What became of a hang-up (or a play-then-hang-up) asked for with `ref`: done means the
    off-hook command reached the line; otherwise `detail` says why not (refused, dropped, unplugged)."""

    ref: str
    done: bool
    detail: str
    at: float


ModemEvent = Ring | CallerIDReceived | ModemStatus | CallEnded | HangUpResult


@dataclass(frozen=True, slots=True)
class ModemInfo:
    """What probing or initialising a modem found: identity, profile and accepted commands."""

    port: str
    profile: str
    profile_title: str
    identity: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (ATI command, answer lines)
    usb_id: tuple[int, int] | None = None
    matched_by: str = "default"  # "config" | "usb" | "ati" | "default"
    country_code: str | None = None
    country_accepted: bool | None = None
    caller_id_command: str | None = None  # the one now enabled, e.g. "+VCID=1"
    caller_id_results: tuple[tuple[str, str], ...] = ()  # (command, "OK" | "ERROR" | "timeout")
    voice_format: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def caller_id_enabled(self) -> bool:
        return self.caller_id_command is not None


__all__ = ["STATES", "CallEnded", "CallerIDReceived", "HangUpResult", "ModemEvent", "ModemInfo",
           "ModemStatus",
           "Ring"]
