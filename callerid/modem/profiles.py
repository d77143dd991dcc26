"""Modem profiles as data: how each family of USB voice modem is identified and driven.

A profile is what we know about a modem family: its USB ids, what its ATI commands answer, the
commands it needs at start-up, which caller-ID command it takes, the voice sample format, and its
known quirks. The driver picks a profile from the config, the USB id, or the ATI answers (in that
order) and falls back to `generic`, which tries every common spelling. The simulator answers like
a profile, so the same data drives the tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

#: Caller-ID enabling commands in the order a modem of unknown make is tried (value appended:
#: "1" formatted text, "2" raw message as hex). NCID's modem notes list these three as the common ones.
CALLER_ID_COMMANDS = ("+VCID", "#CID", "%CCID")

#: +VSM compression values -> sample coding, from the chip makers' AT command manuals: Conexant
#: and Rockwell 1 and 130 "UNSIGNED PCM" (8-bit), 129 "IMA ADPCM" (4-bit); U.S. Robotics 128
#: 8-bit linear. Anything else is taken as 8-bit unsigned, the V.253 default.
VOICE_ENCODINGS = {"1": "u8", "128": "u8", "129": "ima-adpcm", "130": "u8"}

#: T.35 country codes for the regions the appliance knows.
COUNTRY_CODES = {"JP": "00", "US": "B5", "CA": "B5", "GB": "B4"}


def _frozen(mapping: Mapping) -> Mapping:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True, slots=True)
class ModemProfile:
    """One modem family. Commands are written without the leading "AT"."""

    name: str
    title: str
    models: tuple[str, ...] = ()
    usb_ids: tuple[tuple[int, int], ...] = ()
    ati_patterns: tuple[str, ...] = ()  # regexes searched in the joined ATI/ATI3 answers
    ati_examples: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: _frozen({}))
    init_commands: tuple[str, ...] = ()  # after reset, echo off, verbose
    country_command: str | None = "+GCI={code}"
    region_commands: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: _frozen({}))
    caller_id_commands: tuple[str, ...] = CALLER_ID_COMMANDS  # what it takes, preferred first
    voice_format: str = "+VSM=1,8000,0,0"  # 8-bit unsigned linear PCM at 8000 Hz
    sample_rate: int = 8000
    offhook_commands: tuple[str, ...] = ("H1",)
    onhook_commands: tuple[str, ...] = ("H0",)
    #: +VLS value that joins a call the household answered, in parallel with their handset
    #: (callerid.modem.join; docs/recording.md says which manuals were checked).
    join_line: str = "+VLS=1"
    quirks: tuple[str, ...] = ()

    def caller_id_order(self) -> tuple[str, ...]:
        """Every caller-ID command to try: the profile's own first, then the common fallbacks."""
        rest = tuple(c for c in CALLER_ID_COMMANDS if c not in self.caller_id_commands)
        return self.caller_id_commands + rest

    def matches_identity(self, text: str) -> bool:
        return any(re.search(p, text, re.IGNORECASE) for p in self.ati_patterns)

    @property
    def voice_compression(self) -> str:
        """The +VSM compression value the modem takes (first parameter), e.g. "128" or "1"."""
        return self.voice_format.split("=", 1)[1].split(",", 1)[0]

    @property
    def voice_encoding(self) -> str:
        """How the samples its +VSM selects are coded (a `callerid.wavfile.VOICE_ENCODINGS` name)."""
        return VOICE_ENCODINGS.get(self.voice_compression, "u8")


USR = ModemProfile(
    name="usr",
    title="U.S. Robotics USB Faxmodem 5637",
    models=("USR5637",),
    usb_ids=((0x0BAF, 0x0303),),
    ati_patterns=(r"U\.?S\.? ?Robotics", r"USR\s*5637", r"^5601$"),
    ati_examples=_frozen({"I": ("5601",), "I3": ("U.S. Robotics 56K FAX USB V1.2.23",)}),
    caller_id_commands=("#CID",),
    voice_format="+VSM=128,8000",
    quirks=(
        "takes #CID=1 for caller ID and answers ERROR to +VCID",
        "voice format +VSM=128,8000 (8-bit linear); some firmware answers ERROR to +FCLASS=8",
    ),
)

