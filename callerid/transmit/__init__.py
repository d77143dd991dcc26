"""The transmit side, apart from the decoders: what a line or a modem would send.

- `encode`: `CallerID` to Bellcore SDMF/MDMF, ETSI and NTT bytes and to formatted modem text.
- `modulator`: message bytes to phase-continuous Bell 202 / V.23 FSK audio.

The modem simulator, the tests' round trips and the benchmarks use them; the appliance never does.
"""
