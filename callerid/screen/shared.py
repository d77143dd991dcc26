"""Shared block lists (from a fleet's list publisher) joined to the family's own lists.

Pure, like the rest of screening. The family's own entries always decide first: a shared
entry only blocks a number that neither of the family's lists matches. A number the family
trusts therefore stays trusted (and the allow list cannot hold a police number, so a shared
entry never loses against the family on a police number). The block entry a shared list
contributes carries "shared list NAME" in its label, which the reasons and the website show.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from callerid.model import Advice, ListEntry, ListKind
from callerid.screen.lists import FamilyLists, ListDecision, ListMatch, normalise_pattern
from callerid.screen.numbers import Number

#: What a shared entry asks for. Only block acts in this version; warn entries are kept but do not
#: change screening (warning without blocking needs a verdict code of its own, see docs/fleet.md).
SHARED_VERDICTS = (Advice.BLOCK, Advice.WARN)


@dataclass(frozen=True, slots=True)
class SharedEntry:
    """One entry of a signed shared list as a home holds it."""

    list_name: str
    pattern: str  # canonical, as normalise_pattern returns it
    verdict: str
    label: str = ""

    def as_list_entry(self) -> ListEntry:
        label = f"shared list {self.list_name}" + (f": {self.label}" if self.label else "")
        return ListEntry(kind=ListKind.BLOCK, pattern=self.pattern, label=label)


class ListsWithShared(FamilyLists):
    """FamilyLists whose `decide` falls back to the shared block entries."""

    def __init__(
        self,
        allow: Sequence[ListEntry] = (),
        block: Sequence[ListEntry] = (),
        region: str = "JP",
        shared: Sequence[SharedEntry] = (),
    ) -> None:
        super().__init__(allow, block, region)
        self.shared: tuple[SharedEntry, ...] = tuple(shared)
        self._shared = FamilyLists(
            (), [e.as_list_entry() for e in self.shared if e.verdict == Advice.BLOCK], self.region
        )

    def __len__(self) -> int:
        return super().__len__() + len(self.shared)

    def __repr__(self) -> str:
        return f"{super().__repr__()[:-1]}, shared={len(self.shared)})"

    def shared_match(self, number: Number | str) -> ListMatch | None:
        """The shared block entry that matches `number` (most specific), whatever the family says."""
        return self._shared._block_match(self._number(number))

    def blocked(self, number: Number | str) -> ListEntry | None:
        """The family's block entry that matches, else a shared one (whatever the allow list says)."""
        own = super().blocked(number)
        if own is not None:
            return own
        found = self.shared_match(number)
        return found.entry if found is not None else None

    def decide(self, number: Number | str) -> ListDecision | None:
        number = self._number(number)
        own = super().decide(number)
        if own is not None:
            return own
        found = self.shared_match(number)
        return ListDecision(found) if found is not None else None


def shared_entry(list_name: str, number: str, verdict: str, label: str, region: str) -> SharedEntry:
    """A SharedEntry with its pattern normalised (ValueError for a bad number or verdict)."""
    if verdict not in SHARED_VERDICTS:
        raise ValueError(f"verdict must be one of {', '.join(SHARED_VERDICTS)}, not {str(verdict)[:20]!r}")
    return SharedEntry(list_name, normalise_pattern(number, region), Advice(verdict), label)


__all__ = ["SHARED_VERDICTS", "ListsWithShared", "SharedEntry", "shared_entry"]
