"""Text-to-speech engines: Open JTalk for Japanese, espeak-ng (program, or pyttsx3) for English.

One engine per language, chosen by `find_engine`. espeak-ng reads kanji as
"Chinese letter" one by one, which is worse than silence for a Japanese
household, so the English engines refuse any text containing Japanese script:
Japanese is spoken by Open JTalk or not at all.

Engines only turn text into a raw WAV file. Loudness, trimming and caching are
done once for all of them in `callerid.alert.render`. Each engine counts its
renders (`renders`) so tests can prove the cache spares it.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Protocol

#: espeak-ng's own default speed (words per minute); SpeechConfig.rate scales it.
ESPEAK_DEFAULT_WPM = 175
ESPEAK_VOICE = "en-us"
RENDER_TIMEOUT = 60.0

_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")


class EngineError(Exception):
    """An engine could not render this text (missing program, bad output, wrong script)."""


def contains_japanese(text: str) -> bool:
    """True for kana or kanji anywhere in the text."""
    return bool(_JAPANESE.search(text))


class SpeechEngine(Protocol):
    """Renders text to a WAV file in one language."""

    name: str
    language: str
    renders: int

    def identity(self) -> str:
        """Everything about the voice that changes the sound (goes into the cache key)."""
        ...

    def render(self, text: str, out_path: Path, rate: float) -> None:
        """Write speech for `text` to `out_path` (16-bit PCM WAV) at `rate` x normal speed."""
        ...


def _file_identity(path: str) -> str:
    try:
        st = os.stat(path)
    except OSError:
        return path
    return f"{path}:{st.st_size}"


# -- Japanese ------------------------------------------------------------------------------------

#: Where Debian/Raspberry Pi OS and a source build put the dictionary and the HTS voice.
OPEN_JTALK_DICTIONARIES = (
    "/var/lib/mecab/dic/open-jtalk/naist-jdic",
    "/usr/share/open-jtalk/dic",
    "/usr/local/share/open_jtalk/dic",
    "/usr/local/dic",
)
OPEN_JTALK_VOICES = (
    "/usr/share/hts-voice/nitech-jp-atr503-m001/nitech_jp_atr503_m001.htsvoice",
    "/usr/share/hts-voice/mei/mei_normal.htsvoice",
    "/usr/local/share/hts-voice/*/*.htsvoice",
    "/usr/share/hts-voice/*/*.htsvoice",
)


class OpenJTalkEngine:
    """Japanese speech with the `open_jtalk` program, a MeCab dictionary and an HTS voice."""

    name = "open_jtalk"
    language = "ja"

    def __init__(self, binary: str, dictionary: str, voice: str) -> None:
        self.binary = binary
        self.dictionary = dictionary
        self.voice = voice
        self.renders = 0

    @classmethod
    def find(cls) -> tuple[OpenJTalkEngine | None, str]:
        """The installed engine, or None and what is missing ($CALLERID_OPENJTALK_DIC/_VOICE override)."""
        binary = shutil.which(os.environ.get("CALLERID_OPENJTALK", "open_jtalk"))
        if binary is None:
            return None, "the open_jtalk program is not installed (Debian package open-jtalk)"
        dictionary = _override_or_first("CALLERID_OPENJTALK_DIC", OPEN_JTALK_DICTIONARIES, want_dir=True)
        if dictionary is None:
            return None, "no Open JTalk dictionary (Debian package open-jtalk-mecab-naist-jdic)"
        voice = _override_or_first("CALLERID_OPENJTALK_VOICE", OPEN_JTALK_VOICES, want_dir=False)
        if voice is None:
            return None, "no HTS voice for Open JTalk (package hts-voice-nitech-jp-atr503-m001, contrib)"
        return cls(binary, dictionary, voice), ""

    def identity(self) -> str:
        return f"open_jtalk|{_file_identity(self.voice)}|{self.dictionary}"

    def render(self, text: str, out_path: Path, rate: float) -> None:
        text = " ".join(text.split())
        if not text:
            raise EngineError("nothing to say")
        self.renders += 1
        _run(
            [self.binary, "-x", self.dictionary, "-m", self.voice, "-r", f"{rate:.3f}", "-ow", str(out_path)],
            text,
            out_path,
        )


def _override_or_first(env: str, defaults: list[str] | tuple[str, ...], *, want_dir: bool) -> str | None:
    """$env when set (then only it: a wrong override must not fall back quietly), else the defaults."""
    candidates = [os.environ[env]] if env in os.environ else defaults
    return _first_existing(candidates, want_dir=want_dir)


def _first_existing(candidates: list[str] | tuple[str, ...], *, want_dir: bool) -> str | None:
    for pattern in candidates:
        for path in sorted(glob.glob(pattern)) if any(c in pattern for c in "*?[") else [pattern]:
            if (os.path.isdir(path) if want_dir else os.path.isfile(path)):
                return path
    return None


# -- English -------------------------------------------------------------------------------------

_PYTTSX3_LOCK = threading.Lock()  # pyttsx3's espeak driver is one global engine per process
#: libespeak-ng's own thread is still finishing a text for a moment after pyttsx3 has announced
#: its end. A text started in that moment came out empty (espeak sent its end event and not one
#: sample) or cut short. Measured with three busy loops on two cores, the fallback test lost a text
#: in 7 of 8 runs with neither this pause nor the retry below, 2 of 6 with the retry alone, and 0 of
#: 12 with the pause.
PYTTSX3_SETTLE_SECONDS = 0.05
_pyttsx3_finished_at = 0.0  # time.monotonic() when the last text was announced finished (under the lock)


class Pyttsx3Engine:
    """English through pyttsx3's espeak driver (libespeak-ng in-process), when the program is missing."""

    name = "pyttsx3"
    language = "en"

    def __init__(self, voice: str = ESPEAK_VOICE) -> None:
        import pyttsx3

        self.voice = voice
        self.renders = 0
        self._version = getattr(pyttsx3, "__version__", "")
        with _PYTTSX3_LOCK:
            self._engine = pyttsx3.init("espeak")
            _quiet_pyttsx3()
            self._engine.setProperty("voice", voice)

    @classmethod
    def find(cls) -> tuple[Pyttsx3Engine | None, str]:
        try:
            return cls(), ""
        except Exception as exc:  # ImportError, OSError (no libespeak-ng), RuntimeError
            return None, f"pyttsx3 with espeak-ng is not usable ({exc})"

    def identity(self) -> str:
        return f"pyttsx3-espeak|{self._version}|{self.voice}"

    def render(self, text: str, out_path: Path, rate: float) -> None:
        text = _english_only(text)
        self.renders += 1
        try:
            self._render_once(text, out_path, rate)
        except EngineError as exc:
            if "no audio" not in str(exc):
                raise
            # Espeak ended the text without a sample (see PYTTSX3_SETTLE_SECONDS); a second try,
            # a settle time later, works.
            self._render_once(text, out_path, rate)

    def _render_once(self, text: str, out_path: Path, rate: float) -> None:
        global _pyttsx3_finished_at  # noqa: PLW0603 - one libespeak-ng per process, like the lock
        finished = threading.Event()
        with _PYTTSX3_LOCK:
            if (settle := _pyttsx3_finished_at + PYTTSX3_SETTLE_SECONDS - time.monotonic()) > 0:
                time.sleep(settle)
            # libespeak-ng runs in RETRIEVAL mode, which is asynchronous: runAndWait() can return
            # before the synthesis callback has written the file, and starting the next text then
            # truncates this one. The driver writes the file before it announces the end, so wait
            # for that announcement before letting anyone else use the engine.
            token = self._engine.connect("finished-utterance", lambda **_: finished.set())
            try:
                self._engine.setProperty("voice", self.voice)
                self._engine.setProperty("rate", round(ESPEAK_DEFAULT_WPM * rate))
                self._engine.setProperty("volume", 1.0)
                self._engine.save_to_file(text, str(out_path))
                self._engine.runAndWait()
                done = finished.wait(RENDER_TIMEOUT)
                _pyttsx3_finished_at = time.monotonic()
            finally:
                self._engine.disconnect(token)
        if not done:
            raise EngineError("pyttsx3 did not finish speaking")
        if not out_path.is_file() or out_path.stat().st_size <= 44:
            raise EngineError("pyttsx3 wrote no audio")


