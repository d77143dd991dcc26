"""`callerid parse [FILE] [--format ...]`: raw modem output to one JSON object per caller-ID record.

Reads FILE (or stdin) as bytes and feeds it through the same `CallerIDStream` the appliance uses,
so what `parse` prints is what the appliance would have seen. Records are printed as soon as they
complete; reading a live device (`callerid parse /dev/ttyACM0`) therefore works too, with the
quiet time completing records that have no NAME line.
"""

from __future__ import annotations

import argparse
import math
import os
import select
import sys
import time
from typing import BinaryIO

from callerid.cli import CommandError
from callerid.decode.stream import CallerIDStream
from callerid.model import FORMATS
from callerid.terminal import json_line

CHUNK = 65536

#: Longest quiet time accepted: an hour is already far beyond any line's gap between fields.
MAX_QUIET_SECONDS = 3600.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", nargs="?", metavar="FILE", help="modem output to read (default: stdin)")
    parser.add_argument(
        "--format",
        choices=("auto", *FORMATS),
        default="auto",
        help="decode every line as this kind instead of detecting it per line (default: auto)",
    )
    parser.add_argument(
        "--quiet-seconds",
        type=float,
        default=1.5,
        metavar="S",
        help="complete a record without NAME after this long without a new field (live input)",
    )


def _open(path: str | None) -> BinaryIO:
    if path is None or path == "-":
        return sys.stdin.buffer
    if os.path.isdir(path):
        raise CommandError(f"cannot read {path}: is a directory")
    try:
        return open(path, "rb")  # noqa: SIM115 - closed by run()
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from None


def _emit(records: list, out) -> None:  # noqa: ANN001 - CallerID list, text stream
    for record in records:
        out.write(json_line(record.to_json()) + "\n")  # the caller's name must not drive the terminal
    if records:
        out.flush()


def run(args: argparse.Namespace) -> int:
    if not (math.isfinite(args.quiet_seconds) and 0 < args.quiet_seconds <= MAX_QUIET_SECONDS):
        raise CommandError(f"--quiet-seconds must be more than 0 and at most {MAX_QUIET_SECONDS:g}")
    stream = CallerIDStream(
        quiet_seconds=args.quiet_seconds, force_format=None if args.format == "auto" else args.format
    )
    source = _open(args.file)
    out = sys.stdout
    try:
        try:
            fd = source.fileno()
        except (OSError, ValueError, AttributeError):  # a stream with no descriptor (tests, wrappers)
            _emit(stream.feed(source.read(), time.monotonic()), out)
            fd = None
        while fd is not None:
            deadline = stream.deadline()
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([fd], [], [], timeout)
            now = time.monotonic()
            if not ready:
                _emit(stream.poll(now), out)
                continue
            chunk = os.read(fd, CHUNK)
            if not chunk:
                break
            _emit(stream.feed(chunk, now), out)
        _emit(stream.flush(), out)
    except OSError as exc:
        raise CommandError(f"cannot read {args.file or 'stdin'}: {exc.strerror or exc}") from None
    finally:
        if source is not sys.stdin.buffer:
            source.close()
    return 0
