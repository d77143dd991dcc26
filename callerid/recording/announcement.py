"""What the caller hears when the appliance joins a call: a short beep, then "this call is recorded".

The sentence is the one Japan's municipal call-warning recorders use; the police credit it with
driving most fraud callers away. It is rendered with the configured voice through the speech
renderer (so it is cached like the warnings), then put together here: a quiet lead-in, a 1 kHz
beep, a pause, the sentence, all at a modest level (RMS `level_dbfs`, peaks under -3 dBFS):
the household hears it in their earpiece too, and it must not startle them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from callerid.wavfile import read_wav, write_wav

#: The announcement's words, per language.
ANNOUNCEMENTS: dict[str, str] = {
    "ja": "この通話は、詐欺被害防止のため録音されます。",
    "en": "This call is being recorded to prevent fraud.",
}
BEEP_HZ = 1000.0
BEEP_SECONDS = 0.25
LEAD_SECONDS = 0.2
GAP_SECONDS = 0.3
PEAK_DBFS = -3.0


def announcement_text(lang: str) -> str:
    return ANNOUNCEMENTS.get(lang, ANNOUNCEMENTS["ja"])


def build_announcement(speech_wav: str | Path, out: str | Path, *, level_dbfs: float = -20.0) -> Path:
    """Beep + rendered sentence as one WAV at `level_dbfs` RMS (speech part), written atomically."""
    import numpy as np

    speech, rate = read_wav(speech_wav, mix=True)
    speech = _trim(speech)
    if len(speech) == 0:
        raise ValueError(f"{speech_wav}: the rendered announcement is silent")
    target = 10 ** (level_dbfs / 20)
    rms = float(np.sqrt(np.mean(speech**2)))
    speech = speech * (target / rms)
    peak = float(np.max(np.abs(speech)))
    limit = 10 ** (PEAK_DBFS / 20)
    if peak > limit:  # a loud syllable: lower the whole sentence rather than clip it
        speech = speech * (limit / peak)
    t = np.arange(int(rate * BEEP_SECONDS)) / rate
    ramp = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.01)  # 10 ms fades: no clicks
    beep = target * np.sqrt(2) * np.sin(2 * np.pi * BEEP_HZ * t) * ramp
    silence = np.zeros
    audio = np.concatenate([silence(int(rate * LEAD_SECONDS)), beep, silence(int(rate * GAP_SECONDS)),
                            speech, silence(int(rate * LEAD_SECONDS))])
    return write_wav(out, audio, rate)


def render_announcement(
    render: Callable[[str, str], Path], lang: str, cache_dir: str | Path, *, level_dbfs: float = -20.0
) -> Path:
    """The announcement WAV for `lang`, from the cache when it was built before with the same words
    and level. `render(text, lang)` is the speech renderer (SpeechAlerts.render)."""
    text = announcement_text(lang)
    key = hashlib.sha256(f"{lang}|{text}|{level_dbfs}".encode()).hexdigest()[:12]
    out = Path(cache_dir).expanduser() / f"recording-announcement-{lang}-{key}.wav"
    if out.exists():
        return out
    return build_announcement(render(text, lang), out, level_dbfs=level_dbfs)


def _trim(audio):  # noqa: ANN001, ANN202 - numpy arrays
    """Without the engine's leading and trailing silence (our own pauses are added around it)."""
    import numpy as np

    loud = np.nonzero(np.abs(audio) > 0.01 * (np.max(np.abs(audio)) if len(audio) else 0))[0]
    if len(loud) == 0:
        return audio[:0]
    return audio[loud[0] : loud[-1] + 1]


__all__ = ["ANNOUNCEMENTS", "announcement_text", "build_announcement", "render_announcement"]
