"""`callerid bench store`: how long logging a call takes, and how fast the website's queries are.

add_call is timed end to end (build the row, BEGIN IMMEDIATE, INSERT, COMMIT with the WAL fsync)
on a real file in the temp folder (or --dir: use the disk the log lives on), with
synchronous=FULL (what the appliance uses) and NORMAL for comparison. Then the log is filled to
a realistic size and the website's filters are timed.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from callerid.model import Action, Advice, CallerID, CallRecord, Reason, ReasonCode, Verdict, VerdictCode
from callerid.store import Store
from callerid.store.rows import INSERT_CALL, call_row


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _record(i: int):  # noqa: ANN202 - a CallRecord
    number = f"03{i % 100_000_000:08d}"
    caller = CallerID("mdmf", number, f"CALLER {i}", None, None, "1125", "0930", True, bytes(40))
    flagged = i % 10 == 0
    verdict = Verdict(
        number, number, "+81" + number[1:], number, "JP",
        VerdictCode.POLICE_NUMBER if flagged else VerdictCode.ORDINARY, 80 if flagged else 0,
        Advice.WARN if flagged else Advice.NONE,
        (Reason(ReasonCode.POLICE_KNOWN, "A police number.", "警察の番号です。"),) if flagged else (),
    )  # fmt: skip
    day = 1 + (i // 200) % 28
    when = f"2026-11-{day:02d}T09:{i % 60:02d}:00+09:00"
    return CallRecord(when, caller, verdict, (Action.PANEL,) if flagged else ())


def _time_adds(path: Path, durable: bool, count: int) -> list[float]:
    with Store(path, durable=durable) as store:
        store.add_call(_record(0))  # warm up: file created, schema in place
        timings = []
        for i in range(1, count + 1):
            record = _record(i)
            start = time.perf_counter()
            store.add_call(record)
            timings.append((time.perf_counter() - start) * 1000)
    return timings


def run(args: argparse.Namespace) -> int:
    count = 100 if getattr(args, "quick", False) else 1000
    rows = 2_000 if getattr(args, "quick", False) else 20_000
    folder = Path(getattr(args, "dir", None) or tempfile.gettempdir())
    with tempfile.TemporaryDirectory(dir=folder, prefix="callerid-bench-") as tmp:
        print(f"add_call latency, {count} calls, file in {folder}:")
        for durable, name in ((True, "FULL (default)"), (False, "NORMAL")):
            ms = _time_adds(Path(tmp) / f"{name[:4]}.db", durable, count)
            p50, p99 = statistics.median(ms), _percentile(ms, 0.99)
            print(f"  synchronous={name:15s} p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   max {max(ms):6.2f} ms")
        path = Path(tmp) / "big.db"
        with Store(path, durable=False) as store:
            for start in range(0, rows, 1000):
                with store._write() as conn:  # bulk fill: one transaction per thousand
                    batch = [call_row(_record(i)) for i in range(start, start + 1000)]
                    conn.executemany(INSERT_CALL, batch)
        with Store(path) as store:
            print(f"website queries on {rows} calls (median of 20):")
            queries = {
                "newest 50": lambda: store.calls(limit=50),
                "page 10 of flagged": lambda: store.calls(flagged_only=True, limit=50, offset=450),
                "one day": lambda: store.calls(since="2026-11-05", until="2026-11-06"),
                "count flagged": lambda: store.count_calls(flagged_only=True),
                "number search (scan)": lambda: store.calls(search="0000123"),
                "today's counts": lambda: store.counts(since="2026-11-28"),
                "counts over a month": lambda: store.counts(),
            }
            for name, query in queries.items():
                times = []
                for _ in range(20):
                    start = time.perf_counter()
                    query()
                    times.append((time.perf_counter() - start) * 1000)
                print(f"  {name:22s} {statistics.median(times):7.2f} ms")
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true", help="fewer calls, for a smoke run")
    parser.add_argument("--dir", help="folder for the test files (default: the temp folder)")


if __name__ == "__main__":  # pragma: no cover
    p = argparse.ArgumentParser(description=__doc__)
    add_arguments(p)
    raise SystemExit(run(p.parse_args()))
