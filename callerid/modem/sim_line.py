"""The simulated modem's side of the phone line: scripted calls (RING cadence, caller ID as text or
hex between the first two rings, Japan's Number Display as CAR and a V.23 FSK burst) and voice
audio (+VTX received, +VRX streamed). Part of `callerid.modem.sim`; import the names from there.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from callerid.model import CallerID
from callerid.modem import dle
from callerid.transmit import encode, modulator

_SILENCE = 0x80  # 8-bit unsigned linear zero


@dataclass(frozen=True, slots=True)
class SimCall:
    """One scripted incoming call.

    `mode` None sends caller ID the way the driver enabled it (text for =1, hex for =2, nothing
    when caller ID is off); "text" or "hex" force one. `message` picks the hex encoding (sdmf, mdmf,
    etsi, ntt; default from caller.format, text -> mdmf). Times are in seconds before time_scale.

    "ntt-audio" is Japan's Number Display as the exchange does it: CAR (a RING every `car_period`)
    for up to `car_seconds`; when the terminal goes off-hook (the primary response), the caller ID
    as a V.23 FSK burst `nd_delay` later, streamed by +VRX as 8-bit audio (at `nd_level_dbfs`,
    with white noise at `nd_snr_db` if given); when it goes back on-hook, `rings` normal rings
    `ring_period` apart. Without a primary response the call rings normally after the CAR.
    """

    caller: CallerID
    rings: int = 3
    ring_period: float = 6.0  # North American cadence: 2 s on, 4 s off
    mode: str | None = None
    style: str = "spaced"  # format_text style: spaced, compact, oneline
    message: str | None = None
    cid_delay: float | None = None  # after the first RING; default half a ring period
    car_period: float = 1.0  # ntt-audio: CAR rings 0.5 s on / 0.5 s off
    car_seconds: float = 6.0  # ntt-audio: the exchange waits this long for the primary response
    nd_delay: float = 0.3  # ntt-audio: the FSK burst starts this long after the primary response
    nd_ring_delay: float = 0.5  # ntt-audio: normal ringing starts this long after reception complete
    nd_level_dbfs: float = -14.0
    nd_snr_db: float | None = None
    # After the household picks up (callerid.modem.sim_answer): None rings out unanswered.
    pickup_after: int | None = None  # the household lifts the handset after this many rings
    after_pickup: str = "talks"  # "talks", "hangs-up-on-announcement" or "fax"
    talk_seconds: float = 5.0  # "talks": seconds of speech after the announcement, then hangs up


@dataclass(frozen=True, slots=True)
class SimCommand:
    at: float
    text: str


@dataclass(slots=True)
class SimHangup:
    """One off-hook period: how the line was seized and when it was released."""

    offhook_at: float
    via: str
    onhook_at: float | None = None


@dataclass(slots=True)
class SimAudio:
    """One +VTX session as received: samples (DLE doubling undone) and when each chunk came."""

    started_at: float
    samples: bytearray = field(default_factory=bytearray)
    arrivals: list[tuple[float, int]] = field(default_factory=list)
    ended_at: float | None = None
    aborted: bool = False


class SimCallHandle:
    """Returned by play_call: wait() until the call's script has finished."""

    def __init__(self, call: SimCall) -> None:
        self.call = call
        self.done = threading.Event()
        self.answered = False
        self.caller_id_sent: str | None = None  # "text" | "hex" | "ntt-audio" | None
        self.caller_id_sent_at: float | None = None
        self.phase = "ringing"  # ntt-audio: "car" -> "number-display" -> "ringing"
        self.primary_response_at: float | None = None
        self.rings_at: list[float] = []  # every RING sent for this call (CAR ones included)
        self.picked_up_at: float | None = None  # the household lifted the handset
        self.caller_gone_at: float | None = None  # the caller hung up after the pickup
        self.announced = False  # the modem played audio (+VTX) while the call was connected
        self.talk_samples_sent = 0  # speech samples streamed after the announcement

    def wait(self, timeout: float | None = None) -> bool:
        return self.done.wait(timeout)


