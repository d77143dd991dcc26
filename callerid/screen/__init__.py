"""Screening: who is calling? Normalise the display, apply the police rules and the family's
lists, and return one `Verdict` with reasons in English and Japanese.

Pure (no I/O, no clock) except `police.load_directory`, which reads the police CSVs once at
start-up. Modules: `numbers` (phonenumbers), `police`, `lists`, `engine`, `messages`.
"""

from __future__ import annotations

from callerid.screen.engine import ADVICE_BY_VERDICT, ScreenConfig, screen, screen_display
from callerid.screen.lists import FamilyLists, normalise_pattern
from callerid.screen.numbers import Number, normalise
from callerid.screen.police import PoliceDataError, PoliceDirectory, load_directory

__all__ = [
    "ADVICE_BY_VERDICT",
    "FamilyLists",
    "Number",
    "PoliceDataError",
    "PoliceDirectory",
    "ScreenConfig",
    "load_directory",
    "normalise",
    "normalise_pattern",
    "screen",
    "screen_display",
]
