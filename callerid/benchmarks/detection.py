"""`callerid bench detection`: does screening catch fake-police numbers without crying wolf, and how fast?

Three figures, all through the real `screen()` with the packaged police directory:

- recall: every number and pattern reported in fraud-jp.md (the `x` digits filled at random,
  many variants each), every known police number in every domestic and international shape,
  every one-digit-off variant, police digits hidden inside foreign numbers, 010-prefixed
  numbers ending in 0110, and random numbers in the 0110 station pattern must get police-*;
- false alarms: random valid ordinary Japanese numbers (fixed, mobile, toll-free, IP phone;
  validity judged by phonenumbers; not ending in 0110; not one edit from a police number by
  an independent DP check), shown as digits, hyphenated or full-width, must be `ordinary`;
  absence codes and ordinary foreign numbers must get their caution verdicts;
- latency: p50/p99 of one `screen()` call, per verdict (goal: p99 under 1 ms).

The exit status is 1 when recall is below 100 % or any false alarm occurs (a correctness
failure); timing never fails the run.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
import tracemalloc
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from callerid.benchmarks.numbergen import (
    JP_KINDS,
    REPORTED_PATTERNS,
    digits,
    full_width,
    is_valid_jp,
    national_display,
    one_edit_variants,
    pattern_variants,
    random_foreign,
    random_jp_number,
    random_ordinary_jp,
)
from callerid.model import Absence, Advice, CallerID, VerdictCode
from callerid.screen.areas import area_prefixes, prefecture_of
from callerid.screen.engine import ScreenConfig, screen
from callerid.screen.lists import FamilyLists
from callerid.screen.police import (
    NATIONWIDE,
    PoliceDirectory,
    load_directory,
    packaged_entries,
    packaged_patterns,
)

SEED = 2025
LATENCY_GOAL_US = 1000.0
_FOREIGN_CODES = ("1", "44", "86", "63", "234", "670", "880", "7", "55")


def add_arguments(parser: argparse.ArgumentParser) -> None:  # pragma: no cover - no extra flags
    del parser


@dataclass
class Sizes:
    per_pattern: int = 300
    ordinary: int = 20_000
    foreign: int = 2_000
    stations: int = 500
    neighbours: int = 2_000
    pattern_cost: int = 20_000

    @classmethod
    def for_run(cls, quick: bool) -> Sizes:
        if quick:
            return cls(
                per_pattern=30, ordinary=2_000, foreign=200, stations=50, neighbours=200, pattern_cost=2_000
            )
        return cls()


@dataclass
class Report:
    recall: dict[str, tuple[int, int]] = field(default_factory=dict)  # group -> (flagged, total)
    misses: list[tuple[str, str, str]] = field(default_factory=list)  # (group, display, verdict)
    ordinary: dict[str, tuple[int, int]] = field(default_factory=dict)  # kind -> (false alarms, total)
    false_alarms: list[tuple[str, str]] = field(default_factory=list)
    caution: dict[str, tuple[int, int]] = field(default_factory=dict)  # case -> (right, total)
    caution_misses: list[tuple[str, str]] = field(default_factory=list)
    latency_ns: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    cold_ns: list[int] = field(default_factory=list)
    load_ms: float = 0.0
    directory_size: int = 0
    directory_kib: float = 0.0
    patterns: dict[str, tuple[int, int]] = field(default_factory=dict)  # pattern -> (flagged, total)
    neighbours: Counter[str] = field(default_factory=Counter)  # verdict -> count
    neighbours_blocked_one_edit: int = 0

    @property
    def flagged(self) -> int:
        return sum(f for f, _ in self.recall.values())

    @property
    def police_total(self) -> int:
        return sum(t for _, t in self.recall.values())

    @property
    def false_alarm_count(self) -> int:
        return sum(f for f, _ in self.ordinary.values())

    @property
    def ordinary_total(self) -> int:
        return sum(t for _, t in self.ordinary.values())

    @property
    def caution_wrong(self) -> int:
        return sum(t - r for r, t in self.caution.values())

    @property
    def ok(self) -> bool:
        return self.flagged == self.police_total and self.false_alarm_count == 0 and self.caution_wrong == 0


def police_groups(rng: random.Random, directory: PoliceDirectory, sizes: Sizes) -> dict[str, list[str]]:
    """Displays that must all come out police-*, by where they come from."""
    groups: dict[str, list[str]] = {}
    for pattern in REPORTED_PATTERNS:
        groups[f"reported {pattern}"] = pattern_variants(pattern, rng, sizes.per_pattern)
    domestic, international, one_off, carried, via_010 = [], [], [], [], []
    for entry in directory.entries:
        shown = entry.display
        area, _, rest = shown.partition("-")
        domestic += [entry.number, shown, f"{area}({rest.replace('-', ')', 1)}", full_width(shown)]
        nsn = entry.number[1:]
        international += [f"+81{nsn}", f"+81 {shown[1:].replace('-', ' ')}", f"+810{nsn}", f"010 81 {nsn}"]
        one_off += sorted(one_edit_variants(entry.number))
        for _ in range(max(1, sizes.per_pattern // 10)):
            body = rng.choice((entry.number, nsn))
            carried.append(f"+{rng.choice(_FOREIGN_CODES)}{digits(rng, rng.randint(0, 3))}{body}")
    for foreign in random_foreign(rng, sizes.per_pattern):
        via_010.append("010 " + foreign[1:-4] + "0110")
    stations = []
    while len(stations) < sizes.stations:
        number = random_jp_number(rng, "fixed-line")[:-4] + "0110"
        if is_valid_jp(number):
            stations.append(rng.choice((number, national_display(number))))
    groups["known numbers, domestic shapes"] = domestic
    groups["known numbers, international form"] = international
    groups["one digit off a known number"] = one_off
    groups["police digits inside foreign numbers"] = carried
    groups["010-prefixed, ending in 0110"] = via_010
    groups["0110 station pattern (random)"] = stations
    for habit in directory.patterns:
        groups[f"pattern {habit.prefecture_en} -{habit.ending} (random)"] = [
            number[: -len(habit.ending)] + habit.ending
            for number in area_numbers(rng, habit.prefecture_en, max(10, sizes.per_pattern // 3))
        ]
    return groups


def area_numbers(rng: random.Random, prefecture_en: str, count: int) -> list[str]:
    """Random valid fixed-line numbers of a prefecture's area codes (NATIONWIDE: any area)."""
    prefixes = [p for p, pref in area_prefixes().items() if prefecture_en in (NATIONWIDE, pref)]
    out: list[str] = []
    while len(out) < count:
        prefix = rng.choice(prefixes)
        number = prefix + digits(rng, 10 - len(prefix))
        in_area = prefecture_en == NATIONWIDE or prefecture_of(number) == prefecture_en
        if len(prefix) < 10 and in_area and is_valid_jp(number):
            out.append(number)
    return out


