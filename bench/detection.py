"""Detection benchmark: recall on fake-police numbers, false alarms on ordinary ones, screen() latency.

The same as `callerid bench detection`; see callerid/benchmarks/detection.py for what it measures.
    python bench/detection.py [--quick] [--seed N]
"""

from __future__ import annotations

import argparse
import sys

from callerid.benchmarks import detection


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer numbers, for a smoke run")
    parser.add_argument("--seed", type=int, default=detection.SEED, help="random seed (default: %(default)s)")
    return detection.run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
