"""`callerid bench latency`: how fast a call is judged and acted on, and what the appliance costs idle.

Everything is real except the phone line: the simulated modem writes caller ID
into a pseudo-terminal, the driver reads it with pyserial, the appliance
screens it, logs it to SQLite, starts the cached spoken warning (the player
process is started on the cached WAV; the output goes nowhere so the figure
does not depend on a sound card) and hangs up a blocked call. Times are taken
from the moment the simulator's write of the last caller-ID byte returned.

Footprint: `callerid run` as its own process against the simulator, with the
speaker, the LED panel (gpiozero mock pins off the Pi) and the website on.
"""

from __future__ import annotations

import argparse
import os
import queue
import random
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from callerid.alert.speech import SpeechAlerts
from callerid.appliance import ApplianceHooks, build_runtime
from callerid.config import Config, ModemConfig, PanelConfig, SpeechConfig, WebConfig
from callerid.model import Action, CallerID
from callerid.modem.sim import SimCall, SimulatedModem

NULL_PLAYER = ["sh", "-c", 'exec cat "$0" >/dev/null']


@dataclass
class Sample:
    verdict: float
    judged: float
    warning: float | None
    hangup: float | None


def run(args: argparse.Namespace) -> int:
    calls = 40 if getattr(args, "quick", False) else 240
    idle_seconds = 10.0 if getattr(args, "quick", False) else 60.0
    with tempfile.TemporaryDirectory(prefix="callerid-bench-") as tmp:
        samples = _measure_calls(Path(tmp), calls)
        _report_calls(samples)
        _measure_footprint(Path(tmp), idle_seconds)
    return 0


# -- per-call latency ----------------------------------------------------------------------------


def _measure_calls(tmp: Path, count: int) -> list[Sample]:
    class TimedModem(SimulatedModem):
        """The simulator, noting when the write of each caller-ID record returned."""

        written: dict[str, float] = {}

        def _send_caller_id(self, handle):  # noqa: ANN001, ANN202 - the simulator's own signature
            super()._send_caller_id(handle)
            number = handle.call.caller.number or ""
            self.written[number] = time.monotonic()

    config = Config(
        modem=ModemConfig(quiet_seconds=1.5, number_display="off"),  # rings 50x fast: not CAR
        speech=SpeechConfig(enabled=True, cache_dir=str(tmp / "speech")),
        panel=PanelConfig(enabled=False),
        web=WebConfig(enabled=False),
    )
    started: dict[str, float] = {}

    def on_playback(event) -> None:  # noqa: ANN001 - callerid.alert.player.PlaybackEvent
        if event.phase == "started" and event.part == "warning":
            started.setdefault(event.call, event.at)

    speech = SpeechAlerts(config.speech, player_command=NULL_PLAYER, on_playback=on_playback)
    handled: queue.Queue = queue.Queue()
    rng = random.Random(7)
    samples: list[Sample] = []
    with TimedModem("conexant", time_scale=0.02) as sim:
        runtime = build_runtime(
            config, port=sim.port, db_path=str(tmp / "calls.db"), extra_sinks=[speech], speech=False,
            hooks=ApplianceHooks(on_call=lambda record, timings: handled.put((record, timings))),
        )
        runtime.appliance.start()
        worker = threading.Thread(target=runtime.appliance.run, daemon=True)
        worker.start()
        try:
            speech.wait_ready(timeout=120)
            sim.wait_for(lambda s: s.caller_id_mode is not None, timeout=10)
            for i in range(count):
                number = _number(rng, blocked=i % 2 == 0)
                caller = CallerID(format="text", number=number, name="BENCH", date="1125", time="0930")
                hangups_before = len(sim.hangups)
                sim.play_call(SimCall(caller=caller, rings=1, cid_delay=0.5)).wait(10)
                record, timings = handled.get(timeout=10)
                written = sim.written[number]
                key = record.key
                warning_at = _wait_for(lambda key=key: started.get(key), 2.0)
                hangup_at = None
                if Action.BLOCK in record.actions:
                    sim.wait_for(lambda s, n=hangups_before: len(s.hangups) > n, timeout=2)
                    hangup_at = sim.hangups[hangups_before].offhook_at
                samples.append(Sample(
                    verdict=timings.verdict_at - written,
                    judged=timings.verdict_at - timings.caller_id_at,
                    warning=None if warning_at is None else warning_at - written,
                    hangup=None if hangup_at is None else hangup_at - written,
                ))
                runtime.appliance.acknowledge()
                # A blocked call holds the line off-hook for a moment; real calls never follow that fast.
                sim.wait_for(lambda s: all(h.onhook_at is not None for h in s.hangups), timeout=5)
        finally:
            runtime.appliance.stop()
            worker.join(5)
            runtime.close()
    return samples