def _quiet_pyttsx3() -> None:
    """pyttsx3 2.99 prints "Audio saved to ..." on stdout, where the demo draws its screen."""
    import sys

    module = sys.modules.get("pyttsx3.drivers.espeak")
    if module is not None:
        module.print = lambda *args, **kwargs: None  # type: ignore[attr-defined]


class EspeakNgEngine:
    """English through the `espeak-ng` program, one process per text."""

    name = "espeak-ng"
    language = "en"

    def __init__(self, binary: str, voice: str = ESPEAK_VOICE) -> None:
        self.binary = binary
        self.voice = voice
        self.renders = 0

    @classmethod
    def find(cls) -> tuple[EspeakNgEngine | None, str]:
        binary = shutil.which("espeak-ng")
        if binary is None:
            return None, "the espeak-ng program is not installed (Debian package espeak-ng)"
        return cls(binary), ""

    def identity(self) -> str:
        return f"espeak-ng|{_file_identity(self.binary)}|{self.voice}"

    def render(self, text: str, out_path: Path, rate: float) -> None:
        text = _english_only(text)
        self.renders += 1
        wpm = str(round(ESPEAK_DEFAULT_WPM * rate))
        _run([self.binary, "-v", self.voice, "-s", wpm, "-w", str(out_path), "--stdin"], text, out_path)


