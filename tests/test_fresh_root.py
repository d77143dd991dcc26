"""From nothing to a green `make test` on Debian 13 and 12, as a new user would go (issue 17).

Each case builds a fresh minimal root with mmdebstrap (only python3, make and git), copies this
checkout in and runs `make setup`, `make demo` and `make test` inside it (scripts/fresh-root-test.sh).
Tens of minutes per suite and it downloads packages, so it is deselected by default: run it with
`pytest -m fresh_root tests/test_fresh_root.py` or `make test-fresh-root`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "fresh-root-test.sh"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.fresh_root,
    pytest.mark.skipif(os.geteuid() != 0, reason="mmdebstrap and chroot need root"),
    pytest.mark.skipif(shutil.which("mmdebstrap") is None,
                       reason="mmdebstrap not installed (make test-fresh-root installs it)"),
]


@pytest.mark.timeout(5400)
@pytest.mark.parametrize("suite", ["trixie", "bookworm"])
def test_make_demo_and_make_test_pass_in_a_fresh_minimal_root(tmp_path: Path, suite: str) -> None:
    result = subprocess.run([str(SCRIPT), suite], capture_output=True, text=True, timeout=5300,
                            env=dict(os.environ, WORK=str(tmp_path)))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert f"Debian {suite}: make setup, make demo and make test passed" in output
    assert re.search(r"^=+ .*\d+ passed", output, re.M), output[-3000:]
    # Every tool a test calls is in debian-packages.txt: no test may skip for a missing one.
    missing_tool = [line for line in output.splitlines() if line.startswith("SKIPPED")
                    and re.search(r"not installed|missing|not available|not found", line)]
    assert missing_tool == []
