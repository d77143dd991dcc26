"""`callerid bench fsk`, second table: Bell 202 caller ID as a real line and a real recorder leave it.

Method (also in docs/fsk.md): random Bellcore MDMF records (`fsk_messages`) are modulated by our
modulator with the standard preamble (300 seizure bits, 180 marks), -13 dBFS, a random start
phase and 0.25 s of silence either side; then one impairment per row (the sender's clock after a
seizure at 1200 bit/s, twist, DC, hum, clipping, μ-law, a 7200 Hz recording) and white noise at
NOISE_SNR_DB (burst power over full-band noise power, as in the white-noise table). The same
recordings go to ours (`callerid.decode.fsk`, auto mode), spandsp's adsi_rx (told Bell 202; it
takes 8 kHz only, so other rates are resampled for it) and minimodem (`minimodem --rx callerid`,
when installed: it reads the same WAV file). The last rows are real recordings from
`../shared/vectors/real/` beside the checkout (skipped when absent), judged by the numbers an
independent decoder reads in them.

A success is the exact message (ours: the bytes, checksum verified; spandsp: the message it
delivers; minimodem, which prints text: the number and the date and time); "wrong" counts records
reported that were not sent.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from callerid import wavfile
from callerid.benchmarks import impair, spandsp_fsk
from callerid.benchmarks.fsk_messages import random_callers, spandsp_view, wire_message
from callerid.decode import fsk, mdmf
from callerid.model import CallerID
from callerid.transmit import modulator

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

NOISE_SNR_DB = 12.0
PAD_SECONDS = 0.25
LEVEL_DBFS = -13.0

#: Real recordings (beside the checkout, never copied into it) and the numbers an independent
#: decoder reads in them (their README).
REAL_FILES = {
    "CIDMono.wav": ("4133972057", "8058423869", "2067019384", "8582257702"),
    "test1.wav": ("4806343526",),
}


@dataclass(frozen=True, slots=True)
class Condition:
    """One row: how the sender and the line and the recorder differ from the textbook."""

    label: str
    rate: int = 8000
    sender: dict[str, float] = field(default_factory=dict)  # modulator keyword arguments
    line: Callable[[Any, int], Any] | None = None  # applied after the noise
    before_noise: Callable[[Any, int], Any] | None = None  # applied to the clean burst
    mulaw: bool = False  # stored as a μ-law WAV


CONDITIONS: tuple[Condition, ...] = (
    Condition(
        "clock +2.5 % after a 1200 bit/s seizure", sender={"baud_scale": 1.025, "preamble_baud_scale": 1.0}
    ),
    Condition(
        "clock -2.5 % after a 1200 bit/s seizure", sender={"baud_scale": 0.975, "preamble_baud_scale": 1.0}
    ),
    Condition("clock drifting +3 % through the message", sender={"drift": 0.03}),
    *(
        Condition(
            f"twist {db:+d} dB (mark louder when +)", before_noise=lambda x, r, db=db: impair.twist(x, r, db)
        )
        for db in (6, -6, 10, -10, 15, -15)
    ),
    Condition("DC offset 0.25 full scale", line=lambda x, r: impair.dc(x, 0.25)),
    Condition("hum 50 Hz +10 dB", line=lambda x, r: impair.hum(x, r, 50.0, 10.0)),
    Condition("hum 60 Hz +10 dB", line=lambda x, r: impair.hum(x, r, 60.0, 10.0)),
    Condition("clipped (driven 9 dB over full scale)", line=lambda x, r: impair.clip(x, 9.0)),
    Condition("mu-law WAV", mulaw=True),
    Condition("recorded at 7200 Hz", rate=7200),
)


@dataclass(frozen=True, slots=True)
class Row:
    label: str
    messages: int
    ours: int
    ours_wrong: int
    spandsp: int | None = None  # None: not available
    spandsp_wrong: int | None = None
    minimodem: int | None = None
    minimodem_wrong: int | None = None


@dataclass(slots=True)
class Peers:
    """The other decoders, when they are installed."""

    spandsp: spandsp_fsk.SpandspFSK | None
    minimodem: str | None

    @classmethod
    def find(cls, use_spandsp: bool = True, use_minimodem: bool = True) -> Peers:
        bridge = None
        if use_spandsp:
            try:
                bridge = spandsp_fsk.SpandspFSK()
            except spandsp_fsk.OracleUnavailable:
                bridge = None
        return cls(bridge, shutil.which("minimodem") if use_minimodem else None)


def recordings(condition: Condition, wires: Sequence[bytes], seed: int) -> list[np.ndarray]:
    """The recordings of one row, one message each, as float samples at the row's rate."""
    import numpy as np

    rng = np.random.default_rng(seed)
    out = []
    for wire in wires:
        burst = modulator.modulate(
            wire,
            "bell202",
            condition.rate,
            level_dbfs=LEVEL_DBFS,
            phase=float(rng.uniform(0, 2 * np.pi)),
            **condition.sender,
        )
        if condition.before_noise is not None:
            burst = condition.before_noise(burst, condition.rate)
        silence = np.zeros(int(PAD_SECONDS * condition.rate))
        x = impair.noise(np.concatenate([silence, burst, silence]), NOISE_SNR_DB, rng, reference=burst)
        if condition.line is not None:
            x = condition.line(x, condition.rate)
        if condition.mulaw:
            x = impair.mulaw(x, condition.rate)
        out.append(x)
    return out


