"""Website benchmark: page weight and server time (first byte) of /, /history and the log with 10,000 calls.

The same as `callerid bench web`; see callerid/benchmarks/web.py for what it measures.
    python bench/web.py [--quick]
"""

from __future__ import annotations

import argparse
import sys

from callerid.benchmarks import web


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    web.add_arguments(parser)
    return web.run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
