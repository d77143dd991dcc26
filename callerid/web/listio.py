"""Allow/block list entries on the website: form validation, CSV in and out, list membership.

What a valid entry is and how the CSV reads and writes (spreadsheet-safe labels included) is
`callerid.listcsv`, shared with `callerid list import/export`; this module adapts it to the
website's Store and adds what only pages need (a pattern as the family writes it, membership).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from callerid import listcsv
from callerid.model import ListEntry, ListKind
from callerid.screen.numbers import normalise, region_facts

if TYPE_CHECKING:
    from callerid.store import Store

KINDS = tuple(ListKind)
MAX_PATTERN = listcsv.MAX_PATTERN
clean_label = listcsv.clean_label


def validate_pattern(pattern: str | None, store: Store) -> str:
    """The pattern as the Store will keep it, or ValueError with a one-line reason (callerid.listcsv)."""
    return listcsv.clean_pattern(pattern, store.region)


def parse_csv(text: str, store: Store) -> tuple[list[ListEntry], list[str]]:
    """Entries from an uploaded CSV and one message per bad line: the CLI's reader (callerid.listcsv)."""
    return listcsv.read_csv(text, store.region)


def export_csv(entries: list[ListEntry]) -> str:
    """The CSV download: the CLI's writer, labels spreadsheet-safe (callerid.listcsv)."""
    return listcsv.write_csv(entries)


def pattern_display(pattern: str, region: str) -> str:
    """A stored pattern as the family would write it: `+81337654321` is `03-3765-4321`.

    Only for showing: forms still post the stored pattern, so removal always finds it.
    """
    try:
        if pattern.endswith("*"):
            cc, _idd, trunk, _required = region_facts(region)
            home = f"+{cc}"
            if pattern.startswith(home):
                return f"{trunk}{pattern[len(home):]}"
            return pattern
        number = normalise(pattern, region)
        if number.country == region and number.national:
            return number.national
        return number.display or pattern
    except (ValueError, KeyError):
        return pattern


@dataclass(frozen=True)
class Membership:
    allowed: bool
    blocked: bool


def membership(store: Store, number: str, region: str) -> Membership:
    """Whether `number` is caught by each list, prefixes included, as the screening engine matches."""
    try:
        lists = store.family_lists(region)
        return Membership(allowed=bool(lists.allowed(number)), blocked=bool(lists.blocked(number)))
    except ValueError:
        return Membership(allowed=False, blocked=False)
