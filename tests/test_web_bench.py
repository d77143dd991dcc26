"""`callerid bench web --quick` runs against the real app and prints a figure for every page.

No timing is asserted (figures are for reading, not for a test that load can break); what must hold
is that every page answered 200 to a logged-in client and each line carries its numbers.
"""

from __future__ import annotations

import argparse
import re

import pytest

from callerid.benchmarks import web


@pytest.mark.timeout(120)
def test_bench_web_quick_prints_weight_and_first_byte_for_every_page(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert web.run(argparse.Namespace(quick=True)) == 0
    out = capsys.readouterr().out
    assert "1,000 calls in the log" in out
    for path in web.PAGES:
        line = next(line for line in out.splitlines() if line.strip().startswith(path + " "))
        assert re.search(r"[\d.]+ ms +[\d.]+ ms +[\d.]+ ms +[\d.]+ KiB$", line), line
    assert "goal: / and /history under 100 ms to first byte:" in out
