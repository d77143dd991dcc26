"""`callerid bench soak [--calls N]`: resident memory of the running appliance over many calls.

The appliance runs as its own process (the real `build_runtime`: store, screening, LED panel on
gpiozero's mock pins, website in-process; no speaker, whose player process would dominate) against
the simulated modem in this process. Time is compressed 50 times (`SCALE`): a 6 s ring period is
120 ms, the ring gap 140 ms, the hang-up hold 20 ms. Calls are paced, never flooded: the next call
starts only once the last one is in the log, over on the line, and any hang-up is back on-hook, so
the modem is never starved and no request goes stale. One call in four is a foreign 0110 lookalike
(blocked: a hang-up), one in four a Tokyo 03-XXXX-0110 number (warned as the police pattern; about
one in ten starts 03-0, no real Tokyo number, and is blocked as a lookalike), the rest ordinary;
numbers may repeat, and each call is counted.

Printed: resident memory (VmRSS) every 1,000 calls, and the slope of a least-squares line through
the samples after the first 1,000 calls (warm-up), in KB per 1,000 calls. 10,000 calls by default;
`--calls 100000` on request.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from callerid.appliance import build_runtime
from callerid.config import Config, ModemConfig, PanelConfig, SpeechConfig, WebConfig
from callerid.model import CallerID
from callerid.modem.driver import RING_GAP_SECONDS
from callerid.modem.sim import SimCall, SimulatedModem

SCALE = 0.02
SAMPLE_EVERY = 1000
LATE_SECONDS = 60  # how long a call not logged within 10 s is still waited for


def run(args: argparse.Namespace) -> int:
    calls = int(getattr(args, "calls", None) or (2000 if getattr(args, "quick", False) else 10_000))
    with tempfile.TemporaryDirectory(prefix="callerid-soak-") as tmp:
        samples = soak(Path(tmp), calls)
    report(samples, calls)
    return 0


def soak(tmp: Path, calls: int, *, progress: bool = True) -> list[tuple[int, float]]:
    """(calls placed, resident MB) at the start and every SAMPLE_EVERY calls.

    Each call is looked for by its number (counted, as numbers can repeat), and the next starts only
    when this one is over on the simulated line: a call logged late (the appliance stalled) cannot
    make a later one look logged, and two calls never overlap on the line. A call not in the log
    within 10 s is printed and waited for up to LATE_SECONDS more; then the run goes on (the memory
    figure still matters). At the end the calls that never reached the log are listed.
    """
    late: list[int] = []
    db = tmp / "soak.db"
    rng = random.Random(11)
    samples: list[tuple[int, float]] = []
    appliance_log = tmp / "appliance.log"
    with SimulatedModem("conexant", time_scale=SCALE) as sim, appliance_log.open("w") as log_file:
        # The appliance's messages go to a file, not a pipe nobody reads: a full pipe would stall it.
        child = subprocess.Popen(
            [sys.executable, "-m", "callerid.benchmarks.soak", sim.port, str(db), str(tmp)],
            stdout=subprocess.DEVNULL, stderr=log_file, text=True,
        )
        try:
            if not _wait(lambda: "ready" in appliance_log.read_text() or child.poll() is not None, 30) \
                    or child.poll() is not None:
                raise RuntimeError(f"the appliance did not start: {appliance_log.read_text()[-500:]}")
            sim.wait_for(lambda s: s.caller_id_mode is not None, timeout=10)
            watch = LogWatch(db)
            samples.append((0, rss_mb(child.pid)))
            began = time.monotonic()
            placed: Counter[str] = Counter()
            for i in range(1, calls + 1):
                hangups = len(sim.hangups)
                number = _number(rng, i)
                placed[number] += 1
                call = sim.play_call(
                    SimCall(CallerID("text", number=number), rings=1, ring_period=2.0, cid_delay=0.5))
                if not _wait(lambda n=number, k=placed[number]: watch.logged(n, k), 10):
                    late.append(i)
                    print(f"  call {i} ({number}) was not logged within 10 s; the appliance's last words:\n"
                          f"{_tail(appliance_log)}", flush=True)
                    # Still wait for it: whether it is blocked (the line busy with a hang-up) is
                    # known only once it is logged.
                    _wait(lambda n=number, k=placed[number]: watch.logged(n, k), LATE_SECONDS)
                call.done.wait(10)
                if watch.blocked(number):  # the line is ours until the hang-up is over
                    sim.wait_for(lambda s, n=hangups: _back_on_hook(s, n), timeout=5)
                if i % SAMPLE_EVERY == 0:
                    samples.append((i, rss_mb(child.pid)))
                    if progress:
                        rate = i / (time.monotonic() - began)
                        print(f"  {i:7d} calls  {samples[-1][1]:6.2f} MB  ({rate:.0f} calls/s)", flush=True)
            _wait(lambda: all(watch.logged(n, k) for n, k in placed.items()), 10)
            missing = {n: k - watch.count(n) for n, k in placed.items() if not watch.logged(n, k)}
            lost = sum(missing.values())
            extra = watch.rows() - (calls - lost)
            watch.close()
            print(f"  {calls - lost} of {calls} calls logged ({len(late)} later than 10 s); "
                  f"{extra} extra rows; never logged: "
                  f"{', '.join(f'{n} x{k}' for n, k in missing.items()) or 'none'}", flush=True)
        finally:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()
    return samples


def report(samples: list[tuple[int, float]], calls: int) -> None:
    print(f"soak: {calls} calls through the simulator at 1/{1 / SCALE:.0f} time, `callerid run`'s runtime "
          "in its own process (website and LED panel on, speaker off)")
    warm = [s for s in samples if s[0] >= SAMPLE_EVERY]
    if len(warm) >= 2:
        slope = slope_per_1000(warm)
        print(f"  resident memory     {samples[0][1]:.2f} MB at start, {warm[0][1]:.2f} MB after "
              f"{warm[0][0]} calls, {samples[-1][1]:.2f} MB after {samples[-1][0]} calls")
        print(f"  slope after warm-up {slope * 1024:+.1f} KB per 1,000 calls (goal: flat, |slope| < 50 KB)")


def slope_per_1000(samples: list[tuple[int, float]]) -> float:
    """Least-squares slope of MB against calls, in MB per 1,000 calls."""
    xs = [n / 1000 for n, _ in samples]
    ys = [mb for _, mb in samples]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _number(rng: random.Random, i: int) -> str:
    if i % 4 == 0:
        return f"+86139{rng.randrange(10**7):07d}0110"  # a foreign 0110 lookalike: blocked
    if i % 4 == 1:
        return f"03{rng.randrange(10**4):04d}0110"  # a Japanese police-pattern line: warned
    return f"0{rng.choice('3456789')}{i % 10**8:08d}"


def _back_on_hook(sim: SimulatedModem, before: int) -> bool:
    hangups = sim.hangups
    return len(hangups) > before and hangups[before].onhook_at is not None


def _tail(path: Path, lines: int = 8) -> str:
    return "\n".join("    " + line for line in path.read_text(errors="replace").splitlines()[-lines:])


class LogWatch:
    """How often each number is in the log so far, and whether it was last blocked; read
    incrementally (rows after the last id seen). Numbers can repeat (a random police-pattern
    number), so "the n-th call from this number is logged" is what is asked."""

    def __init__(self, db: Path) -> None:
        self._reader = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        self._last_id = 0
        self._count: Counter[str | None] = Counter()  # None: a row without a number
        self._blocked: dict[str | None, bool] = {}

    def logged(self, number: str, times: int = 1) -> bool:
        if self._count[number] < times:
            self._read_new_rows()
        return self._count[number] >= times

    def rows(self) -> int:
        """Every row in the log, numberless ones included."""
        self._read_new_rows()
        return sum(self._count.values())

    def _read_new_rows(self) -> None:
        for row_id, logged, actions in self._reader.execute(
                "SELECT id, number, actions FROM calls WHERE id > ? ORDER BY id", (self._last_id,)):
            self._last_id = row_id
            self._count[logged] += 1
            self._blocked[logged] = '"block"' in actions

    def count(self, number: str) -> int:
        return self._count[number]

    def blocked(self, number: str) -> bool:
        """Whether the appliance hung up on its last call (the policy decides, not the number's shape)."""
        return self._blocked.get(number, False)

    def close(self) -> None:
        self._reader.close()


def _wait(predicate, timeout: float) -> bool:  # noqa: ANN001 - a zero-argument callable
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.002)
    return True


