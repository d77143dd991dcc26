"""A live view of calls in the terminal: the demo's window onto what the appliance decides.

It is an alert sink like the speaker and the LED panel, so the demo shows
exactly what the appliance told the household, in the order it happened.
Caller-controlled text is stripped of control characters before it reaches the
terminal, so a hostile name cannot move the cursor or change colours.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import TextIO

from callerid.alert import NOTHING_STARTED, QuietSink
from callerid.model import Absence, Action, Advice, CallRecord
from callerid.screen.messages import verdict_text
from callerid.terminal import clip, printable

_COLOURS = {
    Advice.BLOCK: "\033[1;31m",
    Advice.WARN: "\033[1;33m",
    Advice.ALLOW: "\033[1;32m",
    Advice.NONE: "",
}
_RESET = "\033[0m"


def fit(text: str | None, columns: int) -> str:
    """Caller data as the view prints it: every hidden character escaped, at most `columns` wide."""
    return clip(printable(text), columns)


class TerminalView(QuietSink):
    """Prints each call, its verdict, reasons and actions; optionally the panel's state line."""

    def __init__(
        self,
        out: TextIO | None = None,
        *,
        language: str = "en",
        colour: bool | None = None,
        panel_line: Callable[[], str] | None = None,
    ) -> None:
        self._out = out or sys.stdout
        self._language = language
        self._colour = self._out.isatty() if colour is None else colour
        self._panel_line = panel_line
        self._lock = threading.Lock()

    def incoming(self, record: CallRecord, actions: frozenset[Action]) -> frozenset[Action]:
        """Print the call; a view starts no action."""
        verdict = record.verdict
        caller = record.caller
        who = caller.number or (
            f"{Absence.word_for(caller.absence)} ({caller.absence})" if caller.absence else "no caller ID"
        )
        colour = _COLOURS.get(verdict.action, "") if self._colour else ""
        reset = _RESET if colour else ""
        lines = [
            f"{colour}● {fit(who, 32):<18} {fit(caller.name, 24):<24} "
            f"{verdict.verdict.upper()} (risk {verdict.risk}){reset}",
        ]
        headline = _headline(verdict.verdict, self._language)
        if headline:
            lines.append(f"    {headline}")
        for reason in verdict.reasons:
            detail = reason.detail_ja if self._language == "ja" and reason.detail_ja else reason.detail
            lines.append(f"    - {fit(detail, 200)}")
        lines.append(f"    actions: {', '.join(sorted(actions)) or 'none (ordinary call)'}")
        if self._panel_line is not None:
            lines.append(f"    panel: {self._panel_line()}")
        with self._lock:
            self._out.write("\n".join(lines) + "\n")
            self._out.flush()
        return NOTHING_STARTED


def _headline(code: str, language: str) -> str:
    try:
        return verdict_text(code, language)
    except (KeyError, ValueError):
        return ""
