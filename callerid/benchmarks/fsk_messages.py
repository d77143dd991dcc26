"""The messages both FSK benchmark tables send, and how spandsp's modem sees them.

Random but reproducible caller records (numbers, names, dates) per standard, their bytes on the
line (`callerid.transmit.encode`), and the two views of them spandsp's adsi_tx takes and adsi_rx
delivers, so that every decoder is judged on the exact message.
"""

from __future__ import annotations

import random

from callerid.model import CallerID
from callerid.transmit.encode import encode_etsi, encode_mdmf, encode_ntt

SEED = 1125


def random_callers(standard: str, count: int, seed: int = SEED) -> list[CallerID]:
    rng = random.Random(f"{seed}-{standard}")
    out = []
    for _ in range(count):
        number = "0" + "".join(rng.choice("0123456789") for _ in range(rng.randint(9, 10)))
        name = None
        if standard != "ntt" and rng.random() < 0.8:
            letters = (rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ   ") for _ in range(rng.randint(4, 15)))
            name = "".join(letters).strip() or "ACME"
        out.append(
            CallerID(
                "ntt" if standard == "ntt" else "mdmf",
                number=number,
                name=name,
                date=f"{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}",
                time=f"{rng.randint(0, 23):02d}{rng.randint(0, 59):02d}",
            )
        )
    return out


def wire_message(standard: str, caller: CallerID) -> bytes:
    return {"bell202": encode_mdmf, "v23": encode_etsi, "ntt": encode_ntt}[standard](caller)


def spandsp_message(standard: str, wire: bytes) -> bytes:
    """What adsi_tx_put_message takes for a message as on the line (spandsp re-adds the rest)."""
    if standard != "ntt":
        return wire[:-1]  # without the checksum
    inner = bytes(c & 0x7F for c in wire[5:-4])  # type, length, parameters; parity stripped
    params = inner[3:] if inner[1:3] == b"\x10\x10" else inner[2:]
    return bytes([inner[0], 0]) + params  # spandsp writes the length itself


def spandsp_view(standard: str, wire: bytes) -> bytes:
    """The message as spandsp's receiver delivers it: no checksum / CRC, NTT parity stripped."""
    return bytes(c & 0x7F for c in wire[:-2]) if standard == "ntt" else wire[:-1]
