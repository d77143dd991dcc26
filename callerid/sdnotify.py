"""systemd's notify protocol (sd_notify) in a few lines of stdlib.

Why not a library: the protocol is one datagram of `KEY=value` lines sent to the AF_UNIX socket
named in `$NOTIFY_SOCKET`; a dependency would cost more memory on a Pi Zero 2 W than the code.

`callerid.service` is `Type=notify` with `WatchdogSec=`: systemd starts counting the appliance
as up only after `ready()`, and restarts it when `WATCHDOG=1` stops arriving. The appliance's
event loop owns a `Watchdog` and calls `kick(now)` on every pass, so a loop that hangs (a stuck
serial read, a deadlock) stops feeding systemd and gets restarted. Everything here is a silent
no-op when not run under systemd (no `$NOTIFY_SOCKET`), and never raises.
"""

from __future__ import annotations

import logging
import os
import socket

__all__ = [
    "Watchdog",
    "notify",
    "ready",
    "status",
    "stopping",
    "watchdog",
    "watchdog_interval",
]

log = logging.getLogger(__name__)


def _address() -> str | None:
    """The socket address from `$NOTIFY_SOCKET`; '@' means Linux's abstract namespace."""
    path = os.environ.get("NOTIFY_SOCKET", "")
    if path.startswith("@"):
        return "\0" + path[1:]
    if path.startswith("/"):
        return path
    return None  # unset, empty, or a transport we do not speak (e.g. vsock:)


def notify(state: str) -> bool:
    """Send one notification (`"READY=1"`, `"WATCHDOG=1\\nSTATUS=..."`); True when it was sent.

    Returns False without $NOTIFY_SOCKET or when systemd is not listening; never raises, because
    a failed notification must not take the appliance down with it.
    """
    address = _address()
    if address is None:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.sendto(state.encode("utf-8"), address)
    except OSError as exc:
        log.debug("sd_notify %r to %r failed: %s", state, address, exc)
        return False
    return True


def watchdog_interval() -> float | None:
    """The watchdog timeout in seconds that systemd expects, or None when there is no watchdog.

    `$WATCHDOG_PID`, when set, names the process the watchdog is meant for; a child that inherited
    the environment must not think it is being watched.
    """
    pid = os.environ.get("WATCHDOG_PID")
    if pid is not None:
        try:
            if int(pid) != os.getpid():
                return None
        except ValueError:
            return None
    try:
        usec = int(os.environ.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    return usec / 1_000_000 if usec > 0 else None


def ready(status_text: str | None = None) -> bool:
    """Tell systemd that start-up finished (the modem is initialised)."""
    return notify("READY=1" + (f"\nSTATUS={status_text}" if status_text else ""))


def stopping() -> bool:
    """Tell systemd that a clean shutdown has begun, so it does not count it as a failure."""
    return notify("STOPPING=1")


def watchdog() -> bool:
    """Feed the watchdog once: 'the event loop is still turning'."""
    return notify("WATCHDOG=1")


def status(text: str) -> bool:
    """A one-line status shown by `systemctl status callerid` (e.g. 'modem lost, retrying')."""
    return notify(f"STATUS={text}")


class Watchdog:
    """Feeds systemd's watchdog from an event loop at most once per half interval.

    The loop calls `kick(now)` on every pass (cheap: one float comparison when nothing is due) and
    uses `deadline()` to bound its select/queue timeout so an idle loop still wakes up in time.
    Built without an interval and outside systemd it is disabled and every call is a no-op.
    """

    def __init__(self, interval: float | None = None, *, send=watchdog) -> None:  # noqa: ANN001
        self.interval = watchdog_interval() if interval is None else (interval if interval > 0 else None)
        self.period = self.interval / 2 if self.interval else None
        self._send = send
        self._last: float | None = None

    @property
    def enabled(self) -> bool:
        return self.period is not None

    def deadline(self) -> float | None:
        """Monotonic time by which the loop must call `kick` again (None: no watchdog)."""
        if self.period is None:
            return None
        return self._last + self.period if self._last is not None else float("-inf")

    def kick(self, now: float) -> bool:
        """Send WATCHDOG=1 if half the interval passed since the last one; True when sent."""
        if self.period is None:
            return False
        if self._last is not None and now - self._last < self.period:
            return False
        self._last = now
        return bool(self._send())
