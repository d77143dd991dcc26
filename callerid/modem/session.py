"""The start-up conversation with a modem: reset, identify, country, caller ID on.

Kept apart from the driver's thread so `callerid modem probe` runs the very same sequence
synchronously. Every step tolerates a modem that says ERROR (noted in ModemInfo); only a modem that
does not answer at all is an error (LinkLost), so the driver can reopen it.
"""

from __future__ import annotations

from callerid.modem.events import ModemInfo
from callerid.modem.link import TIMEOUT, LinkLost, ModemLink, Response
from callerid.modem.profiles import GENERIC, ModemProfile, by_identity, by_usb_id, get_profile

#: ATI commands asked during identification: product code and firmware/chip text.
IDENTITY_COMMANDS = ("I", "I3")

#: +VCID value per caller-ID presentation: formatted text or the raw message as hex.
CALLER_ID_VALUES = {"text": "1", "hex": "2"}


def initialise(
    link: ModemLink,
    *,
    profile: str = "auto",
    usb_id: tuple[int, int] | None = None,
    country_code: str | None = "00",
    caller_id_mode: str = "text",
    timeout: float = 3.0,
    try_all: bool = False,
) -> tuple[ModemProfile, ModemInfo]:
    """Run the init sequence on an open link; returns the profile in use and what was found.

    `try_all` (probe) asks every caller-ID command to report which ones the modem takes; the
    first accepted stays enabled either way.
    """
    if caller_id_mode not in CALLER_ID_VALUES:
        raise ValueError(f"caller_id_mode must be one of {', '.join(CALLER_ID_VALUES)}")
    notes: list[str] = []
    _required(link, "Z", timeout, retries=1)  # reset to the stored profile: echo on, caller ID off
    _required(link, "E0", timeout)
    if _required(link, "V1", timeout).ok:
        link.verbose = True
    identity = tuple((cmd, _body(link.command(cmd, timeout))) for cmd in IDENTITY_COMMANDS)
    chosen, matched_by = _choose_profile(profile, usb_id, identity)

    for cmd in chosen.init_commands:
        if not _required(link, cmd, timeout).ok:
            notes.append(f"AT{cmd} answered ERROR")

    country_ok: bool | None = None
    if country_code and chosen.country_command:
        country_ok = _required(link, chosen.country_command.format(code=country_code), timeout).ok
        if not country_ok:
            notes.append(f"country code {country_code} refused; the modem keeps its own setting")
    for cmd in chosen.region_commands.get(country_code or "", ()):
        if not _required(link, cmd, timeout).ok:
            notes.append(f"AT{cmd} answered ERROR")

    value = CALLER_ID_VALUES[caller_id_mode]
    results: list[tuple[str, str]] = []
    enabled: str | None = None
    for base in chosen.caller_id_order():
        cmd = f"{base}={value}"
        result = _required(link, cmd, timeout).result
        results.append((cmd, result))
        if result == "OK" and enabled is None:
            enabled = cmd
            if not try_all:
                break
    if try_all and enabled is not None and results[-1][0] != enabled:
        _required(link, enabled, timeout)  # a later command may have changed the mode: set ours last
    if enabled is None:
        notes.append("no caller-ID command accepted: RING only")

    info = ModemInfo(
        port=link.name,
        profile=chosen.name,
        profile_title=chosen.title,
        identity=identity,
        usb_id=usb_id,
        matched_by=matched_by,
        country_code=country_code,
        country_accepted=country_ok,
        caller_id_command=enabled,
        caller_id_results=tuple(results),
        voice_format=chosen.voice_format,
        notes=tuple(notes),
    )
    return chosen, info


def _choose_profile(
    name: str, usb_id: tuple[int, int] | None, identity: tuple[tuple[str, tuple[str, ...]], ...]
) -> tuple[ModemProfile, str]:
    if name != "auto":
        return get_profile(name), "config"
    found = by_usb_id(usb_id)
    if found is not None:
        return found, "usb"
    found = by_identity(line for _, lines in identity for line in lines)
    if found is not None:
        return found, "ati"
    return GENERIC, "default"


def _required(link: ModemLink, cmd: str, timeout: float, retries: int = 1) -> Response:
    """A command that must get an answer: one retry (garbage can hide an OK), then LinkLost."""
    for _ in range(retries + 1):
        response = link.command(cmd, timeout)
        if response.result != TIMEOUT:
            return response
    raise LinkLost(f"{link.name}: no answer to AT{cmd} within {timeout:g} s (modem stuck?)")


def _body(response: Response) -> tuple[str, ...]:
    return tuple(line for line in response.lines if line)


__all__ = ["CALLER_ID_VALUES", "IDENTITY_COMMANDS", "initialise"]
