"""`callerid bench soak`: memory of the running appliance over many calls (issue 14.11)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from callerid.benchmarks.soak import SAMPLE_EVERY, slope_per_1000, soak
from callerid.cli import main


def test_slope_is_megabytes_per_thousand_calls() -> None:
    assert slope_per_1000([(1000, 30.0), (2000, 30.5), (3000, 31.0)]) == pytest.approx(0.5)
    assert slope_per_1000([(1000, 30.0), (2000, 30.0)]) == 0.0


def test_soak_refuses_fewer_calls_than_one_sample(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "soak", "--calls", "10"]) == 2
    assert "at least 1000" in capsys.readouterr().err


#: Minutes long: run with CALLERID_LONG_TESTS=1 (the default suite runs the short version).
LONG = pytest.mark.skipif(not os.environ.get("CALLERID_LONG_TESTS"), reason="set CALLERID_LONG_TESTS=1")


@pytest.mark.slow
@LONG
@pytest.mark.timeout(600)
def test_a_short_soak_logs_every_call_and_samples_memory(tmp_path: Path) -> None:
    samples = soak(tmp_path, SAMPLE_EVERY, progress=False)
    assert [n for n, _ in samples] == [0, SAMPLE_EVERY]
    assert all(10 < mb < 200 for _, mb in samples)