def _child(port: str, db: str, folder: str, scale: str = str(SCALE), web: str = "web") -> None:
    """The appliance under test: the product's runtime with the driver's timings scaled (also the
    appliance of tests/test_chaos.py)."""
    time_scale = float(scale)
    os.environ.setdefault("GPIOZERO_PIN_FACTORY", "mock")
    # What `callerid run` would tell the journal, so a missing call's "last words" say something.
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s.%(msecs)03d %(name)s %(levelname)s: %(message)s",
                        datefmt="%H:%M:%S")
    config = Config(
        modem=ModemConfig(quiet_seconds=0.03, number_display="off"),
        speech=SpeechConfig(enabled=False, cache_dir=os.path.join(folder, "speech")),
        panel=PanelConfig(enabled=True),
        web=WebConfig(enabled=web == "web", host="127.0.0.1", port=_free_port()),
    )
    runtime = build_runtime(config, port=port, db_path=db, ring_gap_seconds=RING_GAP_SECONDS * time_scale,
                            driver_options={"hangup_hold_seconds": time_scale})
    signal.signal(signal.SIGTERM, lambda *_: runtime.appliance.stop())
    runtime.appliance.start()
    print("ready", file=sys.stderr, flush=True)
    try:
        runtime.appliance.run()
    finally:
        runtime.close()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


if __name__ == "__main__":
    _child(*sys.argv[1:6])
