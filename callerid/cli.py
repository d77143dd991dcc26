"""The `callerid` command line: one dispatcher, one module per command.

Each command lives in `callerid/commands/<name>.py` and exposes
`add_arguments(parser)` and `run(args) -> int`. Modules are imported only for
the command being run, so `callerid check` never pays for numpy or Flask and
start-up stays quick on a Pi Zero 2 W.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from callerid import __version__

#: command name -> (module, one-line help). The names and flags are the stable CLI of DESIGN.md.
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("callerid.commands.demo", "the whole appliance against a simulated modem"),
    "run": ("callerid.commands.run", "run the appliance on real hardware"),
    "parse": ("callerid.commands.parse", "raw modem output to one JSON object per caller-ID record"),
    "decode-audio": ("callerid.commands.decode_audio", "FSK caller-ID audio to JSON records"),
    "check": ("callerid.commands.check", "the verdict for each number"),
    "say": ("callerid.commands.say", "speak or render a sentence with the configured voice"),
    "alert-test": ("callerid.commands.alert_test", "play each warning and light pattern once"),
    "log": ("callerid.commands.log", "the call log"),
    "list": ("callerid.commands.lists", "the family's allow and block lists"),
    "modem": ("callerid.commands.modem", "find and identify the modem"),
    "web": ("callerid.commands.web", "the family review site alone"),
    "passwd": ("callerid.commands.passwd", "set the family website password (reads stdin)"),
    "fleet": ("callerid.commands.fleet", "many homes on one MQTT broker: shared lists, watch, web"),
    "bench": ("callerid.commands.bench", "latency, throughput and detection figures"),
}


class CommandError(Exception):
    """A user-facing failure: printed as one line on stderr, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports errors in one line and exits 2, like every other failure."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def add_common_options(parser: argparse.ArgumentParser, *, top: bool = False) -> None:
    """The options every command and sub-command takes (DESIGN.md: `--config PATH`).

    Only the top-level parser sets a default: a sub-command's default would silently
    overwrite `callerid --config X check ...`, so below the top it is left unset.
    """
    parser.add_argument(
        "--config",
        metavar="PATH",
        default=None if top else argparse.SUPPRESS,
        help="TOML configuration file (default: /etc/callerid/config.toml if present)",
    )


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Build the parser; with `only`, import just that command's module."""
    parser = _Parser(prog="callerid", description="Caller-ID screening against fake-police phone fraud.")
    parser.add_argument("--version", action="version", version=f"callerid {__version__}")
    add_common_options(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (module_name, help_text) in COMMANDS.items():
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        add_common_options(cmd)
        if only == name:
            _load(module_name).add_arguments(cmd)
    return parser


def _load(module_name: str):  # noqa: ANN202 - returns a command module
    return importlib.import_module(module_name)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if a in COMMANDS), None)
    parser = build_parser(only=command)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    module = _load(COMMANDS[args.command][0])
    try:
        return int(module.run(args) or 0)
    except CommandError as exc:
        print(f"callerid {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `callerid log | head` closes the pipe early: not an error worth a traceback.
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
