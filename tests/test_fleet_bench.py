"""`callerid bench fleet` with a few homes: every figure printed, every list applied, no event lost."""

from __future__ import annotations

import argparse
import re

from callerid.benchmarks import fleet
from tests.fleet_support import needs_mosquitto


@needs_mosquitto
def test_bench_fleet_with_a_few_homes(capsys):
    assert fleet.run(argparse.Namespace(quick=True, homes=12)) == 0
    out = capsys.readouterr().out
    assert "delivered to 12/12 homes" in out and "applied by 12/12" in out
    assert re.search(r"p50 [\d.]+ s, p99 [\d.]+ s, slowest [\d.]+ s", out)
    assert re.search(r"[\d,]+ events/s", out)
    restart = re.search(r"received (\d+)/(\d+), lost (\d+), repeats \d+, still queued (\d+)", out)
    assert restart is not None, out
    received, total, lost, queued = map(int, restart.groups())
    assert total == 24 and received == total and lost == 0 and queued == 0