class CallScript:
    """`SimulatedModem`'s call playing, kept apart from its AT command and pty handling."""

    def _start_call(self, handle: SimCallHandle) -> None:
        call = handle.call
        self._call = handle
        start = time.monotonic()
        if call.mode == "ntt-audio":
            handle.phase = "car"
            car = call.car_period * self.time_scale
            for i in range(max(1, int(call.car_seconds / call.car_period))):
                self._at(start + i * car, lambda h=handle: self._car_ring(h))
            self._at(start + call.car_seconds * self.time_scale, lambda h=handle: self._car_over(h))
            return
        period = call.ring_period * self.time_scale
        rings = call.rings if call.pickup_after is None else min(call.rings, call.pickup_after)
        for i in range(rings):
            self._at(start + i * period, lambda h=handle: self._ring(h))
        if call.pickup_after is not None:  # the handset is lifted a second after the last ring
            self._at(start + (rings - 1) * period + self.time_scale, lambda h=handle: self._pick_up(h))
            if call.rings:
                delay = call.ring_period / 2 if call.cid_delay is None else call.cid_delay
                self._at(start + delay * self.time_scale, lambda h=handle: self._send_caller_id(h))
            return
        if call.rings:
            delay = call.ring_period / 2 if call.cid_delay is None else call.cid_delay
            self._at(start + delay * self.time_scale, lambda h=handle: self._send_caller_id(h))
        self._at(start + max(call.rings, 1) * period, lambda h=handle: self._finish_call(h))

    def _normal_ringing(self, handle: SimCallHandle, start: float) -> None:
        period = handle.call.ring_period * self.time_scale
        for i in range(handle.call.rings):
            self._at(start + i * period, lambda h=handle: self._ring(h))
        self._at(start + max(handle.call.rings, 1) * period, lambda h=handle: self._finish_call(h))

    def _car_ring(self, handle: SimCallHandle) -> None:
        if handle.phase == "car" and self._offhook is None:
            self._ring(handle)

    def _car_over(self, handle: SimCallHandle) -> None:
        """No primary response within the CAR period: ring normally, without caller ID."""
        if self._call is handle and handle.phase == "car":
            handle.phase = "ringing"
            self._normal_ringing(handle, time.monotonic())

    def _send_number_display(self, handle: SimCallHandle) -> None:
        if self._call is not handle or handle.phase != "number-display" or self._offhook is None:
            return
        import numpy as np

        call = handle.call
        rate = self.profile.sample_rate
        audio = modulator.caller_audio(call.caller, "ntt", rate, level_dbfs=call.nd_level_dbfs)
        audio = np.concatenate([audio, np.zeros(rate // 2)])  # the line goes quiet after the burst
        if call.nd_snr_db is not None:
            power = 10 ** (call.nd_level_dbfs / 10) / 2
            noise = np.random.default_rng(self._random.getrandbits(32))
            audio = audio + noise.normal(0.0, np.sqrt(power / 10 ** (call.nd_snr_db / 10)), len(audio))
        self._rx_source.extend(modulator.to_pcm(audio, 1))
        handle.caller_id_sent = "ntt-audio"
        handle.caller_id_sent_at = time.monotonic()

    def _ring(self, handle: SimCallHandle) -> None:
        if self._call is handle and not handle.answered and not self._silent() and self._state == "command":
            handle.rings_at.append(time.monotonic())
            if self._verbose:
                self._send(b"\r\nRING\r\n")
            else:
                self._send(b"2\r")

    def _send_caller_id(self, handle: SimCallHandle) -> None:
        if self._call is not handle or handle.answered or self._silent() or self._state != "command":
            return
        mode = handle.call.mode or self._cid_mode
        if self._cid_mode is None or mode is None:
            return  # caller ID not enabled: this modem prints RING only

        caller = handle.call.caller
        if mode == "text":
            payload = "\r\n" + encode.format_text(caller, handle.call.style)
        else:
            payload = "\r\n" + _encode_message(caller, handle.call.message).hex().upper() + "\r\n"
        self._send(payload.encode("utf-8"))
        handle.caller_id_sent = mode
        handle.caller_id_sent_at = time.monotonic()

    def _finish_call(self, handle: SimCallHandle) -> None:
        if self._call is handle:
            self._call = None
            self._last_finished = handle  # a line seized now hears dial tone (sim_answer)
        handle.done.set()


class VoiceAudio:
    """`SimulatedModem`'s voice mode: audio the driver sends (+VTX) and the line audio it records (+VRX)."""

    def _receive_audio(self, data: bytes) -> bytes:
        got = self._unshield.feed(data)
        now = time.monotonic()
        with self._cond:
            session = self._audio[-1]
            session.samples += got.samples
            if got.samples:
                session.arrivals.append((now, len(got.samples)))
            if 0x18 in got.events:
                session.aborted = True
            if got.end is not None:
                session.ended_at = now
            self._cond.notify_all()
        if got.end is None:
            return b""
        self._state = "command"
        self._result("OK")
        return data[got.end :]

    def _receive_during_vrx(self, data: bytes) -> bytes:
        stop = data.find(dle.STOP_RECEIVE)
        if stop < 0:
            return b""
        self._state = "command"
        self._send(dle.END_OF_DATA)
        self._result("OK")
        return data[stop + 2 :]

    def _rx_tick(self) -> None:
        if self._state != "vrx" or self._master is None:
            return
        interval = max(0.005, 0.02 * self.time_scale)
        count = max(1, round(self.profile.sample_rate * interval / self.time_scale))
        chunk = bytes(self._rx_source[:count])
        del self._rx_source[:count]
        if not chunk:
            self._send(self._line_audio(count))  # callerid.modem.sim_answer: who is on the line
            self._at(time.monotonic() + interval, self._rx_tick)
            return
        chunk += bytes([_SILENCE]) * (count - len(chunk))
        self._send(dle.shield(chunk))
        self._at(time.monotonic() + interval, self._rx_tick)


def _encode_message(caller: CallerID, message: str | None) -> bytes:
    """The binary caller-ID message a modem in hex mode would print, by encoding name."""
    kind = message or (caller.format if caller.format in ("sdmf", "mdmf", "etsi", "ntt") else "mdmf")
    if kind == "sdmf":
        return encode.encode_sdmf(caller.number, caller.date, caller.time, caller.absence)
    if kind == "mdmf":
        return encode.encode_mdmf(caller)
    if kind == "etsi":
        return encode.encode_etsi(caller)
    if kind == "ntt":
        return encode.encode_ntt(caller)
    raise ValueError(f"unknown caller-ID message {kind!r}; choose sdmf, mdmf, etsi or ntt")


__all__ = ["CallScript", "VoiceAudio", "SimAudio", "SimCall", "SimCallHandle", "SimCommand", "SimHangup"]
