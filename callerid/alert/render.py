"""Turning texts into ready-to-play WAV files, in the background, cached on disk.

One thread renders, most urgent first: a call that is ringing now jumps ahead of
the start-up pre-rendering. Every finished file is normalised and stored in the
cache directory under a hash of everything that changes the sound (text,
language, engine and voice, rate, volume, processing version), so after a
restart the warnings are ready at once and no engine runs.

Callers get a `Ticket` immediately and never wait on the disk or an engine in
the call path: the player waits on the ticket in its own thread.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from callerid.alert import audio
from callerid.alert.engines import EngineError, SpeechEngine, find_engine
from callerid.alert.warnings import (
    DIGIT_GAP,
    GROUP_GAP,
    SpokenNumber,
    clip_texts,
    warning_label,
    warning_text,
)

log = logging.getLogger("callerid.alert.render")

#: Bump when the processing below changes, so old cached files are not reused.
PROCESSING_VERSION = 4
URGENT = 0
PRERENDER = 10
#: Number files (one per distinct caller) and `say` files kept in the cache; older ones are deleted.
MAX_KEPT_FILES = 200
_SUBFOLDERS = {"number": "numbers", "say": "said"}

_LANG_NAMES = {"ja": "Japanese", "en": "English"}


class Ticket:
    """A promise of a WAV file; `wait()` for it, or register a callback."""

    def __init__(self, kind: str, lang: str, text: str, label: str) -> None:
        self.kind = kind
        self.lang = lang
        self.text = text
        self.label = label
        self.path: Path | None = None
        self.error: str | None = None
        self.rendered = False  # True when an engine ran for it (False: taken from the cache)
        self._done = threading.Event()
        self._callbacks: list[Callable[[Ticket], None]] = []
        self._lock = threading.Lock()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> Path | None:
        """The file once ready (None on error or timeout)."""
        self._done.wait(timeout)
        return self.path if self._done.is_set() else None

    def on_done(self, callback: Callable[[Ticket], None]) -> None:
        with self._lock:
            if not self._done.is_set():
                self._callbacks.append(callback)
                return
        callback(self)

    def _finish(self, path: Path | None, error: str | None = None) -> None:
        with self._lock:
            self.path, self.error = path, error
            self._done.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            try:
                callback(self)
            except Exception:
                log.exception("ticket callback failed")

    def __repr__(self) -> str:
        state = "done" if self.done else "pending"
        return f"<Ticket {self.lang}-{self.label} {state} {self.path or self.error or ''}>"


@dataclass(frozen=True)
class RenderSettings:
    rate: float = 0.85
    volume: float = 1.0


class Renderer:
    """Owns the engines and the WAV cache; one background thread renders queued tickets."""

    def __init__(
        self,
        cache_dir: str | Path,
        settings: RenderSettings,
        *,
        engines: Mapping[str, SpeechEngine | None] | None = None,
    ) -> None:
        self.cache_dir = Path(cache_dir)
        self.settings = settings
        self._engines: dict[str, SpeechEngine | None] = dict(engines or {})
        self._missing_said: set[str] = set()
        self._tickets: dict[tuple[str, str, str], Ticket] = {}
        self._queue: list[tuple[int, int, Ticket]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self.rendered = 0  # engine runs by this renderer (all engines)

    # -- public --------------------------------------------------------------------------------

    def start(self) -> None:
        with self._cond:
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._loop, name="speech-render", daemon=True)
                self._thread.start()

    def close(self, timeout: float = 2.0) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            pending = [t for _, _, t in self._queue]
            self._queue.clear()
        for ticket in pending:
            if not ticket.done:
                ticket._finish(None, "closed")
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def warning(self, code: str, lang: str, priority: int = URGENT, *, blocked: bool = False) -> Ticket:
        """The fixed warning for a verdict (chime + speech); `blocked`: the call was hung up."""
        text = warning_text(code, lang, blocked)
        return self._request("warning", lang, text, warning_label(code, blocked), priority)

    def clip(self, name: str, lang: str, priority: int = PRERENDER) -> Ticket:
        """One digit (or "plus", "intro") used to assemble spoken numbers."""
        return self._request("clip", lang, clip_texts(lang)[name], name, priority)

    def sentence(self, text: str, lang: str, label: str, priority: int = URGENT) -> Ticket:
        """Any sentence, rendered on demand and cached on disk (the police line's name)."""
        return self._request("say", lang, text, label, priority)

    def number(self, number: SpokenNumber, lang: str, priority: int = URGENT) -> Ticket:
        """The displayed number, read in groups, assembled from the clips."""
        spec = ("+" if number.plus else "") + "-".join(number.groups)
        return self._request("number", lang, spec, f"number-{number.digits}", priority)

    def voice_missing(self, lang: str) -> bool:
        """True once a look-up found no engine for `lang` (never looks one up itself: no waiting)."""
        return lang in self._engines and self._engines[lang] is None

    def engine(self, lang: str) -> SpeechEngine | None:
        """The engine for a language (looked up once; a missing one is reported once)."""
        if lang not in self._engines:
            engine, why = find_engine(lang)
            self._engines[lang] = engine
        else:
            engine, why = self._engines[lang], "none configured"
        if engine is None:
            self._say_missing(lang, why)
        return engine

    def render_now(
        self, text: str, lang: str, out_path: str | Path | None = None, *, chime: bool = False
    ) -> Path:
        """Render any sentence in the calling thread (for `callerid say`); raises EngineError."""
        engine = self.engine(lang)
        if engine is None:
            raise EngineError(f"no {_LANG_NAMES.get(lang, lang)} voice is installed")
        kind = "warning" if chime else "say"
        target = Path(out_path) if out_path is not None else self._path_for(kind, lang, text, "say", engine)
        if out_path is not None or not target.is_file():
            self._produce(engine, kind, text, target)
            if out_path is None:
                self._prune(target.parent)
        return target

    # -- internals -----------------------------------------------------------------------------

    def _request(self, kind: str, lang: str, text: str, label: str, priority: int) -> Ticket:
        key = (kind, lang, text)
        with self._cond:
            ticket = self._tickets.get(key)
            if ticket is None or (ticket.done and ticket.path is None and priority < PRERENDER):
                # new, or failed before (an engine hiccup must not silence this warning for good)
                ticket = self._tickets[key] = Ticket(kind, lang, text, label)
            elif ticket.done or priority >= PRERENDER:
                return ticket
            if self._closed:
                ticket._finish(None, "closed")
                return ticket
            heapq.heappush(self._queue, (priority, next(self._seq), ticket))
            self._cond.notify()
        return ticket

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                _, _, ticket = heapq.heappop(self._queue)
            if ticket.done:
                continue  # queued twice (pre-render, then urgent)
            try:
                path = self._fulfil(ticket)
            except EngineError as exc:
                ticket._finish(None, str(exc))
            except Exception as exc:  # a bad file or a numpy error must not kill the thread
                log.exception("could not render %s", ticket)
                ticket._finish(None, str(exc))
            else:
                ticket._finish(path)

    def _fulfil(self, ticket: Ticket) -> Path:
        engine = self.engine(ticket.lang)
        if engine is None:
            raise EngineError(f"no {_LANG_NAMES.get(ticket.lang, ticket.lang)} voice is installed")
        if ticket.kind == "number":
            return self._assemble_number(ticket, engine)
        path = self._path_for(ticket.kind, ticket.lang, ticket.text, ticket.label, engine)
        if not path.is_file():
            self._produce(engine, ticket.kind, ticket.text, path)
            ticket.rendered = True
        return path

    def _fulfil_inline(self, ticket: Ticket) -> Path:
        """Finish a (queued) ticket now, in the render thread: numbers need their clips first."""
        if not ticket.done:
            try:
                ticket._finish(self._fulfil(ticket))
            except Exception as exc:
                ticket._finish(None, str(exc))
                raise
        if ticket.path is None:
            raise EngineError(ticket.error or "clip unavailable")
        return ticket.path

    def _path_for(self, kind: str, lang: str, text: str, label: str, engine: SpeechEngine) -> Path:
        key = json.dumps(
            [PROCESSING_VERSION, kind, lang, text, engine.identity(), round(self.settings.rate, 3),
             round(self.settings.volume, 3), audio.TARGET_DBFS],
            ensure_ascii=False,
        )
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
        folder = self.cache_dir / _SUBFOLDERS[kind] if kind in _SUBFOLDERS else self.cache_dir
        return folder / f"{lang}-{label}-{digest}.wav"

    def _produce(self, engine: SpeechEngine, kind: str, text: str, path: Path) -> None:
        """Engine -> trim -> normalise (-> chime) -> atomic write."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, raw_name = tempfile.mkstemp(prefix=".raw-", suffix=".wav", dir=path.parent)
        os.close(fd)
        raw = Path(raw_name)
        try:
            engine.render(text, raw, self.settings.rate)
            self.rendered += 1
            samples, rate = audio.read_wav(raw)
        finally:
            raw.unlink(missing_ok=True)
        pad = 0.02 if kind == "clip" else 0.06
        samples = audio.trim_silence(samples, rate, pad=pad)
        if not len(samples):
            raise EngineError(f"{engine.name} produced only silence")
        samples = audio.normalise(samples, rate, volume=self.settings.volume)
        if kind == "warning":
            level = audio.TARGET_DBFS + _db(self.settings.volume)
            samples = audio.concat([audio.chime(rate, level), samples, audio.silence(rate, 0.2)])
        audio.write_wav(path, samples, rate)

    def _assemble_number(self, ticket: Ticket, engine: SpeechEngine) -> Path:
        path = self._path_for("number", ticket.lang, ticket.text, ticket.label, engine)
        if path.is_file():
            return path
        plus = ticket.text.startswith("+")
        groups = ticket.text.lstrip("+").split("-")
        clips: dict[str, tuple[object, int]] = {}

        def load(name: str):  # noqa: ANN202 - numpy array
            if name not in clips:
                clips[name] = audio.read_wav(self._fulfil_inline(self.clip(name, ticket.lang)))
            return clips[name]

        intro, rate = load("intro")
        parts = [intro, audio.silence(rate, GROUP_GAP)]
        if plus:
            parts += [load("plus")[0], audio.silence(rate, GROUP_GAP)]
        for g, group in enumerate(groups):
            for i, digit in enumerate(group):
                parts.append(load(f"digit-{digit}")[0])
                if i < len(group) - 1:
                    parts.append(audio.silence(rate, DIGIT_GAP))
            parts.append(audio.silence(rate, GROUP_GAP if g < len(groups) - 1 else 0.3))
        audio.write_wav(path, audio.concat(parts), rate)
        self._prune(path.parent)
        return path

    def _prune(self, folder: Path) -> None:
        """Keep the newest MAX_KEPT_FILES of the per-caller (or per-sentence) files."""
        try:
            files = sorted(folder.glob("*.wav"), key=lambda p: p.stat().st_mtime)
        except OSError:
            return
        for old in files[:-MAX_KEPT_FILES]:
            old.unlink(missing_ok=True)

    def _say_missing(self, lang: str, why: str) -> None:
        if lang not in self._missing_said:
            self._missing_said.add(lang)
            log.warning(
                "no %s voice: %s. Warnings in %s are shown on the panel and in the log only.",
                _LANG_NAMES.get(lang, lang), why, _LANG_NAMES.get(lang, lang),
            )


def _db(volume: float) -> float:
    import math

    return 20 * math.log10(min(max(volume, 0.01), 2.0))


__all__ = ["PRERENDER", "URGENT", "RenderSettings", "Renderer", "Ticket"]
