"""`CallerIDStream`: the one object the modem driver feeds with everything the modem prints.

Bytes in (chunks of any size, any line ending, any garbage), `CallerID` records out, as soon as
each is complete. Formatted text goes to `text.TextAssembler`; hex lines (`AT+VCID=2`) are decoded
at once as SDMF, MDMF, ETSI or NTT. No clock inside: the caller passes `now` and calls `poll` by
`deadline()` so that a record without a NAME line completes after the quiet time.

It never raises on input: a line that trips an unexpected error is dropped and counted in
`internal_errors` (a test asserts that stays 0), so one bad line cannot stop caller ID.
"""

from __future__ import annotations

from callerid.decode.hexline import decode_hex_all, hex_bytes
from callerid.decode.lines import LineBuffer, clean_line
from callerid.decode.text import TextAssembler
from callerid.model import FORMATS, CallerID


class CallerIDStream:
    """Streaming caller-ID decoder for one modem; see the module docstring."""

    def __init__(self, quiet_seconds: float = 1.5, force_format: str | None = None) -> None:
        if force_format is not None and force_format not in FORMATS:
            raise ValueError(f"unknown caller-ID format {force_format!r}; choose from {', '.join(FORMATS)}")
        self.force_format = force_format
        self._lines = LineBuffer()
        self._text = TextAssembler(quiet_seconds)
        self._last_now = 0.0
        self.internal_errors = 0
        self.last_error: str | None = None

    @property
    def quiet_seconds(self) -> float:
        return self._text.quiet_seconds

    def feed(self, data: bytes | str, now: float) -> list[CallerID]:
        """A chunk of modem output -> the records it completed (and any whose quiet time passed)."""
        try:
            lines = self._lines.feed(data)
        except Exception as exc:  # noqa: BLE001 - never let the decoder stop caller ID
            self._note(exc)
            lines = []
        out: list[CallerID] = []
        for line in lines:
            out.extend(self.feed_line(line, now))
        out.extend(self.poll(now))
        return out

    def feed_line(self, line: str, now: float) -> list[CallerID]:
        """One line without its terminator -> the records it completed."""
        try:
            return self._feed_line(clean_line(line), now)
        except Exception as exc:  # noqa: BLE001 - see module docstring
            self._note(exc)
            return []

    def poll(self, now: float) -> list[CallerID]:
        """Complete a pending text record once `quiet_seconds` have passed since its last field."""
        try:
            return self._text.poll(now)
        except Exception as exc:  # noqa: BLE001
            self._note(exc)
            return []

    def deadline(self) -> float | None:
        """When `poll` should next be called (None: nothing pending)."""
        return self._text.deadline()

    def flush(self) -> list[CallerID]:
        """End of input: decode the unterminated last line and complete whatever is pending."""
        out: list[CallerID] = []
        try:
            tail = self._lines.flush()
        except Exception as exc:  # noqa: BLE001
            self._note(exc)
            tail = []
        for line in tail:
            out.extend(self.feed_line(line, self._last_now))
        try:
            out.extend(self._text.flush())
        except Exception as exc:  # noqa: BLE001
            self._note(exc)
        return out

    # -- internals ---------------------------------------------------------------------------
    def _feed_line(self, line: str, now: float) -> list[CallerID]:
        self._last_now = now
        force = self.force_format
        if force == "text":
            return self._text.feed_line(line, now)
        out = self._text.poll(now)
        if hex_bytes(line) is not None:
            records = decode_hex_all(line, force)
            if records:
                out.extend(self._text.flush())  # a binary message starts a new call's data
                out.extend(records)
                return out
        if force is None:
            out.extend(self._text.feed_line(line, now))
        return out

    def _note(self, exc: Exception) -> None:
        self.internal_errors += 1
        self.last_error = f"{type(exc).__name__}: {exc}"
