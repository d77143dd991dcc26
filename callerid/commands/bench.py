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
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"one or more of {', '.join(BENCHMARKS)}")
    parser.add_argument("--quick", action="store_true", help="fewer iterations, for a smoke run")
    parser.add_argument("--homes", type=int, default=None, metavar="N",
                        help="fleet: simulated homes (default 1000; 100 with --quick)")


def run(args: argparse.Namespace) -> int:
    names = args.names or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        raise CommandError(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(BENCHMARKS)}")
    status = 0
    for name in names:
        module = importlib.import_module(BENCHMARKS[name])
        print(f"== {name}")
        status |= int(module.run(args) or 0)
    return status
