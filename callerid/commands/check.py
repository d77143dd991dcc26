"""`callerid check NUMBER... [--json] [--file F]`: the verdict for each number, as the appliance decides it.

Numbers come as arguments and/or one per line from a file (`-` reads stdin), in any shape a
display or a person might write (`03-3581-4321`, `+81 3 3581 4321`, `０３…`, `P`). The
police directory, the configuration and the family's lists are loaded once, so checking a
few thousand numbers costs a fraction of a second. `--json` prints DESIGN.md's object per
input, in input order, as each is decided; without it, an aligned table.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from callerid.cli import CommandError
from callerid.commands._common import load_config_or_fail
from callerid.config import ConfigError, screen_config
from callerid.screen.engine import screen_display
from callerid.screen.lists import FamilyLists
from callerid.screen.police import PoliceEntry
from callerid.store import Store
from callerid.terminal import clip, json_line, printable
from callerid.terminal import width as _width

if TYPE_CHECKING:
    from callerid.model import Verdict
    from callerid.screen.engine import ScreenConfig
    from callerid.screen.lists import FamilyLists

#: Widest input shown in the table (longer inputs are cut with an ellipsis; JSON keeps them whole).
INPUT_WIDTH = 24


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "numbers", nargs="*", metavar="NUMBER", help="a displayed number, or an absence code P, O, C or S"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per input, in input order")
    parser.add_argument(
        "--file",
        "-f",
        metavar="F",
        action="append",
        default=[],
        help="read one number per line from F ('-': stdin)",
    )
    parser.add_argument(
        "--lang",
        choices=("en", "ja"),
        default=None,
        help="language of the table's reasons (default: the config's)",
    )
    parser.add_argument("--no-lists", action="store_true", help="ignore the family's allow and block lists")


def run(args: argparse.Namespace) -> int:
    if not args.numbers and not args.file:
        raise CommandError("give at least one NUMBER, or --file F (one number per line; '-' for stdin)")
    for name in args.file:
        if name != "-" and not Path(name).is_file():
            problem = "is a folder" if Path(name).is_dir() else "no such file"
            raise CommandError(f"cannot read {name}: {problem}")
    config, lists, language = _settings(args)
    verdicts = (screen_display(text, lists, config) for text in _inputs(args.numbers, args.file))
    out = sys.stdout
    if args.json:
        for verdict in verdicts:
            out.write(json_line(verdict.to_json()) + "\n")  # an input's bidi override stays an escape
    else:
        out.write(render_table(list(verdicts), args.lang or language))
    out.flush()
    return 0


def _settings(args: argparse.Namespace) -> tuple[ScreenConfig, FamilyLists, str]:
    """Screening settings, the family's lists and the table language, from the configuration."""
    cfg = load_config_or_fail(args.config)
    try:
        config = screen_config(cfg)
    except ConfigError as exc:
        raise CommandError(str(exc)) from None
    if args.no_lists:
        lists = FamilyLists.empty(cfg.region)
    else:
        lists, household_police = _family_lists(Path(cfg.store.db), cfg.region)
        config = config.with_household_police(household_police)
    language = cfg.language if cfg.language in ("en", "ja") else "en"
    return config, lists, language


def _family_lists(db: Path, region: str) -> tuple[FamilyLists, list[PoliceEntry]]:
    """The lists and the household's police numbers from the appliance's database when it exists
    (read-only; never creates it)."""
    if not db.is_file():
        return FamilyLists.empty(region), []

    try:
        store = Store(db, region=region, readonly=True)
        try:
            return store.family_lists(region), store.police_numbers()
        finally:
            store.close()
    except Exception as exc:  # noqa: BLE001 - any store failure becomes one clear line
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CommandError(f"cannot read the family lists from {db}: {message} (or use --no-lists)") from None


def _inputs(numbers: Iterable[str], files: Iterable[str]) -> Iterator[str]:
    """Arguments first, then each file's non-blank lines, in order."""
    yield from numbers
    for name in files:
        for line in _lines(name):
            text = line.strip()
            if text:
                yield text


def _lines(name: str) -> Iterator[str]:
    """A file's (or stdin's) lines as text: UTF-8, a BOM dropped, undecodable bytes replaced."""
    if name == "-":
        buffer = getattr(sys.stdin, "buffer", None)
        if buffer is None:  # a text-only stdin (tests, embedding): read it as it is
            yield from sys.stdin
            return
        wrapper = io.TextIOWrapper(buffer, encoding="utf-8-sig", errors="replace")
        try:
            yield from wrapper
        finally:
            wrapper.detach()  # leave stdin itself open
        return
    try:
        stream = open(name, encoding="utf-8-sig", errors="replace")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise CommandError(f"cannot read {name}: {exc.strerror or exc}") from None
    with stream:
        yield from stream


# ---------------------------------------------------------------------------------------------
# The table


def _fit(text: str, width: int) -> str:
    return clip(printable(text), width)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def render_table(verdicts: list[Verdict], lang: str = "en") -> str:
    """An aligned table: input, verdict, risk, action, display, and the main reason."""
    header = ("INPUT", "VERDICT", "RISK", "ACTION", "DISPLAY", "REASON")
    rows = []
    for v in verdicts:
        main = v.reasons[0] if v.reasons else None
        reason = "" if main is None else (main.detail_ja if lang == "ja" and main.detail_ja else main.detail)
        rows.append(
            (
                _fit(v.input, INPUT_WIDTH),
                v.verdict,
                str(v.risk),
                v.action,
                _fit(v.display, INPUT_WIDTH),
                printable(reason),
            )
        )
    widths = [max(_width(row[i]) for row in (header, *rows)) for i in range(len(header) - 1)]
    lines = []
    for row in (header, *rows):
        cells = [
            _pad(cell, widths[i]) if i != 2 else cell.rjust(widths[i]) for i, cell in enumerate(row[:-1])
        ]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines) + "\n"
