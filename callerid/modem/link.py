"""One open modem port: bytes in and out, lines, AT commands, and the switch to raw voice data.

Everything the modem prints in command mode is split into lines here and handed to a listener
(the driver feeds them to the caller-ID stream), including lines that arrive while a command waits
for its answer: a RING or a caller-ID record can come in the middle of initialisation and must not
be lost. Only result codes (OK, ERROR, CONNECT...) and the echo of our own command are consumed.
All waiting is `select` on the port and a wake-up pipe, with timeouts from the listener's timers.
"""

from __future__ import annotations

import contextlib
import os
import select
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from callerid.decode.lines import clean_line

#: Final result codes that end a command (verbose forms; numeric forms accepted until V1 is set).
RESULT_CODES = frozenset({"OK", "ERROR", "CONNECT", "NO CARRIER", "BUSY", "NO DIALTONE", "NO DIAL TONE",
                          "NO ANSWER", "VCON"})
NUMERIC_CODES = {"0": "OK", "4": "ERROR", "1": "CONNECT", "3": "NO CARRIER", "6": "NO DIALTONE", "7": "BUSY"}
TIMEOUT = "timeout"
#: A "line" longer than this is garbage without line ends: it is handed on in pieces of this size
#: so a babbling modem cannot grow memory without bound.
MAX_LINE = 1024

class LinkLost(Exception):
    """The port vanished, reported an I/O error, or the modem stopped answering."""


class Stopping(Exception):
    """stop() was requested while we were waiting on the modem."""


class LinkListener(Protocol):
    def on_line(self, line: str, now: float) -> None: ...
    def next_timer(self) -> float | None: ...
    def run_timers(self, now: float) -> None: ...
    def stop_requested(self) -> bool: ...


#: A raw-data sink gets the bytes after CONNECT; it returns the index just past the end of the
#: raw data (the modem's DLE ETX) when the rest of the chunk is command-mode text again, else None.
RawSink = Callable[[bytes], "int | None"]


@dataclass(frozen=True, slots=True)
class Response:
    command: str
    result: str  # "OK", "ERROR", "CONNECT", ... or "timeout"
    lines: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.result == "OK"


def line_text(raw: bytes) -> str:
    """Text of one line: UTF-8 with replacement, cleaned as every modem line is (decode.lines)."""
    return clean_line(raw.decode("utf-8", errors="replace")).strip()


