"""Join a call the household answered: listen, announce, record (issue 18, docs/recording.md).

The modem sits in parallel with the household's phone. When a call the policy marks `record`
stops ringing before its cadence says the caller gave up, someone probably picked up: we go
off-hook in voice mode with the profile's `join_line` (+VLS value that keeps the household's
phone on the line), listen briefly, and

- dial tone, busy or silence (the modem's DLE events, and our own level check): the caller had
  gone; back on-hook at once;
- a fax calling tone (DLE c, or 1100 Hz on the line): not a person; leave the line;
- otherwise play the announcement (a beep, then "this call is being recorded"), then record with
  +VRX until the caller has gone (busy / dial tone / silence), the line stays quiet, the time
  limit, or the household holds the panel button.

Every limit is counted in received samples, not wall-clock time, so what the recording holds and
what ended it agree exactly. Whatever happens the session ends on-hook, in command mode, with
caller ID enabled again (`leave_voice`), and a failure is logged as one line: the line belongs to
the household, never to us.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from callerid.modem import dle
from callerid.modem.audio import wav_to_u8
from callerid.modem.link import ModemLink
from callerid.modem.profiles import ModemProfile
from callerid.modem.voice import VoiceError, _expect, _expect_ok, leave_voice, play
from callerid.wavfile import VoiceDecoder, WavError

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

#: DLE events that mean the far end has gone (busy, dial tone) or nobody is there (silence, quiet).
GONE_EVENTS = frozenset({ord("b"), ord("d"), ord("s"), ord("q")})
#: DLE events that mean a fax machine: calling tone (CNG), answer tone.
FAX_EVENTS = frozenset({ord("c"), ord("e")})
#: Below this RMS level (dBFS) a block of line audio counts as silence. A telephone line's idle
#: noise is about -60 dBFS; speech is -30 to -15 dBFS.
SILENCE_DBFS = -45.0
#: The level check's block: long enough to average over syllables, short enough to react fast.
BLOCK_SECONDS = 0.25
#: CNG is 1100 Hz; the tone's share of a block's energy above this means a fax machine.
FAX_TONE_HZ = 1100.0
FAX_TONE_SHARE = 0.6


@dataclass(frozen=True)
class JoinSettings:
    """Limits of one join, in seconds of line audio."""

    listen_seconds: float = 1.5
    quiet_seconds: float = 8.0
    time_limit_seconds: float = 30 * 60.0


@dataclass
class JoinResult:
    """What happened. `outcome`: caller-gone, fax, recorded or failed; `ended_by` says why."""

    outcome: str
    ended_by: str
    samples: bytes = b""  # the recording, in the profile's voice encoding
    encoding: str = "u8"
    rate: int = 8000
    announced: bool = False
    events: list[str] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        per_sample = 0.5 if self.encoding == "ima-adpcm" else 1.0  # 4-bit ADPCM: two samples a byte
        return len(self.samples) / per_sample / self.rate


class LineListener:
    """Receives +VRX audio and decides, block by block, whether anyone is still on the line."""

    def __init__(self, profile: ModemProfile) -> None:
        import numpy as np  # heavy: only once a call is joined

        self._np = np
        self.rate = profile.sample_rate
        self.decoder = VoiceDecoder(profile.voice_encoding)
        self.block = max(1, int(self.rate * BLOCK_SECONDS))
        self.raw = bytearray()
        self.codes: list[int] = []
        self.pending = np.zeros(0)
        self.samples_seen = 0
        self.quiet_run = 0  # samples of silence in a row (whole blocks)
        self.voiced = 0  # samples in blocks above the silence level
        self.fax_blocks = 0
        self.ended = False
        self.gone_at: int | None = None  # bytes of `raw` before the first "caller gone" event
        self.unshield = dle.Unshielder()

    def __call__(self, data: bytes) -> int | None:
        # Fed in pieces that end just after each DLE code, so an event's place among the samples
        # is exact: the recording stops at the sample where the busy tone began.
        i = 0
        while i < len(data):
            j = data.find(dle.DLE_BYTE, i)
            piece = data[i:] if j < 0 else data[i : j + 2]
            got = self.unshield.feed(piece)
            self._take(got.samples, got.events)
            if got.end is not None:
                self.ended = True
                return i + got.end
            i += len(piece)
        return None

    def _take(self, samples: bytes, events: tuple[int, ...]) -> None:
        self.raw += samples
        for code in events:
            self.codes.append(code)
            if code in GONE_EVENTS and self.gone_at is None:
                self.gone_at = len(self.raw)
        if not samples:
            return
        audio = self._np.concatenate([self.pending, self.decoder.decode(samples)])
        whole = len(audio) // self.block * self.block
        for start in range(0, whole, self.block):
            self._block(audio[start : start + self.block])
        self.pending = audio[whole:]

    @property
    def recording(self) -> bytes:
        """What was heard up to the moment the caller went (all of it when they did not)."""
        return bytes(self.raw if self.gone_at is None else self.raw[: self.gone_at])

    def _block(self, block: np.ndarray) -> None:
        self.samples_seen += len(block)
        np = self._np
        rms = float(np.sqrt(np.mean(block**2))) if len(block) else 0.0
        level = 20 * np.log10(max(rms, 1e-9))
        if level < SILENCE_DBFS:
            self.quiet_run += len(block)
            return
        self.quiet_run = 0
        self.voiced += len(block)
        if _tone_share(block, self.rate, FAX_TONE_HZ) > FAX_TONE_SHARE:
            self.fax_blocks += 1

    def event(self, wanted: frozenset[int]) -> str | None:
        code = next((c for c in self.codes if c in wanted), None)
        return dle.event_name(code) if code is not None else None

    def seconds(self, samples: int) -> float:
        return samples / self.rate


def join_and_record(
    link: ModemLink,
    profile: ModemProfile,
    announcement: bytes,
    settings: JoinSettings,
    *,
    caller_id_command: str | None,
    timeout: float,
    clock: Callable[[], float],
    stop: threading.Event | None = None,
) -> JoinResult:
    """One join, from off-hook to back in caller-ID mode; never raises for a modem that refuses."""
    result = JoinResult("failed", "", encoding=profile.voice_encoding, rate=profile.sample_rate)
    try:
        for cmd in ("+FCLASS=8", profile.voice_format.removeprefix("AT"), profile.join_line):
            _expect_ok(link.command(cmd, timeout))
        heard = _receive(link, profile, timeout, clock, until=_listening(settings), stop=stop)
        verdict = _who_is_there(heard, settings)
        result.events = [dle.event_name(c) for c in heard.codes if c != dle.ETX]
        if verdict is not None:
            result.outcome, result.ended_by = verdict
            return result
        played = play(link, profile, announcement, timeout=timeout, clock=clock)
        result.events += played.events
        if played.stopped_by is not None:  # the announcement alone drove the caller away
            result.outcome, result.ended_by = "caller-gone", f"{played.stopped_by} during the announcement"
            return result
        result.announced = True
        recorded = _receive(link, profile, timeout, clock, until=_recording(settings), stop=stop)
        result.samples = recorded.recording
        result.events += [dle.event_name(c) for c in recorded.codes if c != dle.ETX]
        result.outcome = "recorded"
        result.ended_by = _why_recording_ended(recorded, settings, stop)
        return result
    except VoiceError as exc:
        log.warning("%s: joining the call failed, the line is left to the household: %s", link.name, exc)
        result.ended_by = str(exc)
        return result
    finally:
        leave_voice(link, profile, caller_id_command, timeout)  # on-hook first, then caller ID again


def _listening(settings: JoinSettings) -> Callable[[LineListener], bool]:
    limit = settings.listen_seconds

    def done(heard: LineListener) -> bool:
        return (heard.event(GONE_EVENTS | FAX_EVENTS) is not None or heard.fax_blocks >= 2
                or heard.seconds(heard.samples_seen) >= limit)

    return done


def _recording(settings: JoinSettings) -> Callable[[LineListener], bool]:
    def done(heard: LineListener) -> bool:
        return (heard.event(GONE_EVENTS) is not None
                or heard.seconds(heard.quiet_run) >= settings.quiet_seconds
                or heard.seconds(heard.samples_seen) >= settings.time_limit_seconds)

    return done


def _who_is_there(heard: LineListener, settings: JoinSettings) -> tuple[str, str] | None:
    """(outcome, why) when nobody to announce to is on the line; None when a person may be."""
    gone = heard.event(GONE_EVENTS)
    if gone is not None:
        return "caller-gone", gone
    fax = heard.event(FAX_EVENTS)
    if fax is not None or heard.fax_blocks >= 2:
        return "fax", fax or "fax tone"
    if heard.voiced == 0:
        return "caller-gone", "silence"
    return None


def _why_recording_ended(heard: LineListener, settings: JoinSettings, stop: threading.Event | None) -> str:
    gone = heard.event(GONE_EVENTS)
    if gone is not None:
        return gone
    if stop is not None and stop.is_set():
        return "button"
    if heard.seconds(heard.quiet_run) >= settings.quiet_seconds:
        return "quiet"
    if heard.seconds(heard.samples_seen) >= settings.time_limit_seconds:
        return "time-limit"
    return "modem"


def _receive(
    link: ModemLink,
    profile: ModemProfile,
    timeout: float,
    clock: Callable[[], float],
    *,
    until: Callable[[LineListener], bool],
    stop: threading.Event | None,
) -> LineListener:
    """+VRX until `until(listener)` (checked as audio arrives), the modem ends it, or `stop`."""
    heard = LineListener(profile)
    _expect(link.command("+VRX", timeout, connect_sink=heard), "CONNECT")
    last_data = clock()
    seen = 0
    try:
        while not heard.ended and not until(heard) and not (stop is not None and stop.is_set()):
            link.pump(0.1)
            if len(heard.raw) != seen:
                seen, last_data = len(heard.raw), clock()
            elif clock() - last_data > timeout:
                raise VoiceError("+VRX: the modem sent no audio for "
                                 f"{timeout:g} s")
        if not heard.ended:
            link.write(dle.STOP_RECEIVE)
            stop_by = clock() + timeout
            while not heard.ended and clock() < stop_by:
                link.pump(stop_by - clock())
    finally:
        link.set_raw_sink(None)
    final = link.finish_raw("+VRX end", timeout)
    if not final.ok:
        log.warning("%s: end of recording answered %s", link.name, final.result)
    return heard


def _tone_share(block: np.ndarray, rate: int, hz: float) -> float:
    """The share of the block's energy within a few bins of `hz`, 0..1."""
    import numpy as np

    n = len(block)
    if n == 0:
        return 0.0
    k = round(hz * n / rate)
    spectrum = np.abs(np.fft.rfft(block * np.hanning(n))) ** 2
    total = float(spectrum.sum())
    if total <= 0:
        return 0.0
    return float(spectrum[max(0, k - 2) : k + 3].sum() / total)