def _number(rng: random.Random, *, blocked: bool) -> str:
    """A fresh number each call: a foreign 0110 lookalike (blocked) or a Japanese 0110 line (warned)."""
    if blocked:
        return f"+80{rng.randrange(10_000, 99_999)}0110"
    return f"03{rng.randrange(1000, 9999)}0110"


def _wait_for(get, timeout: float):  # noqa: ANN001, ANN202 - a getter returning a value or None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = get()
        if value is not None:
            return value
        time.sleep(0.001)
    return get()


def _report_calls(samples: list[Sample]) -> None:
    print(f"calls: {len(samples)} through the simulator over a real pty (half blocked, half warned)")
    rows = [
        ("(a) record complete -> verdict", [s.judged for s in samples], 1.0),
        ("    last caller-ID byte -> verdict", [s.verdict for s in samples], 1.0),
        ("(b) caller ID -> warning audio started", [s.warning for s in samples if s.warning], 50.0),
        ("(c) caller ID -> hang-up at the modem", [s.hangup for s in samples if s.hangup], 20.0),
    ]
    print(f"  {'measure':<42} {'n':>4} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'goal p99':>9}")
    for label, values, goal in rows:
        if not values:
            print(f"  {label:<42} {0:>4} {'-':>8} {'-':>8} {'-':>8} {goal:>7.0f}ms")
            continue
        ms = sorted(v * 1000 for v in values)
        print(f"  {label:<42} {len(ms):>4} {_pct(ms, 50):>8.2f} {_pct(ms, 99):>8.2f} {ms[-1]:>8.2f} "
              f"{goal:>7.0f}ms")


def _pct(sorted_values: list[float], pct: float) -> float:
    if len(sorted_values) == 1:
        return sorted_values[0]
    return statistics.quantiles(sorted_values, n=100, method="inclusive")[int(pct) - 1]


# -- footprint -----------------------------------------------------------------------------------


def _measure_footprint(tmp: Path, idle_seconds: float) -> None:
    config = tmp / "footprint.toml"
    config.write_text(
        f'[speech]\ncache_dir = "{tmp / "speech"}"\n'
        f'[web]\nhost = "127.0.0.1"\nport = {_free_port()}\n'
    )
    env = dict(os.environ, CALLERID_PLAYER=shlex.join(NULL_PLAYER))
    with SimulatedModem("conexant") as sim:
        began = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "callerid", "run", "--config", str(config), "--port", sim.port,
             "--db", str(tmp / "footprint.db")],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
        )
        try:
            ready = _wait_ready(proc)
            ready_after = time.monotonic() - began
            time.sleep(5.0)  # let start-up work (pre-rendering the warnings) finish
            cpu_before = _cpu_seconds(proc.pid)
            t0 = time.monotonic()
            time.sleep(idle_seconds)
            cpu = _cpu_seconds(proc.pid) - cpu_before
            wall = time.monotonic() - t0
            rss = _rss_mb(proc.pid)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    print("footprint: `callerid run` with speaker, LED panel (mock pins) and website, simulated modem")
    print(f"  start to ready      {ready_after:6.2f} s   (goal < 1.5 s){'' if ready else '  NOT READY'}")
    print(f"  resident memory     {rss:6.1f} MB  (goal < 60 MB)")
    print(f"  idle CPU            {100 * cpu / wall:6.2f} %   over {wall:.0f} s (goal < 0.5 %)")


def _wait_ready(proc: subprocess.Popen[str]) -> bool:
    assert proc.stderr is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            return False
        if "ready:" in line:
            threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep the pipe drained
            return True
    return False


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