CONEXANT = ModemProfile(
    name="conexant",
    title="Conexant CX93010 family (Zoom 3095, TRENDnet TFM-561U, StarTech USB56KEMH2)",
    models=("Zoom 3095", "TRENDnet TFM-561U", "StarTech USB56KEMH2"),
    usb_ids=((0x0572, 0x1329), (0x0803, 0x3095)),
    ati_patterns=(r"CX930\d\d", r"Conexant", r"\bZoom\b"),
    ati_examples=_frozen({"I": ("56000",), "I3": ("CX93001-EIS_V0.2013-V92",)}),
    caller_id_commands=("+VCID",),
    voice_format="+VSM=1,8000,0,0",
    # Conexant's voice reference: +VLS=3 "LT" is off-hook with the local phone still connected to
    # the line; +VLS=1 "T" would cut a phone plugged into the modem's PHONE jack off the call.
    join_line="+VLS=3",
    quirks=(
        "set the country (+GCI) before enabling caller ID; some units report only RING outside"
        " North America",
        "one USB id (0572:1329) is shared by many CX93010 sticks: identify by ATI3",
    ),
)

SILABS = ModemProfile(
    name="silabs",
    title="Silicon Labs ISOmodem (Si2457/Si2493/Si2494 based)",
    models=("Si2457", "Si2493", "Si2494"),
    ati_patterns=(r"\bSi ?24\d\d\b", r"ISOmodem", r"Silicon Lab", r"^24(57|93|94)$"),
    ati_examples=_frozen({"I": ("2457",), "I3": ("Silicon Labs ISOmodem Si2457 rev C",)}),
    region_commands=_frozen({"00": ("+VCDT=3",)}),  # Japanese (NTT) caller-ID detection
    caller_id_commands=("+VCID",),
    voice_format="+VSM=1,8000",
    quirks=("Japanese caller ID needs +VCDT=3 before +VCID=1 (selected when the country is JP)",),
)

GENERIC = ModemProfile(
    name="generic",
    title="Generic voice modem (IS-101 / V.253)",
    ati_examples=_frozen({"I": ("56000",), "I3": ("Generic V.92 Voice Modem",)}),
    quirks=("tries +VCID=1, #CID=1, %CCID=1 in turn and keeps the first that answers OK",),
)

PROFILES: Mapping[str, ModemProfile] = _frozen({p.name: p for p in (USR, CONEXANT, SILABS, GENERIC)})


def get_profile(name: str) -> ModemProfile:
    """The profile called `name`; ValueError naming the choices when it does not exist."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown modem profile {name!r}; choose from {', '.join(PROFILES)}") from None


def by_usb_id(usb_id: tuple[int, int] | None) -> ModemProfile | None:
    if usb_id is None:
        return None
    return next((p for p in PROFILES.values() if usb_id in p.usb_ids), None)


def by_identity(answers: Iterable[str]) -> ModemProfile | None:
    """The first profile whose ATI patterns match any answer line."""
    lines = [a.strip() for a in answers if a.strip()]
    for profile in PROFILES.values():
        if any(profile.matches_identity(line) for line in lines):
            return profile
    return None


def country_code_for(region: str) -> str | None:
    return COUNTRY_CODES.get(region.upper())


__all__ = [
    "CALLER_ID_COMMANDS",
    "CONEXANT",
    "COUNTRY_CODES",
    "GENERIC",
    "PROFILES",
    "SILABS",
    "USR",
    "VOICE_ENCODINGS",
    "ModemProfile",
    "by_identity",
    "by_usb_id",
    "country_code_for",
    "get_profile",
]
