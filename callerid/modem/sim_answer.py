"""The simulated line after the household picks up: who the modem hears when it joins (+VRX).

Part of `callerid.modem.sim` (issue 18). A `SimCall` with `pickup_after` stops ringing and is
connected a second after its last ring; `after_pickup` says what the caller does then:

- "talks": speech-like audio (noise shaped into syllables, about -22 dBFS) while the modem
  listens and, after the announcement, for `talk_seconds` of audio; then the caller hangs up
  and the exchange gives busy tone (DLE b), exactly at that sample;
- "hangs-up-on-announcement": speech while the modem listens; half a second into the
  announcement (+VTX) the caller hangs up (DLE b during the playback);
- "fax": a fax machine's calling tone (CNG: 1100 Hz, 0.5 s on, 3 s off) and DLE c.

A line with no call on it (the caller hung up while it rang) gives dial tone: DLE d and quiet.
Speech samples are counted per call so a test can check a recording's length against them.
"""

from __future__ import annotations

import time

from callerid.modem import dle
from callerid.modem.sim_line import _SILENCE, SimCallHandle

SPEECH_DBFS = -22.0
FAX_DBFS = -15.0


class AnsweredCall:
    """`SimulatedModem`'s line after a pickup (mixed in; uses its `_call`, `_random`, timers)."""

    def _pick_up(self, handle: SimCallHandle) -> None:
        if self._call is handle and handle.picked_up_at is None:
            handle.picked_up_at = time.monotonic()
            self._last_answered = handle
            self._unjoined_hang_up(handle)

    def _unjoined_hang_up(self, handle: SimCallHandle) -> None:
        """Without the modem on the line the caller talks for a while and hangs up; with it, the
        line audio decides (see `_line_audio`)."""
        due = (handle.call.talk_seconds + 30) * self.time_scale
        if handle.caller_gone_at is not None:
            return
        if self._offhook is not None or time.monotonic() < handle.picked_up_at + due:
            self._at(time.monotonic() + due, lambda h=handle: self._unjoined_hang_up(h))
            return
        self._caller_hangs_up(handle)

    def _caller_hangs_up(self, handle: SimCallHandle) -> None:
        if handle.caller_gone_at is None:
            handle.caller_gone_at = time.monotonic()
        if self._call is handle:
            self._call = None
        handle.done.set()

    def _connected(self) -> SimCallHandle | None:
        call = self._call
        if call is not None and call.picked_up_at is not None and call.caller_gone_at is None:
            return call
        return None

    def _on_vtx_start(self) -> None:
        call = self._connected()
        if call is None:
            return
        call.announced = True
        if call.call.after_pickup == "hangs-up-on-announcement":
            self._at(time.monotonic() + 0.5, lambda h=call: self._gone_during_playback(h))

    def _gone_during_playback(self, handle: SimCallHandle) -> None:
        self._caller_hangs_up(handle)
        if self._state == "vtx":
            self._send(bytes([dle.DLE, ord("b")]))  # busy tone: the modem reports it during playback

    def _on_vrx_start(self) -> None:
        self._line_event_sent = False
        self._line_phase = 0

    def _line_audio(self, count: int) -> bytes:
        """`count` samples of what the line carries now, DLE-shielded, with any event code."""
        connected = self._connected()
        if connected is None:
            return self._idle_line(count)
        kind = connected.call.after_pickup
        if kind == "fax":
            event = b"" if self._line_event_sent else bytes([dle.DLE, ord("c")])
            self._line_event_sent = True
            return event + dle.shield(self._cng(count))
        if kind == "talks" and connected.announced:
            left = round(connected.call.talk_seconds * self.profile.sample_rate) - connected.talk_samples_sent
            if left <= count:
                speech = self._speech(max(0, left))
                connected.talk_samples_sent += len(speech)
                self._caller_hangs_up(connected)
                self._line_event_sent = True
                return (dle.shield(speech) + bytes([dle.DLE, ord("b")])
                        + bytes([_SILENCE]) * (count - len(speech)))
            connected.talk_samples_sent += count
        return dle.shield(self._speech(count))

    def _idle_line(self, count: int) -> bytes:
        """No one to talk to. Just after a caller hung up, the exchange's tone says so: busy tone
        after a connected call (Japanese exchanges), dial tone when the caller gave up while it
        rang. Otherwise (a call still ringing, Number Display, no call yet) plain quiet."""
        if self._call is None:
            recent = 30 * self.time_scale
            answered = getattr(self, "_last_answered", None)
            if answered is not None and answered.caller_gone_at is not None \
                    and time.monotonic() - answered.caller_gone_at < recent:
                return self._quiet_with_event(count, ord("b"))
            finished = getattr(self, "_last_finished", None)
            if finished is not None and finished.rings_at \
                    and time.monotonic() - finished.rings_at[-1] < recent:
                return self._quiet_with_event(count, ord("d"))
        return bytes([_SILENCE]) * count

    def _quiet_with_event(self, count: int, code: int) -> bytes:
        event = b"" if self._line_event_sent else bytes([dle.DLE, code])
        self._line_event_sent = True
        return event + bytes([_SILENCE]) * count

    def _speech(self, count: int) -> bytes:
        """Noise in syllables (4 a second): loud enough to be a voice, random enough to be no tone."""
        import numpy as np

        rate = self.profile.sample_rate
        rng = np.random.default_rng(self._random.getrandbits(32))
        t = (self._line_phase + np.arange(count)) / rate
        self._line_phase += count
        envelope = 0.6 + 0.4 * np.sin(2 * np.pi * 4 * t)
        amplitude = 10 ** (SPEECH_DBFS / 20)
        audio = rng.normal(0.0, amplitude, count) * envelope
        return _u8(audio)

    def _cng(self, count: int) -> bytes:
        import numpy as np

        rate = self.profile.sample_rate
        n = self._line_phase + np.arange(count)
        self._line_phase += count
        on = (n % int(3.5 * rate)) < int(0.5 * rate)
        amplitude = 10 ** (FAX_DBFS / 20) * np.sqrt(2)
        return _u8(amplitude * np.sin(2 * np.pi * 1100 * n / rate) * on)


def _u8(audio: object) -> bytes:
    import numpy as np

    samples = np.clip(np.round(np.asarray(audio) * 128 + 128), 0, 255).astype(np.uint8)
    return samples.tobytes()


__all__ = ["AnsweredCall"]
