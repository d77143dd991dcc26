"""Store benchmark: add_call latency (synchronous FULL and NORMAL) and the website's query times.

The same as `callerid bench store`; see callerid/benchmarks/store.py for what it measures.
    python bench/store.py [--quick] [--dir FOLDER]
"""

from __future__ import annotations

import argparse
import sys

from callerid.benchmarks import store


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    store.add_arguments(parser)
    return store.run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