def measure_condition(condition: Condition, count: int, seed: int, peers: Peers) -> tuple[Row, float, float]:
    """One row, plus (our CPU seconds, audio seconds) for the real-time factor."""
    import time

    callers = random_callers("bell202", count, seed)
    wires = [wire_message("bell202", c) for c in callers]
    audio = recordings(condition, wires, seed)
    ours = wrong = 0
    cpu = seconds = 0.0
    for wire, x in zip(wires, audio, strict=True):
        started = time.process_time()
        found = fsk.demodulate(x, condition.rate, "auto")
        cpu += time.process_time() - started
        seconds += len(x) / condition.rate
        ours += any(b.data == wire for b in found)
        wrong += sum(b.data != wire for b in found)
    row = Row(condition.label, count, ours, wrong)
    if peers.spandsp is not None:
        received = peers.spandsp.receive([_at_8k(x, condition.rate) * 32768 for x in audio], "bell202")
        views = [spandsp_view("bell202", w) for w in wires]
        row = _with(row, spandsp=sum(v in got for v, got in zip(views, received, strict=True)))
        row = _with(
            row, spandsp_wrong=sum(sum(m != v for m in got) for v, got in zip(views, received, strict=True))
        )
    if peers.minimodem is not None:
        import numpy as np

        gap = np.zeros(int(0.2 * condition.rate))
        joined = np.concatenate([part for x in audio for part in (x, gap)])
        subtype = "ULAW" if condition.mulaw else "PCM_16"
        printed = _minimodem(peers.minimodem, joined, condition.rate, subtype)
        expected = [_minimodem_key(c) for c in callers]
        row = _with(row, minimodem=sum(1 for key in expected if key in printed))
        row = _with(row, minimodem_wrong=sum(1 for key in printed if key not in expected))
    return row, cpu, seconds


def measure_real(peers: Peers, folder: Path | None = None) -> list[Row]:
    """Rows for the real recordings that are present."""
    folder = folder or real_folder()
    rows = []
    for name, numbers in REAL_FILES.items():
        path = folder / name
        if not path.is_file():
            continue
        samples, rate = wavfile.read_wav(path)
        got = [c.number for _, c in fsk.decode_audio(samples, rate)]
        row = Row(f"real: {name}", len(numbers), _hits(numbers, got), _misses(numbers, got))
        if peers.spandsp is not None:
            messages = peers.spandsp.receive([_at_8k(samples, rate) * 32768], "bell202")[0]
            theirs = [_spandsp_number(m) for m in messages]
            row = _with(row, spandsp=_hits(numbers, theirs), spandsp_wrong=_misses(numbers, theirs))
        if peers.minimodem is not None:
            printed = [number for number, _ in _minimodem_file(peers.minimodem, path)]
            row = _with(row, minimodem=_hits(numbers, printed), minimodem_wrong=_misses(numbers, printed))
        rows.append(row)
    return rows


def real_folder() -> Path:
    """`../shared/vectors/real/` beside the checkout (CALLERID_REAL_VECTORS overrides).

    In a git worktree the checkout's own parent may not have `shared/`; the main checkout's
    (named by the worktree's `.git` file) is tried next.
    """
    override = os.environ.get("CALLERID_REAL_VECTORS")
    if override:
        return Path(override)
    root = Path(__file__).resolve().parents[2]
    candidates = [root.parent / "shared" / "vectors" / "real"]
    dot_git = root / ".git"
    if dot_git.is_file():  # "gitdir: <main>/.git/worktrees/<name>"
        gitdir = dot_git.read_text(encoding="utf-8", errors="replace").partition("gitdir:")[2].strip()
        if gitdir:
            candidates.append(Path(gitdir).resolve().parents[2].parent / "shared" / "vectors" / "real")
    return next((c for c in candidates if c.is_dir()), candidates[0])


