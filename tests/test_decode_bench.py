"""`callerid bench decode --quick` runs, prints a figure per decoder and finds every record."""

from __future__ import annotations

import argparse
import re

import pytest

from callerid.benchmarks import decode


def test_bench_decode_quick(capsys: pytest.CaptureFixture[str]) -> None:
    assert decode.run(argparse.Namespace(quick=True)) == 0
    out = capsys.readouterr().out
    rates = [float(x.replace(",", "")) for x in re.findall(r"([\d,]+) records/s", out)]
    assert len(rates) >= 6 and all(rate > decode.LINE_RECORDS_PER_SECOND for rate in rates)
    assert "MISMATCH" not in out
