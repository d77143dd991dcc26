"""Which allow-list entries would cover the police, so that the lists can refuse them.

An allow entry never lowers a police verdict (engine.py), but a family that "trusts" a police
number believes it did: the lists refuse such entries at the door, with one line saying why. An
exact number is refused when it is itself a police verdict (a known police line, the 0110 or a
sourced pattern, one digit off a police line); a prefix is refused when it covers a known police
line. A prefix is not refused for merely containing numbers that end in 0110: every prefix with four
free digits does, and the engine keeps their warning anyway.

Pure: the caller passes the canonical pattern (lists.normalise_pattern) and the screening config.
"""

from __future__ import annotations

from dataclasses import dataclass

from callerid.screen.engine import POLICE_VERDICTS, ScreenConfig, number_findings
from callerid.screen.numbers import normalise, region_facts


@dataclass(frozen=True, slots=True)
class PoliceConflict:
    """Why an allow pattern is refused, in both languages."""

    en: str
    ja: str

    def text(self, lang: str) -> str:
        return self.ja if lang == "ja" else self.en


def police_conflict(canonical: str, config: ScreenConfig) -> PoliceConflict | None:
    """The reason `canonical` (e.g. "+81335814321" or "+8133581*") must not be trusted, or None."""
    if canonical.endswith("*"):
        stem = canonical[:-1]
        for entry in config.police.entries:
            key = normalise(entry.number, config.police.country).key or ""
            if key.startswith(stem):
                return PoliceConflict(
                    en=f"{canonical} covers {entry.display}, the number of {entry.name_en}: fraudsters "
                    "display real police numbers, so it cannot be trusted",
                    ja=f"{canonical} は{entry.name_ja}の番号 {entry.display} を含みます。"
                    "詐欺犯は本物の警察の番号を表示させるため、安心な番号にはできません",
                )
        return None
    number = normalise(canonical, config.region)
    if number.international and number.country_code == region_facts(config.region)[0]:
        number = normalise(number.national_digits or "", config.region)  # judge it as the family dials it
    for found in number_findings(number, config):
        if found.verdict in POLICE_VERDICTS:
            return PoliceConflict(
                en=f"{number.display} cannot be trusted: {found.reason.detail}",
                ja=f"{number.display} は安心な番号にできません: {found.reason.detail_ja}",
            )
    return None


__all__ = ["PoliceConflict", "police_conflict"]
