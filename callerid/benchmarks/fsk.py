"""`callerid bench fsk`: FSK caller-ID decoding under white noise, ours beside spandsp's, and speed.

Method (also in docs/fsk.md):
- For each standard (Bell 202 / Bellcore MDMF, V.23 / ETSI, V.23 / NTT Number Display), random
  caller records (numbers, names, dates) are encoded by `callerid.transmit.encode` and turned into
  audio by spandsp's own transmitter (adsi_tx: its preambles, levels and stop bits), at 8 kHz,
  with 0.25 s of silence before and after.
- White Gaussian noise is added over the whole recording. SNR = mean power of the burst /
  noise power over the full 0-4 kHz band (not just the FSK band: an in-band SNR would be about
  2.6 dB higher).
- The same noisy recordings go to spandsp's receiver (adsi_rx for CLASS, CLIP, JCLIP, told the
  standard) and to ours (`callerid.decode.fsk.demodulate` in "auto" mode: it must also find out
  the standard). A success is the exact message (checksum / CRC verified, same bytes); a wrong
  decode is any other message reported, which matters more than a miss.
- Real-time factor: the CPU time our decoder spends (all threads) over the audio's duration.
Needs gcc and libspandsp-dev for the comparison; without them only our figures are printed.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from dataclasses import dataclass

from callerid.benchmarks import fsk_line, spandsp_fsk
from callerid.benchmarks.fsk_messages import SEED, random_callers, spandsp_message, spandsp_view, wire_message
from callerid.decode import fsk
from callerid.transmit import modulator

STANDARDS = ("bell202", "v23", "ntt")
SNRS_DB = (20.0, 12.0, 8.0, 6.0, 4.0)
PAD_SECONDS = 0.25
RATE = 8000


def add_arguments(parser: argparse.ArgumentParser) -> None:  # pragma: no cover - no extra flags
    del parser


@dataclass(frozen=True, slots=True)
class Cell:
    standard: str
    snr_db: float
    messages: int
    ours: int
    ours_wrong: int
    spandsp: int | None  # None: spandsp not available
    spandsp_wrong: int | None


@dataclass(frozen=True, slots=True)
class Result:
    cells: tuple[Cell, ...]
    audio_seconds: float
    decode_seconds: float
    transmitter: str  # "spandsp" or "ours"

    @property
    def real_time_factor(self) -> float:
        return self.decode_seconds / self.audio_seconds if self.audio_seconds else 0.0


def measure(
    standards: Sequence[str] = STANDARDS,
    snrs_db: Sequence[float] = SNRS_DB,
    count: int = 200,
    seed: int = SEED,
    use_spandsp: bool = True,
) -> Result:
    import numpy as np

    bridge = None
    if use_spandsp:
        try:
            bridge = spandsp_fsk.SpandspFSK()
        except spandsp_fsk.OracleUnavailable:
            bridge = None
    noise = np.random.default_rng(seed)
    silence = np.zeros(int(PAD_SECONDS * RATE))
    cells: list[Cell] = []
    audio_seconds = decode_seconds = 0.0
    for standard in standards:
        wires = [wire_message(standard, c) for c in random_callers(standard, count, seed)]
        if bridge is not None:
            bursts = [
                a.astype(np.float64) / 32768
                for a in bridge.transmit([spandsp_message(standard, w) for w in wires], standard)
            ]
        else:
            bursts = [modulator.modulate(w, standard, RATE, level_dbfs=-13.0) for w in wires]
        for snr in snrs_db:
            recordings = []
            for burst in bursts:
                sigma = np.sqrt(np.mean(burst**2) / 10 ** (snr / 10))
                x = np.concatenate([silence, burst, silence])
                recordings.append(x + noise.normal(0.0, sigma, len(x)))
            ours = wrong = 0
            for wire, x in zip(wires, recordings, strict=True):
                started = time.process_time()  # CPU time: fair on a machine shared with others
                found = fsk.demodulate(x, RATE, "auto")
                decode_seconds += time.process_time() - started
                audio_seconds += len(x) / RATE
                ours += any(b.data == wire for b in found)
                wrong += sum(b.data != wire for b in found)
            theirs = their_wrong = None
            if bridge is not None:
                received = bridge.receive([x * 32768 for x in recordings], standard)
                theirs = sum(spandsp_view(standard, w) in got for w, got in zip(wires, received, strict=True))
                their_wrong = sum(
                    sum(m != spandsp_view(standard, w) for m in got)
                    for w, got in zip(wires, received, strict=True)
                )
            cells.append(Cell(standard, snr, count, ours, wrong, theirs, their_wrong))
    return Result(tuple(cells), audio_seconds, decode_seconds, "spandsp" if bridge else "ours")


def table(result: Result) -> str:
    def pct(n: int | None, total: int) -> str:
        return "n/a" if n is None else f"{100.0 * n / total:5.1f} %"

    lines = [
        "| standard | SNR | spandsp | ours | wrong (spandsp / ours) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for c in result.cells:
        wrong = f"{'n/a' if c.spandsp_wrong is None else c.spandsp_wrong} / {c.ours_wrong}"
        rates = f"{pct(c.spandsp, c.messages)} | {pct(c.ours, c.messages)}"
        lines.append(f"| {c.standard} | {c.snr_db:g} dB | {rates} | {wrong} |")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    count = 20 if getattr(args, "quick", False) else 200
    seed = getattr(args, "seed", SEED)
    result = measure(count=count, seed=seed)
    print(
        f"FSK caller ID under white Gaussian noise: {count} random messages per standard and SNR,\n"
        f"audio from {result.transmitter}'s transmitter at 8 kHz; SNR = burst power / noise power over the\n"
        f"full 0-4 kHz band; success = the exact message, checksum/CRC verified; ours in auto mode."
    )
    if result.transmitter != "spandsp":
        print("(spandsp bridge unavailable: install gcc and libspandsp-dev for the comparison)")
    print(table(result))
    print(
        f"ours: real-time factor {result.real_time_factor:.4f} "
        f"(CPU time {result.decode_seconds:.2f} s, all threads, "
        f"to decode {result.audio_seconds:.0f} s of audio)"
    )
    peers = fsk_line.Peers.find()
    rows, cpu, seconds = fsk_line.measure(count=count, seed=seed, peers=peers)
    print()
    print(
        f"FSK caller ID on a real line: Bell 202 MDMF, {count} random messages per condition from\n"
        f"our modulator (300 seizure bits, 180 marks, -13 dBFS), white noise at\n"
        f"{fsk_line.NOISE_SNR_DB:g} dB SNR on top of each condition; then real recordings\n"
        f"({fsk_line.real_folder()}).\n"
        f"spandsp hears 8 kHz (other rates resampled for it); minimodem (--rx callerid) reads the\n"
        f"same WAV file and is judged on number, date and time."
    )
    if peers.minimodem is None:
        print("(minimodem not installed: Debian's minimodem adds its column)")
    print(fsk_line.table(rows))
    rtf = cpu / seconds if seconds else 0.0
    print(f"ours: real-time factor {rtf:.4f} on these conditions ({cpu:.2f} s CPU, {seconds:.0f} s of audio)")
    return 0
