"""The allow list's door: every way a number reaches the allow list asks here first (issue 12).

The command line, the website's form and CSV import, the API and fleet commands all call
`allow_conflict` before they add an allow entry, so a family cannot trust a police number by any
path. The household's own police numbers (the website's "police numbers" list) count as police.
"""

from __future__ import annotations

from collections.abc import Iterable

from callerid.model import ListEntry, ListKind
from callerid.screen.engine import ScreenConfig
from callerid.screen.trust import PoliceConflict, police_conflict
from callerid.store import Store


def household_screen(store: Store, screen: ScreenConfig) -> ScreenConfig:
    """The screening settings with the household's own police numbers, as the appliance uses them."""
    return screen.with_household_police(store.police_numbers())


def allow_conflict(store: Store, screen: ScreenConfig, pattern: str) -> PoliceConflict | None:
    """Why `pattern` must not go on the allow list, or None (ValueError for a pattern that is nonsense)."""
    return police_conflict(store.normalise_pattern(pattern), household_screen(store, screen))


def split_allowed(
    store: Store, screen: ScreenConfig, entries: Iterable[ListEntry]
) -> tuple[list[ListEntry], list[tuple[ListEntry, PoliceConflict]]]:
    """CSV import: the entries that may be added, and the allow entries refused with their reason."""
    household = household_screen(store, screen)
    kept: list[ListEntry] = []
    refused: list[tuple[ListEntry, PoliceConflict]] = []
    for entry in entries:
        conflict = None
        if entry.kind == ListKind.ALLOW:
            conflict = police_conflict(store.normalise_pattern(entry.pattern), household)
        if conflict is None:
            kept.append(entry)
        else:
            refused.append((entry, conflict))
    return kept, refused


def ignored_for_police(store: Store, screen: ScreenConfig, entries: Iterable[ListEntry]) -> set[str]:
    """The patterns of stored allow entries that cover police (kept from before the rule; no effect)."""
    household = household_screen(store, screen)
    return {e.pattern for e in entries if police_conflict(e.pattern, household) is not None}


__all__ = ["allow_conflict", "household_screen", "ignored_for_police", "split_allowed"]
