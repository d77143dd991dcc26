"""`callerid demo`: placeholder until the appliance lands."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options yet."""


def run(args: argparse.Namespace) -> int:
    print("callerid is installed. The demo arrives with the appliance; try `callerid parse` meanwhile.")
    return 0