def _english_only(text: str) -> str:
    text = " ".join(text.split())
    if not text:
        raise EngineError("nothing to say")
    if contains_japanese(text):
        raise EngineError("espeak-ng cannot read Japanese (it would spell kanji out in English)")
    return text


def _run(cmd: list[str], text: str, out_path: Path) -> None:
    try:
        done = subprocess.run(cmd, input=text.encode("utf-8"), capture_output=True, timeout=RENDER_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EngineError(f"{Path(cmd[0]).name} failed: {exc}") from exc
    if done.returncode != 0 or not out_path.is_file() or out_path.stat().st_size <= 44:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        with contextlib.suppress(OSError):
            out_path.unlink()
        raise EngineError(
            f"{Path(cmd[0]).name} exited {done.returncode}" + (f": {detail[-1]}" if detail else "")
        )


# -- choosing ------------------------------------------------------------------------------------

def find_engine(lang: str) -> tuple[SpeechEngine | None, str]:
    """The best installed engine for a language, or None and why (said once by the caller)."""
    if lang == "ja":
        return OpenJTalkEngine.find()
    if lang == "en":
        # The espeak-ng program first: pyttsx3 2.99's driver is asynchronous and can return before
        # the file is written, and loses short texts that arrive in one chunk (see Pyttsx3Engine);
        # here one alert-test in six lost a warning through it. A process per text is isolated,
        # has a timeout, and costs nothing that matters (warnings are cached).
        engine, why = EspeakNgEngine.find()
        if engine is not None:
            return engine, ""
        fallback, why_not = Pyttsx3Engine.find()
        return (fallback, "") if fallback is not None else (None, f"{why}; {why_not}")
    return None, f"no speech engine for language {lang!r}"


__all__ = [
    "EngineError",
    "EspeakNgEngine",
    "OpenJTalkEngine",
    "Pyttsx3Engine",
    "SpeechEngine",
    "contains_japanese",
    "find_engine",
]
