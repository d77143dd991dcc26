"""Shared bits for the alert tests: call records, panel settings, fake players and engines."""

from __future__ import annotations

import math
import os
import stat
import struct
import threading
import time
import wave
from pathlib import Path

from callerid.config import PanelConfig
from callerid.model import CallerID, CallRecord, Verdict

FLAGGED = {"blocklisted", "police-lookalike", "police-number", "international", "withheld", "unavailable",
           "payphone"}


#: The real panel settings with a short long-press (2 s by default), so the button tests run quickly.
FAST_PANEL = PanelConfig(long_press_seconds=0.3)


_counter = iter(range(1, 1_000_000))


def record(code: str, number: str | None = "0335814321", display: str | None = None,
           absence: str | None = None) -> CallRecord:
    """A screened call with this verdict (each call gets a distinct arrival time and key)."""
    n = next(_counter)
    display = display if display is not None else (number or "")
    action = "block" if code in ("blocklisted", "police-lookalike") else (
        "warn" if code in FLAGGED else ("allow" if code == "allowlisted" else "none"))
    verdict = Verdict(input=number or absence or "", number=number or "", e164=None, display=display,
                      country="JP", verdict=code, risk=50, action=action)
    caller = CallerID(format="text", number=number, absence=absence)
    return CallRecord(received_at=f"2026-11-25T09:{n // 60 % 60:02d}:{n % 60:02d}+09:00", caller=caller,
                      verdict=verdict, key=f"call-{n}")


def fake_player(tmp_path: Path, *, seconds: float = 0.0, fail: str | None = None) -> tuple[list[str], Path]:
    """A player command that logs "start PATH" / "end PATH" lines, sleeps, and optionally fails like aplay."""
    log = tmp_path / "player.log"
    script = tmp_path / "player.sh"
    body = ["#!/bin/sh", f'echo "start $1" >> "{log}"']
    if fail:
        body += [f'echo "{fail}" >&2', "exit 1"]
    else:
        body += [f"sleep {seconds}", f'echo "end $1" >> "{log}"']
    script.write_text("\n".join(body) + "\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return [str(script)], log


def log_lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def wait_until(predicate, timeout: float = 5.0, step: float = 0.01) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


class Events:
    """Collects PlaybackEvents from SpeechAlerts(on_playback=...)."""

    def __init__(self) -> None:
        self.items: list = []
        self._lock = threading.Lock()

    def __call__(self, event) -> None:  # noqa: ANN001
        with self._lock:
            self.items.append(event)

    def of(self, phase: str, part: str | None = None) -> list:
        with self._lock:
            return [e for e in self.items if e.phase == phase and (part is None or e.part == part)]


class ToneEngine:
    """A stand-in engine for scheduling tests: a tone as long as the text, and a log of what it rendered."""

    name = "tone"

    def __init__(self, language: str, delay: float = 0.0) -> None:
        self.language = language
        self.delay = delay
        self.renders = 0
        self.texts: list[str] = []

    def identity(self) -> str:
        return f"tone|{self.language}"

    def render(self, text: str, out_path: Path, rate: float) -> None:
        self.renders += 1
        self.texts.append(text)
        if self.delay:
            time.sleep(self.delay)
        sample_rate = 16000
        count = int(sample_rate * (0.1 + 0.02 * len(text)))
        frames = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / sample_rate)))
                          for i in range(count))
        with wave.open(os.fspath(out_path), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(sample_rate)
            wav.writeframes(frames)
