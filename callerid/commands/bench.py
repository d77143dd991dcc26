"""`callerid bench [NAME...]`: print latency, throughput and detection figures."""

from __future__ import annotations

import argparse
import importlib

from callerid.cli import CommandError

#: benchmark name -> module in callerid.benchmarks; run in this order when no name is given.
BENCHMARKS = {
    "decode": "callerid.benchmarks.decode",
    "detection": "callerid.benchmarks.detection",
    "latency": "callerid.benchmarks.latency",
    "fsk": "callerid.benchmarks.fsk",
    "store": "callerid.benchmarks.store",
    "fleet": "callerid.benchmarks.fleet",
    "web": "callerid.benchmarks.web",
    "soak": "callerid.benchmarks.soak",
}
#: Run only when named: minutes long.
ON_REQUEST = frozenset({"soak"})


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"one or more of {', '.join(BENCHMARKS)}")
    parser.add_argument("--quick", action="store_true", help="fewer iterations, for a smoke run")
    parser.add_argument("--homes", type=int, default=None, metavar="N",
                        help="fleet: simulated homes (default 1000; 100 with --quick)")
    parser.add_argument("--calls", type=int, metavar="N",
                        help="soak: calls to place (default 10000; e.g. 100000 for the long run)")


def run(args: argparse.Namespace) -> int:
    names = args.names or [n for n in BENCHMARKS if n not in ON_REQUEST]
    if args.calls is not None and args.calls < 1000:
        raise CommandError("--calls must be at least 1000 (memory is sampled every 1,000 calls)")
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        raise CommandError(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(BENCHMARKS)}")
    status = 0
    for name in names:
        module = importlib.import_module(BENCHMARKS[name])
        print(f"== {name}")
        status |= int(module.run(args) or 0)
    return status
