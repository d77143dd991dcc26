"""The household's own police numbers (their local station), added from the website.

Same rules as the packaged police CSV (`screen.police.make_entry`); stored as dialled in Japan so one
number is one row. The appliance folds them into its police directory when they change.
"""

from __future__ import annotations

from callerid.screen.numbers import normalise
from callerid.screen.police import PoliceEntry, make_entry
from callerid.store import rows
from callerid.store.database import Database, guarded

#: What the website's form offers; the packaged CSV knows more kinds.
HOUSEHOLD_KINDS = ("station", "hq", "consultation", "koban", "other")
HOUSEHOLD_CONFIDENCE = "household"


class PoliceNumbers(Database):
    """The `police_numbers` table."""

    @guarded
    def police_numbers(self) -> list[PoliceEntry]:
        found = self._conn().execute("SELECT number, kind, name_ja, added_at FROM police_numbers ORDER BY id")
        return [self._entry(r["number"], r["kind"], r["name_ja"], r["added_at"]) for r in found]

    @guarded
    def add_police_number(self, number: str, name_ja: str, kind: str = "station") -> PoliceEntry:
        """Add (or rename) a number to warn about; ValueError (PoliceDataError) says what is wrong."""
        if kind not in HOUSEHOLD_KINDS:
            raise ValueError(f"kind must be one of {', '.join(HOUSEHOLD_KINDS)}")
        values = {"kind": kind, "name_ja": rows.text(name_ja) or "", "number": rows.text(number) or ""}
        entry = make_entry(values)
        with self._write() as conn:
            conn.execute(
                "INSERT INTO police_numbers (number, kind, name_ja, added_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (number) DO UPDATE SET kind = excluded.kind, name_ja = excluded.name_ja",
                (entry.number, entry.kind, entry.name_ja, rows.now_utc()),
            )
        return self._entry(entry.number, entry.kind, entry.name_ja, rows.now_utc())

    @guarded
    def remove_police_number(self, number: str) -> bool:
        digits = normalise(rows.text(number) or "", "JP").national_digits or ""
        with self._write() as conn:
            return conn.execute("DELETE FROM police_numbers WHERE number = ?", (digits,)).rowcount > 0

    @staticmethod
    def _entry(number: str, kind: str, name_ja: str, added_at: str) -> PoliceEntry:
        entry = make_entry({"kind": kind, "name_ja": name_ja, "number": number})
        return PoliceEntry(
            number=entry.number, kind=entry.kind, name_ja=entry.name_ja, source="added by the household",
            confidence=HOUSEHOLD_CONFIDENCE, display=entry.display, date_seen=(added_at or "")[:10],
        )
