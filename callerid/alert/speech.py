"""The spoken warning: the household hears what kind of call this is before picking up.

`SpeechAlerts` is the speaker's `AlertSink`. At `start()` it pre-renders every
fixed warning (and the digit clips numbers are built from) in a background
thread, or takes them from the on-disk cache, so that when a call arrives the
fixed warning starts playing at once while the number part is assembled behind
it. Warnings play again on every ring until the call ends, the newest call
always cuts off an older one, and nothing here ever blocks the appliance.

Japanese is spoken by Open JTalk only; English by pyttsx3/espeak-ng. With no
engine for the configured language the speaker says so once in the log and the
panel and the call log carry the warning alone.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from callerid.alert import NOTHING_STARTED
from callerid.alert.engines import SpeechEngine
from callerid.alert.player import PlaybackEvent, Player, PlayJob
from callerid.alert.render import PRERENDER, URGENT, Renderer, RenderSettings, Ticket
from callerid.alert.warnings import LANGUAGES, clip_texts, police_name_text, spoken_number
from callerid.model import VERDICT_CODES, Action, CallRecord, VerdictCode

log = logging.getLogger("callerid.alert.speech")

SPOKEN = frozenset({Action.WARN_HOUSEHOLD})


class SpeechSettings(Protocol):
    """The fields of callerid.config.SpeechConfig this module reads."""

    enabled: bool
    language: str
    volume: float
    rate: float
    cache_dir: str
    repeat: bool


def default_cache_dir() -> str:
    """$CACHE_DIRECTORY (systemd), else ~/.cache/callerid/speech."""
    if os.environ.get("CACHE_DIRECTORY"):
        return os.path.join(os.environ["CACHE_DIRECTORY"].split(":")[0], "speech")
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "callerid", "speech")


class SpeechAlerts:
    """The speaker: pre-rendered, cached, normalised warnings played through ALSA."""

    def __init__(
        self,
        config: SpeechSettings | Any,
        *,
        player_command: Sequence[str] | str | None = None,
        engines: Mapping[str, SpeechEngine | None] | None = None,
        on_playback: Callable[[PlaybackEvent], None] | None = None,
        repeat_gap: float | None = None,
    ) -> None:
        self.enabled = bool(getattr(config, "enabled", True))
        self.language = _language(getattr(config, "language", "ja"))
        self.repeat = bool(getattr(config, "repeat", True))
        self.cache_dir = Path(getattr(config, "cache_dir", None) or default_cache_dir()).expanduser()
        settings = RenderSettings(
            rate=_clamp(float(getattr(config, "rate", 0.85)), 0.3, 2.0, "rate"),
            volume=_clamp(float(getattr(config, "volume", 1.0)), 0.0, 2.0, "volume"),
        )
        self.renderer = Renderer(self.cache_dir, settings, engines=engines)
        player_options: dict[str, Any] = {"on_event": on_playback}
        if repeat_gap is not None:
            player_options["repeat_gap"] = repeat_gap
        self.player = Player(player_command, **player_options)
        self._prerendered: list[Ticket] = []
        self._started = False
        self._lock = threading.Lock()

    # -- AlertSink ----------------------------------------------------------------------------

    def start(self) -> None:
        """Start the render and player threads and queue every fixed warning; returns at once."""
        with self._lock:
            if self._started or not self.enabled:
                return
            self._started = True
        self.renderer.start()
        self.player.start()
        lang = self.language
        # Most serious first: if a call comes in during the first start-up, its warning is likely ready.
        tickets = [self.renderer.warning(code, lang, PRERENDER) for code in VERDICT_CODES]
        tickets += [self.renderer.clip(name, lang, PRERENDER) for name in clip_texts(lang)]
        # The "hung up automatically" variants (three texts: lookalike, blocklisted, any other).
        tickets += [self.renderer.warning(code, lang, PRERENDER, blocked=True) for code in VERDICT_CODES]
        tickets = list({id(t): t for t in tickets}.values())
        self._prerendered = tickets

    def incoming(self, record: CallRecord, actions: frozenset[Action]) -> frozenset[Action]:
        """Speak the warning if the policy asks for it; a new call always silences the previous one.

        Started (returns {warn-household}) unless there is no voice for the language (the panel
        and the log then carry the warning alone).
        """
        if not self.enabled:
            return NOTHING_STARTED
        if not self._started:
            self.start()
        if Action.WARN_HOUSEHOLD not in actions:
            self.player.stop()
            return NOTHING_STARTED
        code = record.verdict.verdict
        blocked = Action.BLOCK in actions  # hung up at once: say what was stopped, once, to the end
        warning = self.renderer.warning(code, self.language, URGENT, blocked=blocked)
        parts: list[tuple[str, Ticket]] = [("warning", warning)]
        named = next((r for r in record.verdict.reasons if r.subject_ja), None)
        if named is not None and code == VerdictCode.POLICE_NUMBER:
            text = police_name_text(self.language, named.subject_ja, named.subject_en)
            parts.append(("name", self.renderer.sentence(text, self.language, "police-name", URGENT)))
        number = spoken_number(record.verdict.display or record.caller.number)
        if number is not None and record.caller.number:
            parts.append(("number", self.renderer.number(number, self.language, URGENT)))
        self.player.play(PlayJob(call=record.key, parts=parts, repeat=self.repeat and not blocked,
                                 finish_on_end=blocked))
        said = [ticket.text for part, ticket in parts if part != "number"]
        if number is not None and parts[-1][0] == "number":
            said.append(number.words(self.language))
        log.info("warning (%s, %s): %s", code, self.language, " ".join(said))
        # With no voice for the language the parts are skipped (said once in the log): not started.
        return NOTHING_STARTED if self.renderer.voice_missing(self.language) else SPOKEN

    def ring(self, record: CallRecord) -> None:
        """The phone rang again: say the warning once more (when `repeat` is on)."""
        if self.enabled and self.repeat:
            self.player.again(record.key)

    def ended(self, record: CallRecord) -> None:
        """Answered or stopped ringing: stop speaking about this call.

        A call the appliance hung up ("block") also ends at once, but nobody is on the line:
        its "hung up automatically" warning plays to the end instead (the button still silences it).
        """
        self.player.end(record.key)

    def acknowledge(self, record: CallRecord | None) -> None:
        """The button was pressed: the household heard enough. Stop whatever warning plays."""
        self.player.stop()

    def blocked(self, record: CallRecord | None) -> None:
        """The button was held and the caller blocked: the household is dealing with it; be quiet."""
        if record is not None:
            self.player.stop()

    def close(self) -> None:
        self.player.close()
        self.renderer.close()

    # -- helpers for the CLI, the demo and tests -----------------------------------------------

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Block until the start-up pre-rendering is done (tests, `alert-test`); True when it is."""
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        for ticket in self._prerendered:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            ticket.wait(remaining)
            if not ticket.done:
                return False
        return True

    def warning_file(self, code: str, timeout: float | None = 60.0, *, blocked: bool = False) -> Path | None:
        """The WAV for a verdict's fixed warning (rendered now if needed)."""
        self.renderer.start()
        return self.renderer.warning(code, self.language, URGENT, blocked=blocked).wait(timeout)

    def number_file(self, display: str, timeout: float | None = 60.0) -> Path | None:
        """The WAV reading a displayed number (rendered now if needed)."""
        number = spoken_number(display)
        if number is None:
            return None
        self.renderer.start()
        return self.renderer.number(number, self.language, URGENT).wait(timeout)

    def render(self, text: str, lang: str, out_path: str | Path | None = None) -> Path:
        """Render any sentence (normalised, same voice and rate) to `out_path` or the cache."""
        return self.renderer.render_now(text, _language(lang), out_path)

    @property
    def engine_runs(self) -> int:
        """How many times any engine ran (0 after a restart with a warm cache)."""
        return self.renderer.rendered


def _language(lang: object) -> str:
    text = str(lang or "ja").lower()
    if text in LANGUAGES:
        return text
    if text.startswith("en"):
        return "en"
    log.warning("speech language %r is not supported; speaking Japanese", lang)
    return "ja"


def _clamp(value: float, low: float, high: float, name: str) -> float:
    if not low <= value <= high:
        log.warning("speech %s %.2f is outside %.2f..%.2f; using the nearest", name, value, low, high)
    return min(max(value, low), high)


__all__ = ["PlaybackEvent", "SpeechAlerts", "default_cache_dir"]
