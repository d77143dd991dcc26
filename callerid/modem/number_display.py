"""Japan's Number Display on any voice modem: answer CAR, record the FSK burst, decode it ourselves.

The exchange announces a Number Display call with CAR, ringing at 0.5 s on / 0.5 s off (a modem
prints RING about once a second, against every 3 s for normal Japanese ringing). The terminal must
answer (go off-hook: the "primary response") within 6 s; the exchange then sends the caller ID as a
V.23 FSK burst, the terminal goes back on-hook ("reception complete") and normal ringing starts.
So the number is known before the first real ring, and a blocked caller never rings the phone.

Few USB modems decode this burst, but every voice modem can record 8 kHz audio: `capture` goes
off-hook in voice mode, records with +VRX until the burst has ended (or a time limit), and goes
back on-hook; `decode_capture` hands the samples to `callerid.decode.fsk`. `CarDetector` tells CAR
from normal ringing by the RING cadence. The driver (callerid.modem.driver) wires them together.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from callerid.decode import fsk
from callerid.modem.link import ModemLink
from callerid.modem.profiles import ModemProfile
from callerid.modem.voice import enter_voice, leave_voice, receive
from callerid.wavfile import VoiceDecoder, voice_samples

if TYPE_CHECKING:  # pragma: no cover
    from callerid.model import CallerID

#: RINGs closer together than this are CAR (about 1 s apart); Japanese normal ringing is 3 s apart.
CAR_MAX_INTERVAL = 1.6
#: The longest we stay off-hook recording: the exchange sends the burst within a second or two.
CAPTURE_SECONDS = 4.0


class CarDetector:
    """Feed it every RING time; it says when the cadence is CAR (two RINGs about 1 s apart)."""

    def __init__(self, max_interval: float = CAR_MAX_INTERVAL) -> None:
        self.max_interval = max_interval
        self._last: float | None = None

    def ring(self, at: float) -> bool:
        """True when this RING came soon enough after the previous one to be CAR."""
        previous, self._last = self._last, at
        return previous is not None and 0.0 <= at - previous <= self.max_interval

    def reset(self) -> None:
        self._last = None


class BurstWatch:
    """`receive(until=...)` predicate: True once an FSK burst has come and gone.

    Works on the modem's samples (decoded from the profile's coding) in 10 ms frames: the
    quietest frames so far set the noise floor; a burst is at least `min_burst` seconds of frames
    well above it, and it has ended after `quiet` seconds back near the floor. Only new samples
    are looked at on each call.
    """

    def __init__(
        self, rate: int = 8000, *, min_burst: float = 0.05, quiet: float = 0.15, encoding: str = "u8"
    ) -> None:
        import numpy as np

        self.decoder = VoiceDecoder(encoding)
        self.pending = np.zeros(0)
        self.frame = max(1, rate // 100)
        self.min_frames = max(1, round(min_burst * 100))
        self.quiet_frames = max(1, round(quiet * 100))
        self.floor: float | None = None
        self.loud_run = 0
        self.quiet_run = 0
        self.seen_burst = False
        self.peak = 0.0
        self._done = 0  # bytes already looked at

    def __call__(self, samples: bytes) -> bool:
        import numpy as np

        fresh = samples[self._done :]
        self._done = len(samples)
        # Levels in 8-bit steps whatever the coding, so the thresholds below mean the same.
        block = np.concatenate((self.pending, self.decoder.decode(fresh) * 128.0))
        usable = len(block) // self.frame * self.frame
        self.pending = block[usable:]
        for frame in block[:usable].reshape(-1, self.frame):
            self._frame(float(np.sqrt(np.mean(frame**2))))
        return self.finished

    @property
    def finished(self) -> bool:
        return self.seen_burst and self.quiet_run >= self.quiet_frames

    def _frame(self, rms: float) -> None:
        floor = rms if self.floor is None else min(self.floor, rms)
        self.floor = floor
        loud = rms > max(4.0 * floor, 2.0)  # 2 LSB: above the 8-bit quantisation noise
        if loud:
            self.loud_run += 1
            self.quiet_run = 0
            self.peak = max(self.peak, rms)
            if self.loud_run >= self.min_frames:
                self.seen_burst = True
        else:
            self.loud_run = 0
            if self.seen_burst and rms < max(2.0 * floor, self.peak / 8.0):
                self.quiet_run += 1


def capture(
    link: ModemLink,
    profile: ModemProfile,
    *,
    caller_id_command: str | None,
    timeout: float,
    clock: Callable[[], float],
    seconds: float = CAPTURE_SECONDS,
) -> bytes:
    """Answer (voice mode, off-hook), record until the burst has ended, hang up; the samples.

    Whatever happens, the line goes back on-hook and caller ID is re-enabled (leave_voice).
    Raises callerid.modem.voice.VoiceError when the modem refuses voice mode.
    """
    try:
        enter_voice(link, profile, timeout)  # +VLS=1 is the primary response
        watch = BurstWatch(profile.sample_rate, encoding=profile.voice_encoding)
        samples, _events = receive(link, seconds=seconds, timeout=timeout, clock=clock, until=watch)
        return samples
    finally:
        leave_voice(link, profile, caller_id_command, timeout)  # on-hook: reception complete


def decode_capture(samples: bytes, rate: int, encoding: str = "u8") -> list[CallerID]:
    """The Number Display records in a recording in the modem's coding (usually one record)."""
    if not samples:
        return []
    audio = voice_samples(samples, encoding)
    return [caller for _, caller in fsk.decode_audio(audio, rate, "ntt")]


def enabled(setting: str, country_code: str | None, *, native: bool = False) -> bool:
    """The `[modem] number_display` switch: "on", "off", or "auto".

    "auto" is on in Japan (T.35 country code 00) unless the modem decodes Number Display itself
    (`native`: its profile has a Japanese caller-ID command such as Silicon Labs' +VCDT=3), since
    answering CAR ourselves would take the burst away from it.
    """
    if setting == "on":
        return True
    if setting == "auto":
        return (country_code or "").upper() == "00" and not native
    return False


__all__ = [
    "CAPTURE_SECONDS",
    "CAR_MAX_INTERVAL",
    "BurstWatch",
    "CarDetector",
    "capture",
    "decode_capture",
    "enabled",
]