def join_wav(
    link: ModemLink, profile: ModemProfile, announcement_wav: str, settings: JoinSettings, **options: Any
) -> JoinResult:
    """`join_and_record` with the announcement read from a WAV (converted to the modem's format)."""
    try:
        samples = wav_to_u8(announcement_wav, profile.sample_rate)
    except WavError as exc:
        log.warning("cannot read the announcement, the call is not joined: %s", exc)
        return JoinResult("failed", str(exc))
    result = join_and_record(link, profile, samples, settings, **options)
    log.info("joined call: %s (%s), %.1f s recorded", result.outcome, result.ended_by, result.seconds)
    return result


class PickupWatch:
    """The rings of the call that is ringing now, and when the next one is overdue.

    Rings that stop before the ring gap (the driver's "the call is over") means: the household
    answered, or the caller gave up. We cannot tell which from rings alone; the join's listening
    step tells them apart. The ring period is measured from the call's own rings (Japan 3 s, North
    America 6 s); a ring is overdue a little after one period and always before the ring gap.
    """

    def __init__(self, ring_gap: float, default_period: float = 6.0) -> None:
        self.ring_gap = ring_gap
        self.default_period = default_period
        self.armed: str | None = None  # the announcement to play when the rings stop
        self.rings: list[float] = []

    def arm(self, announcement: str) -> None:
        self.armed = announcement

    def ring(self, now: float) -> None:
        self.rings.append(now)
        del self.rings[:-4]

    def deadline(self) -> float | None:
        if self.armed is None or not self.rings:
            return None
        gaps = [b - a for a, b in zip(self.rings, self.rings[1:], strict=False)]
        period = min(gaps) if gaps else self.default_period
        overdue = period + max(0.5, 0.4 * period)
        return self.rings[-1] + min(overdue, 0.9 * self.ring_gap)

    def take(self, now: float) -> str | None:
        """The announcement to join with, once the next ring is overdue (then disarmed).

        None, and disarmed, when `now` is a whole ring gap after the last ring: the call is over
        by then, and a join would seize whatever is on the line now, perhaps the next call's
        ringing (it happened after the appliance was frozen for 10 s: the late join answered a
        new call and its caller ID was never sent).
        """
        deadline = self.deadline()
        if deadline is None or now < deadline:
            return None
        armed, self.armed = self.armed, None
        return armed if now < self.rings[-1] + self.ring_gap else None

    def reset(self) -> None:
        self.armed = None
        self.rings.clear()


__all__ = ["JoinResult", "JoinSettings", "LineListener", "PickupWatch", "join_and_record", "join_wav"]
