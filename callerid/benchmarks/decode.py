"""`callerid bench decode`: records per second through each decoder.

A phone line delivers at most one caller-ID record per ring cycle (North America: 6 s; Japan's
Number Display: one per call, a few seconds of CAR first), so anything above a few records per
second is enough; these figures show how much headroom a Pi Zero 2 W has for garbage and bursts.
Every run checks that each record came back, so a fast but wrong decoder cannot look good.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable

from callerid.decode import mdmf, ntt
from callerid.decode.stream import CallerIDStream
from callerid.model import CallerID
from callerid.transmit.encode import encode_etsi, encode_mdmf, encode_ntt, encode_sdmf, format_text

#: The fastest a line can deliver records: one per ring cycle of ~4 s (a generous upper bound).
LINE_RECORDS_PER_SECOND = 0.25
NOISE = [b"OK\r\n", b"\r\n", b"AT+VCID=1\r\r\nOK\r\n", b"\xff\xfe\r\n", b"NO CARRIER\r\n"]


def add_arguments(parser: argparse.ArgumentParser) -> None:  # pragma: no cover - no extra flags
    del parser


def _callers(count: int, seed: int = 1125) -> list[CallerID]:
    rnd = random.Random(seed)
    out = []
    for _ in range(count):
        withheld = rnd.random() < 0.2
        number = (
            None if withheld else "0" + "".join(rnd.choice("0123456789") for _ in range(rnd.randint(9, 10)))
        )
        out.append(
            CallerID(
                "text",
                number=number,
                absence="P" if withheld else None,
                name=None
                if withheld
                else rnd.choice(["SATO HANAKO", "TANAKA TARO", "Cell Phone   NH", "ACME"]),
                date=f"{rnd.randint(1, 12):02d}{rnd.randint(1, 28):02d}",
                time=f"{rnd.randint(0, 23):02d}{rnd.randint(0, 59):02d}",
            )
        )
    return out


def _timed(label: str, count: int, work: Callable[[], int], repeats: int) -> tuple[float, bool]:
    """Best of `repeats` runs; returns (records per second, all records came back)."""
    best, got = float("inf"), 0
    for _ in range(repeats):
        started = time.perf_counter()
        got = work()
        best = min(best, time.perf_counter() - started)
    rate = count / best if best > 0 else float("inf")
    ok = got == count
    note = "" if ok else f"  MISMATCH: {got} of {count} records decoded"
    print(
        f"  {label:<38} {rate:>12,.0f} records/s  ({best * 1e6 / count:7.1f} us each, "
        f"{rate / LINE_RECORDS_PER_SECOND:,.0f}x a phone line){note}"
    )
    return rate, ok


def _stream_records(data: bytes, chunk: int) -> int:
    stream = CallerIDStream()
    found = 0
    for pos in range(0, len(data), chunk):
        found += len(stream.feed(data[pos : pos + chunk], 0.0))
    return found + len(stream.flush())


def run(args: argparse.Namespace) -> int:
    count = 2000 if getattr(args, "quick", False) else 20000
    repeats = 1 if getattr(args, "quick", False) else 3
    callers = _callers(count)
    rnd = random.Random(7)

    styles = ("spaced", "compact", "oneline")
    transcript = [
        b"RING\r\n" + rnd.choice(NOISE) + format_text(c, styles[i % 3]).encode() + b"RING\r\n"
        for i, c in enumerate(callers)
    ]
    text, small = b"".join(transcript), b"".join(transcript[: count // 10])
    encoders = (
        lambda c: encode_sdmf(c.number, c.date, c.time, c.absence),
        encode_mdmf,
        encode_etsi,
        encode_ntt,
    )
    hex_lines = b"".join(encoders[i % 4](c).hex().upper().encode() + b"\r\n" for i, c in enumerate(callers))
    messages = [encode_mdmf(c) for c in callers]
    frames = [encode_ntt(c) for c in callers]
    ntt_stream = b"".join(
        f + bytes(rnd.randrange(0x20, 0x7F) for _ in range(rnd.randint(0, 8))) for f in frames
    )

    print(f"decoder throughput, {count} records, best of {repeats}:")
    results = [
        _timed("text stream (4 KiB chunks, noise)", count, lambda: _stream_records(text, 4096), repeats),
        _timed("text stream (1-byte chunks)", count // 10, lambda: _stream_records(small, 1), 1),
        _timed("hex lines (SDMF/MDMF/ETSI/NTT)", count, lambda: _stream_records(hex_lines, 4096), repeats),
        _timed(
            "mdmf.decode_message",
            count,
            lambda: sum(mdmf.decode_message(m) is not None for m in messages),
            repeats,
        ),
        _timed(
            "ntt.decode_frame", count, lambda: sum(ntt.decode_frame(f) is not None for f in frames), repeats
        ),
        _timed("ntt.find_frames (frames + junk)", count, lambda: len(ntt.find_frames(ntt_stream)), repeats),
    ]
    slowest = min(rate for rate, _ in results)
    print(f"  slowest path: {slowest:,.0f} records/s; a phone line needs at most {LINE_RECORDS_PER_SECOND}/s")
    return 0 if all(ok for _, ok in results) else 1