def neighbours(rng: random.Random, directory: PoliceDirectory, count: int) -> list[tuple[str, str]]:
    """(neighbour, police number): same area and exchange as a police number, other last four digits."""
    out: list[tuple[str, str]] = []
    while len(out) < count:
        entry = rng.choice(directory.entries)
        number = entry.number[:-4] + digits(rng, 4)
        if number != entry.number and is_valid_jp(number):
            out.append((number, entry.number))
    return out


@dataclass(frozen=True)
class _Case:
    section: str  # "police" | "everyday" | "caution"
    group: str
    caller: CallerID
    shown: str
    expected: str  # "police-*" or a verdict code


def _cases(rng: random.Random, directory: PoliceDirectory, sizes: Sizes) -> list[_Case]:
    police_numbers = tuple(e.number for e in directory.entries)
    cases: list[_Case] = []
    for group, displays in police_groups(rng, directory, sizes).items():
        cases += [_Case("police", group, CallerID("ntt", number=s), s, "police-*") for s in displays]
    def in_pattern(number: str) -> bool:  # the pattern rules' cost is measured apart
        return directory.pattern(number) is not None

    ordinary = random_ordinary_jp(rng, sizes.ordinary, police_numbers, excluded=in_pattern)
    for index, number in enumerate(ordinary):
        kind = JP_KINDS[index % len(JP_KINDS)]
        style = index % 3
        shown = number if style == 0 else national_display(number) if style == 1 else full_width(number)
        cases.append(_Case("everyday", kind, CallerID("ntt", number=shown), shown, VerdictCode.ORDINARY))
    expected = {
        Absence.WITHHELD: VerdictCode.WITHHELD,
        Absence.OUT_OF_AREA: VerdictCode.UNAVAILABLE,
        Absence.PAYPHONE: VerdictCode.PAYPHONE,
        Absence.SERVICE_CONFLICT: VerdictCode.UNAVAILABLE,
    }
    for code, want in expected.items():
        for _ in range(max(10, sizes.foreign // 20)):
            cases.append(
                _Case("caution", f"absence {code} -> {want}", CallerID("ntt", absence=code), code, want)
            )
    avoid = tuple(p[1:] for p in police_numbers)
    for shown in random_foreign(rng, sizes.foreign, avoid=avoid):
        group = "ordinary foreign -> international"
        cases.append(_Case("caution", group, CallerID("ntt", number=shown), shown, VerdictCode.INTERNATIONAL))
    return cases


def _time_once(case: _Case, lists: FamilyLists, config: ScreenConfig) -> tuple[str, int]:
    started = time.perf_counter_ns()
    verdict = screen(case.caller, lists, config)
    return verdict.verdict, time.perf_counter_ns() - started


def measure(quick: bool = False, seed: int = SEED, sizes: Sizes | None = None, repeats: int = 3) -> Report:
    """Run every population through `screen()`: once cold (judged), then `repeats` times warm (timed)."""
    sizes = sizes or Sizes.for_run(quick)
    rng = random.Random(seed)
    report = Report()
    started = time.perf_counter()
    directory = load_directory()  # what the appliance does at start-up (also preloads number metadata)
    report.load_ms = (time.perf_counter() - started) * 1000
    report.directory_size = len(directory)
    tracemalloc.start()
    PoliceDirectory.build(packaged_entries(), patterns=packaged_patterns())  # what it holds, built anew
    report.directory_kib = tracemalloc.get_traced_memory()[0] / 1024
    tracemalloc.stop()
    config = ScreenConfig(police=directory)
    lists = FamilyLists.empty()
    cases = _cases(rng, directory, sizes)

    recall: dict[str, list[int]] = {}
    ordinary: dict[str, list[int]] = {kind: [0, 0] for kind in JP_KINDS}
    caution: dict[str, list[int]] = {}
    verdicts: list[str] = []
    gc.collect()
    gc.disable()  # a collection pause is not screening time
    try:
        for case in cases:  # the cold pass: first sight of every number, and the verdicts we judge
            verdict, elapsed = _time_once(case, lists, config)
            verdicts.append(verdict)
            report.cold_ns.append(elapsed)
            right = verdict.startswith("police-") if case.expected == "police-*" else verdict == case.expected
            if case.section == "police":
                tally = recall.setdefault(case.group, [0, 0])
                tally[0] += right
                tally[1] += 1
                if not right:
                    report.misses.append((case.group, case.shown, verdict))
            elif case.section == "everyday":
                ordinary[case.group][0] += not right
                ordinary[case.group][1] += 1
                if not right:
                    report.false_alarms.append((case.shown, verdict))
            else:
                tally = caution.setdefault(case.group, [0, 0])
                tally[0] += right
                tally[1] += 1
                if not right:
                    report.caution_misses.append((case.shown, verdict))
        for case, verdict in zip(cases, verdicts, strict=True):  # warm: median of `repeats` calls each
            times = sorted(_time_once(case, lists, config)[1] for _ in range(repeats))
            report.latency_ns[verdict].append(times[len(times) // 2])
    finally:
        gc.enable()
    for habit in directory.patterns:  # what each pattern costs: random numbers of its areas it flags
        sample = area_numbers(rng, habit.prefecture_en, sizes.pattern_cost)
        flagged = sum(directory.pattern(n) is habit for n in sample)
        report.patterns[f"{habit.prefecture_en} -{habit.ending}"] = (flagged, len(sample))
    police_variants = {e.number: one_edit_variants(e.number) for e in directory.entries}
    for number, police in neighbours(rng, directory, sizes.neighbours):
        verdict = screen(CallerID("ntt", number=number), lists, config)
        report.neighbours[verdict.verdict] += 1
        if verdict.action == Advice.BLOCK and number in police_variants[police]:
            report.neighbours_blocked_one_edit += 1
    report.recall = {group: (flagged, total) for group, (flagged, total) in recall.items()}
    report.ordinary = {kind: (bad, total) for kind, (bad, total) in ordinary.items()}
    report.caution = {group: (right, total) for group, (right, total) in caution.items()}
    return report


def _percentile(values: Sequence[int], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index] / 1000.0


def format_report(report: Report, quick: bool, seed: int) -> str:
    lines = [f"detection benchmark ({'quick' if quick else 'full'} run, seed {seed})"]
    lines.append(
        f"police directory: {report.directory_size} numbers, {len(report.patterns)} patterns, loaded in "
        f"{report.load_ms:.1f} ms, {report.directory_kib:.0f} KiB (tracemalloc, indexes included)"
    )
    lines.append("")
    lines.append("recall: displays that must get a police-* verdict")
    width = max(len(g) for g in report.recall) + 2
    for group, (flagged, total) in report.recall.items():
        lines.append(f"  {group:<{width}} {flagged:>6}/{total:<6} {100 * flagged / max(total, 1):6.1f} %")
    total = report.police_total
    lines.append(
        f"  {'all':<{width}} {report.flagged:>6}/{total:<6} {100 * report.flagged / max(total, 1):6.1f} %"
    )
    for group, shown, verdict in report.misses[:10]:
        lines.append(f"  MISSED  {shown!r} ({group}) -> {verdict}")
    lines.append("")
    lines.append("false alarms: random valid ordinary Japanese numbers that must stay `ordinary`")
    for kind, (bad, count) in report.ordinary.items():
        lines.append(f"  {kind:<{width}} {bad:>6} of {count}")
    rate = 100 * report.false_alarm_count / max(report.ordinary_total, 1)
    lines.append(
        f"  {'all':<{width}} {report.false_alarm_count:>6} of {report.ordinary_total} ({rate:.3f} %)"
    )
    for shown, verdict in report.false_alarms[:10]:
        lines.append(f"  FALSE ALARM  {shown!r} -> {verdict}")
    lines.append("")
    lines.append("pattern rules: what each costs on random valid numbers of its areas (police-number, warn)")
    for name, (flagged, count) in report.patterns.items():
        lines.append(f"  {name:<{width}} {flagged:>6} of {count} ({100 * flagged / max(count, 1):.3f} %)")
    lines.append("")
    blocking = (VerdictCode.POLICE_LOOKALIKE, VerdictCode.BLOCKLISTED)
    blocked = sum(n for v, n in report.neighbours.items() if v in blocking)
    lines.append(
        f"neighbours: {sum(report.neighbours.values())} numbers with a police number's area and exchange,"
        " other last four digits"
    )
    for verdict, count in report.neighbours.most_common():
        lines.append(f"  {verdict:<{width}} {count:>6}")
    lines.append(
        f"  blocked {blocked}, of which one edit from the police number: {report.neighbours_blocked_one_edit}"
    )
    lines.append("")
    lines.append("caution verdicts")
    for case, (right, count) in report.caution.items():
        lines.append(f"  {case:<{width}} {right:>6}/{count}")
    for shown, verdict in report.caution_misses[:10]:
        lines.append(f"  WRONG  {shown!r} -> {verdict}")
    lines.append("")
    lines.append(
        "latency of one screen() call, microseconds (per verdict: median of 3 warm calls per number)"
    )
    lines.append(f"  {'verdict':<18} {'calls':>7} {'p50':>8} {'p99':>8} {'max':>8}")
    everything: list[int] = []
    for verdict, values in sorted(report.latency_ns.items(), key=lambda kv: -len(kv[1])):
        everything += values
        p50, p99 = _percentile(values, 0.5), _percentile(values, 0.99)
        lines.append(f"  {verdict:<18} {len(values):>7} {p50:>8.1f} {p99:>8.1f} {max(values) / 1000:>8.1f}")
    p99 = _percentile(everything, 0.99)
    lines.append(
        f"  {'all':<18} {len(everything):>7} {_percentile(everything, 0.5):>8.1f} {p99:>8.1f}"
        f" {max(everything, default=0) / 1000:>8.1f}"
    )
    cold = report.cold_ns
    lines.append(
        f"  {'first sight':<18} {len(cold):>7} {_percentile(cold, 0.5):>8.1f} {_percentile(cold, 0.99):>8.1f}"
        f" {max(cold, default=0) / 1000:>8.1f}   (each number's first call, one shot)"
    )
    mean = statistics.fmean(everything) / 1000 if everything else 0.0
    verdict_goal = "met" if p99 < LATENCY_GOAL_US else "NOT met"
    lines.append(f"  mean {mean:.1f} us; goal p99 < {LATENCY_GOAL_US:.0f} us: {verdict_goal}")
    counts = Counter({k: len(v) for k, v in report.latency_ns.items()})
    lines.append(f"  verdicts seen: {', '.join(f'{k} {n}' for k, n in counts.most_common())}")
    lines.append("")
    lines.append("result: " + ("OK" if report.ok else "DETECTION FAILURES (see above)"))
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    quick = bool(getattr(args, "quick", False))
    seed = int(getattr(args, "seed", SEED) or SEED)
    report = measure(quick=quick, seed=seed)
    print(format_report(report, quick, seed), end="")
    return 0 if report.ok else 1


__all__ = ["Report", "Sizes", "format_report", "measure", "police_groups", "run"]
