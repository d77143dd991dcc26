"""The FSK benchmark measures what it says: same audio for both decoders, exact-message success."""

from __future__ import annotations

import pytest

from callerid.benchmarks import fsk as bench
from callerid.benchmarks import fsk_messages as messages
from callerid.benchmarks import spandsp_fsk
from callerid.decode import fsk
from callerid.transmit import modulator


def test_spandsp_messages_rebuild_our_wire_bytes() -> None:
    """What we hand spandsp's transmitter must come back as our exact message (else the table lies)."""
    try:
        bridge = spandsp_fsk.SpandspFSK()
    except spandsp_fsk.OracleUnavailable as exc:
        pytest.skip(str(exc))
    for standard in bench.STANDARDS:
        callers = messages.random_callers(standard, 6)
        wires = [messages.wire_message(standard, c) for c in callers]
        audio = bridge.transmit([messages.spandsp_message(standard, w) for w in wires], standard)
        for wire, a in zip(wires, audio, strict=True):
            assert [b.data for b in fsk.demodulate(a, 8000, standard)] == [wire]
        assert bridge.receive(audio, standard) == [[messages.spandsp_view(standard, w)] for w in wires]


def test_measure_small_run_and_table() -> None:
    result = bench.measure(standards=("ntt",), snrs_db=(20.0, 4.0), count=4)
    assert [c.snr_db for c in result.cells] == [20.0, 4.0]
    clean = result.cells[0]
    assert clean.ours == 4 and clean.ours_wrong == 0
    if clean.spandsp is not None:
        assert clean.spandsp == 4 and result.transmitter == "spandsp"
    assert 0 < result.real_time_factor < 0.5
    text = bench.table(result)
    assert "| ntt | 20 dB |" in text and "100.0 %" in text


def test_without_spandsp_our_own_modulator_is_used() -> None:
    result = bench.measure(standards=("bell202",), snrs_db=(20.0,), count=2, use_spandsp=False)
    assert result.transmitter == "ours" and result.cells[0].spandsp is None
    assert result.cells[0].ours == 2
    assert "n/a" in bench.table(result)


def test_noise_is_full_band_at_the_stated_snr() -> None:
    """The SNR definition in the table: burst power over white-noise power across 0-4 kHz."""
    import numpy as np

    burst = modulator.modulate(b"\x80\x01\x00\x7f", "v23", level_dbfs=-13.0)
    sigma = np.sqrt(np.mean(burst**2) / 10 ** (8.0 / 10))
    noise = np.random.default_rng(1).normal(0.0, sigma, 400_000)
    assert 10 * np.log10(np.mean(burst**2) / np.mean(noise**2)) == pytest.approx(8.0, abs=0.05)
