"""Voice mode: play samples to the caller (+VTX), and receive audio from the line (+VRX).

Playback is paced at the sample rate with a small lead: a modem's buffer holds well under a second,
and audio written faster than it plays is lost. While playing we keep reading what the modem sends
(DLE events such as busy or dial tone mean the caller has gone) so the port never backs up. Every
path ends back in command mode with caller ID re-enabled, even when a step fails.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from callerid.modem import dle
from callerid.modem.link import ModemLink, Response
from callerid.modem.profiles import ModemProfile

log = logging.getLogger(__name__)

#: DLE events during playback that mean nobody is listening any more.
CALLER_GONE = frozenset({ord("b"), ord("d")})


class VoiceError(Exception):
    """A voice-mode step was refused; the message names the command and the answer."""


@dataclass
class PlayResult:
    samples_sent: int = 0
    seconds: float = 0.0
    stopped_by: str | None = None  # a DLE event name when the caller hung up early
    events: list[str] = field(default_factory=list)


class _EventSink:
    """Raw-mode sink while transmitting: the modem only sends DLE event codes then."""

    def __init__(self) -> None:
        self.unshield = dle.Unshielder()
        self.codes: list[int] = []

    def __call__(self, data: bytes) -> int | None:
        result = self.unshield.feed(data)
        self.codes.extend(result.events)
        return result.end


def enter_voice(link: ModemLink, profile: ModemProfile, timeout: float) -> None:
    """+FCLASS=8, the profile's sample format, +VLS=1 (off-hook, connected to the line)."""
    for cmd in ("+FCLASS=8", profile.voice_format.removeprefix("AT"), "+VLS=1"):
        _expect_ok(link.command(cmd, timeout))


def leave_voice(
    link: ModemLink, profile: ModemProfile, caller_id_command: str | None, timeout: float
) -> None:
    """On-hook, back to data/command class 0, caller ID on again. Failures are logged, not raised."""
    commands = (*profile.onhook_commands, "+FCLASS=0", *((caller_id_command,) if caller_id_command else ()))
    for cmd in commands:
        response = link.command(cmd, timeout)
        if not response.ok:
            log.warning("%s: AT%s answered %s after voice mode", link.name, cmd, response.result)


def play(
    link: ModemLink,
    profile: ModemProfile,
    samples: bytes,
    *,
    timeout: float,
    clock: Callable[[], float],
    lead_seconds: float = 0.1,
    chunk_seconds: float = 0.02,
) -> PlayResult:
    """Transmit `samples` (already in the profile's format) after enter_voice(); paced in real time."""
    rate = profile.sample_rate
    sink = _EventSink()
    _expect(link.command("+VTX", timeout, connect_sink=sink), "CONNECT")
    result = PlayResult()
    chunk = max(1, int(rate * chunk_seconds))
    start = clock()
    sent = 0
    try:
        while sent < len(samples):
            due = start + sent / rate - lead_seconds
            while (wait := due - clock()) > 0:
                link.pump(wait)
            if any(code in CALLER_GONE for code in sink.codes):
                result.stopped_by = dle.event_name(next(c for c in sink.codes if c in CALLER_GONE))
                link.write(dle.ABORT_TRANSMIT)
                break
            piece = samples[sent : sent + chunk]
            link.write(dle.shield(piece))
            sent += len(piece)
    finally:
        link.set_raw_sink(None)
        link.write(dle.END_OF_DATA)
    # the modem answers OK once its buffer has played out
    remaining = max(0.0, start + sent / rate - clock())
    ended = link.finish_raw("+VTX end", remaining + timeout)
    if not ended.ok:
        log.warning("%s: end of playback answered %s", link.name, ended.result)
    result.samples_sent = sent
    result.seconds = clock() - start
    result.events = [dle.event_name(c) for c in sink.codes]
    return result


def receive(
    link: ModemLink,
    *,
    seconds: float,
    timeout: float,
    clock: Callable[[], float],
    until: Callable[[bytes], bool] | None = None,
) -> tuple[bytes, list[str]]:
    """+VRX for up to `seconds` (or until `until(samples_so_far)`), then DLE ! and back to commands.

    Returns the unshielded samples and the DLE events seen. Used by Number Display capture.
    """
    samples = bytearray()
    codes: list[int] = []
    unshield = dle.Unshielder()
    ended = False

    def sink(data: bytes) -> int | None:
        nonlocal ended
        got = unshield.feed(data)
        samples.extend(got.samples)
        codes.extend(got.events)
        if got.end is not None:
            ended = True
        return got.end

    _expect(link.command("+VRX", timeout, connect_sink=sink), "CONNECT")
    deadline = clock() + seconds
    while not ended and clock() < deadline and not (until is not None and until(bytes(samples))):
        link.pump(max(0.0, deadline - clock()))
    if not ended:
        link.write(dle.STOP_RECEIVE)
        stop_by = clock() + timeout
        while not ended and clock() < stop_by:
            link.pump(stop_by - clock())
    final = link.finish_raw("+VRX end", timeout)
    if not final.ok:
        log.warning("%s: end of recording answered %s", link.name, final.result)
    return bytes(samples), [dle.event_name(c) for c in codes if c != dle.ETX]


def _expect_ok(response: Response) -> None:
    _expect(response, "OK")


def _expect(response: Response, result: str) -> None:
    if response.result != result:
        raise VoiceError(f"AT{response.command} answered {response.result}")


__all__ = ["CALLER_GONE", "PlayResult", "VoiceError", "enter_voice", "leave_voice", "play", "receive"]
