"""`callerid decode-audio [--json] [--standard ...] FILE.wav...`: caller ID from FSK recordings.

Each WAV file (any rate; PCM 8 to 32-bit, float, μ-law, A-law, IMA/MS ADPCM through libsndfile;
the first channel of a stereo file) is demodulated in blocks (an hour-long
recording costs little memory) and every caller-ID message in it is printed: a readable line, or
with --json one object per message in the `parse` shape plus "file". The standard (Bell 202,
V.23/ETSI, NTT Number Display) is detected per burst unless --standard fixes it (a forced
standard is believed: a Bell 202 burst read with --standard v23 may still decode, as ETSI).

Exit status: 0 when every file was read and at least one message found, 1 when the files were
read but held no caller ID (as grep does), 2 when a file could not be read (the others are
still decoded; each failure is one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from callerid.decode import fsk
from callerid.model import Absence, CallerID
from callerid.wavfile import WavError, iter_wav, wav_info

STANDARDS = ("auto", "bell202", "v23", "ntt")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE.wav", help="recordings to decode")
    parser.add_argument(
        "--json", action="store_true", help="one JSON object per message (the parse shape plus file)"
    )
    parser.add_argument(
        "--standard",
        choices=STANDARDS,
        default="auto",
        help="bell202 (North America), v23 (ETSI, 8N1), ntt (Japan, 7E1); default: detect per burst",
    )


def describe(path: str, start: float, standard: str, caller: CallerID) -> str:
    """One readable line for a decoded message."""
    parts = [f"{path} {start:.2f}s {standard} {caller.format}:"]
    if caller.number:
        parts.append(f"number {caller.number}")
    elif caller.absence:
        parts.append(f"no number ({caller.absence}: {Absence.word_for(caller.absence, 'unknown')})")
    else:
        parts.append("no number")
    if caller.name:
        parts.append(f"name {caller.name!r}")
    if caller.date:
        parts.append(f"date {caller.date[:2]}-{caller.date[2:]}")
    if caller.time:
        parts.append(f"time {caller.time[:2]}:{caller.time[2:]}")
    if caller.checksum_ok is False:
        parts.append("(checksum bad)")
    return " ".join(parts)


def decode_file(path: str, standard: str, out: TextIO, as_json: bool) -> int:
    """Print every message in one file; returns how many were found. Raises WavError."""
    info = wav_info(path)
    if info.rate < fsk.MIN_RATE:
        raise WavError(f"{path}: {info.rate} Hz is too low a rate for caller-ID FSK (need {fsk.MIN_RATE})")
    found = 0
    for burst, caller in fsk.decode_stream(iter_wav(path), info.rate, standard):
        found += 1
        if as_json:
            record = caller.to_json()
            record["file"] = path
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            out.write(describe(path, burst.start, burst.standard, caller) + "\n")
        out.flush()
    return found


def run(args: argparse.Namespace) -> int:
    failed = False
    total = 0
    for path in args.files:
        try:
            found = decode_file(path, args.standard, sys.stdout, args.json)
        except WavError as exc:
            print(f"callerid decode-audio: {exc}", file=sys.stderr)
            failed = True
            continue
        total += found
        if not found:
            print(f"callerid decode-audio: {path}: no caller-ID message found", file=sys.stderr)
    if failed:
        return 2
    return 0 if total else 1