class ModemLink:
    """An open port. Not thread-safe: one thread (the driver's) owns it."""

    def __init__(
        self,
        port,  # noqa: ANN001 - a pyserial Serial (or anything with fileno/write/close)
        listener: LinkListener,
        *,
        wake_fd: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        name: str = "",
    ) -> None:
        self.port = port
        self.name = name or getattr(port, "port", "") or "modem"
        self._fd = port.fileno()
        self._listener = listener
        self._wake_fd = wake_fd
        self._clock = clock
        self._partial = bytearray()
        self._skip_lf = False
        self._raw_sink: RawSink | None = None
        self._raw_after_connect: RawSink | None = None
        self._pending: str | None = None
        self._result: str | None = None
        self._body: list[str] = []
        # After the modem's DLE ETX its result code (OK) follows, in the same read or a later one;
        # it belongs to the data that ended, never to the next command (see finish_raw).
        self._end_code_due = False
        self._end_code: str | None = None
        self.verbose = False  # numeric result codes are accepted until V1 answered OK

    # ---- writing --------------------------------------------------------------------------
    def write(self, data: bytes) -> None:
        try:
            self.port.write(data)
        except Exception as exc:  # SerialException, SerialTimeoutException, OSError
            raise LinkLost(f"write to {self.name} failed: {exc}") from exc

    # ---- commands -------------------------------------------------------------------------
    def command(self, cmd: str, timeout: float, *, connect_sink: RawSink | None = None) -> Response:
        """Send AT<cmd> and wait for its final result code (or `timeout` seconds)."""
        self._pending = ("AT" + cmd).upper()
        self._result = None
        self._body = []
        self._raw_after_connect = connect_sink
        self.write(("AT" + cmd + "\r").encode("ascii"))
        return self.await_result(cmd, timeout)

    def await_result(self, cmd: str, timeout: float) -> Response:
        """Wait for a final result code without sending anything (e.g. OK after DLE ETX)."""
        if self._pending is None:
            self._pending = ""
            self._result = None
            self._body = []
        deadline = self._clock() + timeout
        try:
            while self._result is None:
                remaining = deadline - self._clock()
                if remaining <= 0:
                    return Response(cmd, TIMEOUT, tuple(self._body))
                self.pump(remaining)
            return Response(cmd, self._result, tuple(self._body))
        finally:
            self._pending = None
            self._raw_after_connect = None

    def finish_raw(self, cmd: str, timeout: float) -> Response:
        """The result code that ends a raw-data session, however the reads split it.

        When the modem ended the data with DLE ETX, its OK may already have arrived in the same
        read or may still be on the way; either way it is taken here, so the next command cannot
        mistake it for its own answer. Without DLE ETX this is `await_result`.
        """
        self._raw_sink = None
        if not self._end_code_due and self._end_code is None:
            return self.await_result(cmd, timeout)
        deadline = self._clock() + timeout
        try:
            while self._end_code is None and (remaining := deadline - self._clock()) > 0:
                self.pump(remaining)
            return Response(cmd, self._end_code or TIMEOUT)
        finally:
            self._end_code_due, self._end_code = False, None

    def wait(self, seconds: float) -> None:
        """Keep reading (and running timers) for `seconds`; returns early only to raise Stopping."""
        deadline = self._clock() + seconds
        while (remaining := deadline - self._clock()) > 0:
            self.pump(remaining)

    def set_raw_sink(self, sink: RawSink | None) -> None:
        """Send incoming bytes to `sink` (voice data) instead of the line splitter, or stop doing so."""
        self._raw_sink = sink

    # ---- reading --------------------------------------------------------------------------
    def pump(self, timeout: float) -> None:
        """Wait up to `timeout` s for input, a wake-up or a timer; handle whatever came."""
        now = self._clock()
        timer = self._listener.next_timer()
        if timer is not None:
            timeout = min(timeout, max(0.0, timer - now))
        fds = [self._fd] if self._wake_fd is None else [self._fd, self._wake_fd]
        try:
            ready, _, _ = select.select(fds, [], [], max(0.0, timeout))
        except (OSError, ValueError) as exc:
            raise LinkLost(f"{self.name}: {exc}") from exc
        if self._wake_fd is not None and self._wake_fd in ready:
            _drain(self._wake_fd)
            if self._listener.stop_requested():
                raise Stopping
        if self._fd in ready:
            try:
                data = os.read(self._fd, 4096)
            except OSError as exc:
                raise LinkLost(f"{self.name}: read failed: {exc}") from exc
            if not data:
                raise LinkLost(f"{self.name}: port closed (unplugged?)")
            self._receive(data, self._clock())
        self._listener.run_timers(self._clock())

    def _receive(self, data: bytes, now: float) -> None:
        while data:
            if self._raw_sink is not None:
                end = self._raw_sink(data)
                if end is None:
                    return
                self._raw_sink = None
                self._end_code_due, self._end_code = True, None
                data = data[end:]
                continue
            data = self._split_lines(data, now)

    def _split_lines(self, data: bytes, now: float) -> bytes:
        """Consume complete lines (CR, LF or CRLF end one); return what follows a CONNECT to raw mode."""
        start = 0
        for i, byte in enumerate(data):
            if byte == 0x0A and self._skip_lf:  # the LF of a CRLF pair
                self._skip_lf = False
                start = i + 1
                continue
            self._skip_lf = False
            if byte not in (0x0D, 0x0A):
                continue
            self._partial += data[start:i]
            start = i + 1
            self._skip_lf = byte == 0x0D
            line = line_text(bytes(self._partial))
            self._partial.clear()
            if self._line(line, now) and self._raw_sink is not None:
                rest = data[start:]
                if self._skip_lf and rest[:1] == b"\n":
                    rest = rest[1:]
                self._skip_lf = False
                return rest
        self._partial += data[start:]
        while len(self._partial) > MAX_LINE:
            piece = bytes(self._partial[:MAX_LINE])
            del self._partial[:MAX_LINE]
            self._line(line_text(piece), now)
        return b""

    def _line(self, line: str, now: float) -> bool:
        """Handle one line; True when it switched the link to raw data (CONNECT)."""
        upper = line.upper()
        if self._end_code_due and (code := self._result_code(upper)) is not None:
            self._end_code_due, self._end_code = False, code
            return False
        if self._pending is not None:
            if self._pending and upper == self._pending:
                return False  # our own command, echoed
            code = self._result_code(upper)
            if code is not None:
                self._result = code
                if code == "CONNECT" and self._raw_after_connect is not None:
                    self._raw_sink = self._raw_after_connect
                    self._raw_after_connect = None
                    return True
                return False
            self._body.append(line)
        elif upper in RESULT_CODES:
            return False  # a late or unsolicited result code: not caller ID
        self._listener.on_line(line, now)
        return False

    def _result_code(self, upper: str) -> str | None:
        code = upper if upper in RESULT_CODES else None
        if code is None and not self.verbose:
            code = NUMERIC_CODES.get(upper)
        return code

    def take_partial(self) -> str:
        """The text of an unterminated last line (so a vanished port loses nothing)."""
        text = line_text(bytes(self._partial))
        self._partial.clear()
        return text

    def close(self) -> str:
        """Close the port; returns any unterminated line for the caller-ID stream."""
        rest = self.take_partial()
        with contextlib.suppress(Exception):  # a vanished port may fail to close in many ways
            self.port.close()
        return rest


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 512):
            pass
    except (BlockingIOError, OSError):
        pass


__all__ = ["NUMERIC_CODES", "RESULT_CODES", "TIMEOUT", "LinkListener", "LinkLost", "ModemLink", "Response",
           "Stopping", "line_text"]
