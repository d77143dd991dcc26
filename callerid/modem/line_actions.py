"""What the driver does on the line for a call: hang up, play to the caller, join an answered call,
capture Japan's Number Display. A mixin of `ModemDriver` (its state and link), kept apart so the
driver file holds the event loop and the protocol, not every voice-mode action.
"""

from __future__ import annotations

import logging

from callerid.model import ModemState
from callerid.modem.audio import wav_to_u8
from callerid.modem.join import join_wav
from callerid.modem.link import ModemLink
from callerid.modem.number_display import capture as capture_number_display
from callerid.modem.number_display import decode_capture
from callerid.modem.number_display import enabled as number_display_enabled
from callerid.modem.voice import VoiceError, enter_voice, leave_voice, play
from callerid.wavfile import WavError

log = logging.getLogger("callerid.modem.driver")


class LineActions:
    """The voice-mode jobs `ModemDriver._run_jobs` runs (mixin: uses the driver's fields)."""

    def _do_hang_up(self, link: ModemLink) -> None:
        self._offhook = True
        refused = []
        for cmd in self._profile.offhook_commands:
            response = link.command(cmd, self._command_timeout)
            if not response.ok:
                log.warning("modem: AT%s answered %s", cmd, response.result)
                refused.append(f"AT{cmd} answered {response.result}")
        self._report(not refused, "; ".join(refused) or "off-hook: the call is dropped")
        link.wait(self._hangup_hold)
        self._on_hook(link)
        self._end_call(self._clock())

    def _on_hook(self, link: ModemLink) -> None:
        try:
            for cmd in self._profile.onhook_commands:
                response = link.command(cmd, self._command_timeout)
                if not response.ok:
                    log.warning("modem: AT%s answered %s", cmd, response.result)
        finally:
            self._offhook = False  # the on-hook command was written before any wait

    def _do_play(self, link: ModemLink, wav_path: str) -> None:
        try:
            samples = wav_to_u8(wav_path, self._profile.sample_rate)
        except WavError as exc:
            self._status(ModemState.ERROR, f"cannot play to caller: {exc}")
            self._report(False, f"cannot play to caller: {exc}")
            return
        caller_id = self._info.caller_id_command if self._info else None
        self._offhook = True
        try:
            enter_voice(link, self._profile, self._command_timeout)
            result = play(link, self._profile, samples, timeout=self._command_timeout, clock=self._clock)
            log.info("modem: played %d samples in %.2f s%s", result.samples_sent, result.seconds,
                     f" (stopped: {result.stopped_by})" if result.stopped_by else "")
        except VoiceError as exc:
            self._status(ModemState.ERROR, f"cannot play to caller: {exc}")
            self._report(False, f"cannot play to caller: {exc}")
        finally:
            try:
                leave_voice(link, self._profile, caller_id, self._command_timeout)  # on-hook first
            finally:
                self._offhook = False
        self._report(True, "answered, played the warning and hung up")  # no-op if reported above
        self._end_call(self._clock())

    def _do_join(self, link: ModemLink, announcement_wav: str) -> None:
        """Join the answered call (callerid.modem.join); the call ends when the join does."""
        self._last_activity = None  # the call is ours until the join ends: no ring-gap timer meanwhile
        self._stop_join.clear()
        self._offhook = self._joining = True
        try:
            result = join_wav(link, self._profile, announcement_wav, self._join_settings,
                              caller_id_command=self._info.caller_id_command if self._info else None,
                              timeout=self._command_timeout, clock=self._clock, stop=self._stop_join)
        finally:
            self._offhook = self._joining = False  # join_wav went back on-hook whatever happened
        try:
            if self._on_joined is not None:
                self._on_joined(result)
        except Exception:
            log.exception("join result handler failed")
        self._last_activity = self._clock()
        self._end_call(self._clock())

    def _number_display_on(self) -> bool:
        native = bool(self._profile.region_commands.get((self._country_code or "").upper()))
        return number_display_enabled(self._number_display, self._country_code, native=native)

    def _do_number_display(self, link: ModemLink) -> None:
        """Answer CAR in voice mode, record the FSK burst, hang up, then decode and report it."""
        caller_id = self._info.caller_id_command if self._info else None
        self._offhook = True
        try:
            samples = capture_number_display(
                link, self._profile, caller_id_command=caller_id, timeout=self._command_timeout,
                clock=self._clock, seconds=self._nd_seconds,
            )
        except VoiceError as exc:
            self._status(ModemState.ERROR, f"Number Display: cannot record the line: {exc}")
            return
        finally:
            self._offhook = False  # capture() went back on-hook whatever happened
            self._last_activity = self._clock()  # the call rings on after the capture
        try:
            records = decode_capture(samples, self._profile.sample_rate, self._profile.voice_encoding)
        except Exception:  # a decoder bug must not take the modem down
            log.exception("Number Display decoding failed")
            records = []
        if not records:
            log.warning("modem: Number Display: no caller ID in %.1f s of audio",
                        len(samples) / self._profile.sample_rate)
        self._emit_records(records, self._clock())
