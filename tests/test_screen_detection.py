"""The detection benchmark's correctness half, small: full recall, no false alarms, right cautions."""

from __future__ import annotations

import argparse
from dataclasses import replace

from callerid.benchmarks import detection
from callerid.benchmarks.numbergen import REPORTED_PATTERNS


def test_small_detection_run_is_perfect() -> None:
    sizes = detection.Sizes(per_pattern=10, ordinary=400, foreign=60, stations=20)
    report = detection.measure(seed=11, sizes=sizes, repeats=1)
    assert report.misses == [] and report.false_alarms == [] and report.caution_misses == []
    assert report.ok
    assert all(f"reported {p}" in report.recall for p in REPORTED_PATTERNS)
    assert report.ordinary_total == 400 and set(report.ordinary) == {
        "fixed-line",
        "mobile",
        "toll-free",
        "ip-phone",
    }
    assert report.police_total > 3000  # every one-digit-off variant of every known number is in
    text = detection.format_report(report, quick=True, seed=11)
    assert "100.0 %" in text and "0 of 400" in text and "p99" in text and "result: OK" in text


def test_a_detection_failure_is_reported_and_fails_the_run(monkeypatch) -> None:
    real = detection.screen

    def blind(caller, lists, config):  # a screen that misses one reported number
        verdict = real(caller, lists, config)
        return replace(verdict, verdict="international") if caller.number == "+8014190110" else verdict

    monkeypatch.setattr(detection, "screen", blind)
    sizes = detection.Sizes(per_pattern=2, ordinary=20, foreign=5, stations=2)
    report = detection.measure(seed=3, sizes=sizes, repeats=1)
    assert not report.ok and report.misses[0][1] == "+8014190110"
    assert "MISSED" in detection.format_report(report, quick=True, seed=3)


def test_bench_entry_point_quick(capsys, monkeypatch) -> None:
    monkeypatch.setattr(detection.Sizes, "for_run", classmethod(lambda cls, quick: cls(5, 100, 20, 5)))
    assert detection.run(argparse.Namespace(quick=True)) == 0
    assert "detection benchmark (quick run" in capsys.readouterr().out