def measure(
    count: int = 200,
    seed: int = 1125,
    conditions: Sequence[Condition] = CONDITIONS,
    peers: Peers | None = None,
) -> tuple[list[Row], float, float]:
    """Every row (synthetic, then real), our CPU seconds and the audio seconds behind them."""
    peers = peers or Peers.find()
    rows: list[Row] = []
    cpu = seconds = 0.0
    for i, condition in enumerate(conditions):
        row, c, s = measure_condition(condition, count, seed + i, peers)
        rows.append(row)
        cpu, seconds = cpu + c, seconds + s
    rows.extend(measure_real(peers))
    return rows, cpu, seconds


def table(rows: Sequence[Row]) -> str:
    def cell(n: int | None, total: int) -> str:
        return "n/a" if n is None else f"{n}/{total}"

    def wrong(n: int | None) -> str:
        return "n/a" if n is None else str(n)

    lines = [
        "| condition | ours | spandsp | minimodem | wrong (ours / spandsp / minimodem) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r.label} | {cell(r.ours, r.messages)} | {cell(r.spandsp, r.messages)} | "
            f"{cell(r.minimodem, r.messages)} | {r.ours_wrong} / {wrong(r.spandsp_wrong)} / "
            f"{wrong(r.minimodem_wrong)} |"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------


def _with(row: Row, **changes: int) -> Row:
    from dataclasses import replace

    return replace(row, **changes)


def _hits(expected: Sequence[str], got: Sequence[str | None]) -> int:
    return sum(1 for number in expected if number in got)


def _misses(expected: Sequence[str], got: Sequence[str | None]) -> int:
    return sum(1 for number in got if number not in expected)


def _at_8k(x: np.ndarray, rate: int) -> np.ndarray:
    """Resampled to 8000 Hz in the frequency domain (spandsp's modem runs at 8 kHz only)."""
    import numpy as np

    if rate == 8000:
        return x
    n_out = int(round(len(x) * 8000 / rate))
    spectrum = np.fft.rfft(x)
    keep = min(len(spectrum), n_out // 2 + 1)
    out = np.zeros(n_out // 2 + 1, dtype=complex)
    out[:keep] = spectrum[:keep]
    return np.fft.irfft(out, n_out) * (n_out / len(x))


def _spandsp_number(message: bytes) -> str | None:
    caller = mdmf.decode_message(message + bytes([mdmf.checksum(message)]))
    return caller.number if caller else None


def _minimodem_key(caller: CallerID) -> tuple[str, str]:
    date, time = caller.date or "0000", caller.time or "0000"
    return (caller.number or "", f"{date[:2]}/{date[2:]} {time[:2]}:{time[2:]}")


def _minimodem(exe: str, samples: np.ndarray, rate: int, subtype: str) -> list[tuple[str, str]]:
    with tempfile.TemporaryDirectory(prefix="callerid-bench-") as tmp:
        path = wavfile.write_wav(Path(tmp) / "line.wav", samples, rate, subtype=subtype)
        return _minimodem_file(exe, path)


def _minimodem_file(exe: str, path: Path) -> list[tuple[str, str]]:
    """(number digits, "MM/DD hh:mm") for every record minimodem prints for a file."""
    result = subprocess.run(
        [exe, "--rx", "callerid", "-q", "-f", str(path)], capture_output=True, check=False, timeout=600
    )
    records: list[tuple[str, str]] = []
    number = when = None
    for line in result.stdout.decode("latin-1").splitlines() + ["CALLER-ID"]:
        if line.startswith("CALLER-ID"):
            if number is not None or when is not None:
                records.append((number or "", when or ""))
            number = when = None
        elif line.startswith("Phone:"):
            number = re.sub(r"\D", "", line.split(":", 1)[1])
        elif line.startswith("Time:"):
            when = " ".join(line.split(":", 1)[1].split())
    return records


__all__ = ["CONDITIONS", "REAL_FILES", "Condition", "Peers", "Row", "measure", "measure_real", "table"]
