"""Opening a modem port, and probing what the modem is and which caller-ID commands it takes
(`callerid modem probe`, and the driver's `identify()` when it is not running).
"""

from __future__ import annotations

import os
import stat

from callerid.modem.discovery import usb_info
from callerid.modem.events import ModemInfo
from callerid.modem.link import LinkLost, ModemLink
from callerid.modem.session import initialise

BAUD_RATE = 115200  # USB CDC modems ignore it; the pty does too


class ModemError(Exception):
    """A one-line reason the modem could not be reached or identified."""


def open_serial(path: str, write_timeout: float):  # noqa: ANN201 - serial.Serial
    """Open a modem port raw, 8N1, non-blocking, exclusively (ModemManager and friends stay out)."""
    import serial

    try:
        return serial.Serial(path, baudrate=BAUD_RATE, timeout=0, write_timeout=write_timeout, exclusive=True)
    except (serial.SerialException, OSError, ValueError) as exc:
        reason = os.strerror(exc.errno) if getattr(exc, "errno", None) else str(exc)
        raise LinkLost(f"cannot open {path}: {reason}") from exc


def impossible_port(path: str) -> str | None:
    """Why `path` can never be a modem (a folder, a regular file, /dev/null...), else None.

    A path that does not exist is possible: a USB modem that is not plugged in yet, waited for
    (hot-plug). One that exists but cannot be opened now (permissions, busy) is left to the
    driver's retries too; only a path whose kind rules out a serial port is refused.
    """
    if path == "auto":
        return None
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None  # missing (or a dangling link): the modem may be plugged in later
    if stat.S_ISDIR(mode):
        return f"{path} is a folder, not a modem port"
    if not stat.S_ISCHR(mode):
        return f"{path} is a regular file or another non-device, not a modem port"
    try:
        fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not os.isatty(fd):
            return f"{path} is a device but not a serial port (not a terminal), so not a modem port"
    finally:
        os.close(fd)
    return None


class _ProbeListener:
    """Collects what the modem prints during a probe; nothing is running a stream then."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def on_line(self, line: str, now: float) -> None:
        self.lines.append(line)

    def next_timer(self) -> float | None:
        return None

    def run_timers(self, now: float) -> None:
        return None

    def stop_requested(self) -> bool:
        return False


def probe(
    port: str,
    *,
    profile: str = "auto",
    country_code: str | None = "00",
    caller_id_mode: str = "text",
    timeout: float = 3.0,
    discovery_root: str = "/",
) -> ModemInfo:
    """Open `port`, run the init sequence trying every caller-ID command, close; ModemError if no modem."""
    link = None
    try:
        serial_port = open_serial(port, timeout)
        link = ModemLink(serial_port, _ProbeListener(), name=port)
        usb_id, _ = usb_info(os.path.realpath(port), discovery_root)
        _, info = initialise(
            link,
            profile=profile,
            usb_id=usb_id,
            country_code=country_code,
            caller_id_mode=caller_id_mode,
            timeout=timeout,
            try_all=True,
        )
        return info
    except LinkLost as exc:
        raise ModemError(str(exc)) from None
    finally:
        if link is not None:
            link.close()


__all__ = ["BAUD_RATE", "ModemError", "open_serial", "probe"]
