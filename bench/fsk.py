"""FSK benchmark: caller-ID decoding under white noise and on a real line, ours beside spandsp and minimodem.

The same as `callerid bench fsk`; see callerid/benchmarks/fsk.py for the method.
    python bench/fsk.py [--quick] [--seed N]
"""

from __future__ import annotations

import argparse
import sys

from callerid.benchmarks import fsk


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 messages per cell instead of 200")
    parser.add_argument("--seed", type=int, default=fsk.SEED, help="random seed (default: %(default)s)")
    return fsk.run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
