"""spandsp's caller-ID FSK modem as an independent oracle (tests and `callerid bench fsk`).

spandsp (Debian `libspandsp2`) is a telephony DSP library that nobody here wrote. The small C
bridge next to this file (`spandsp_fsk.c`) is compiled on first use with the system C compiler;
through it we generate caller-ID audio with spandsp's transmitter and decode audio with its
receiver (adsi_tx / adsi_rx), in batches over pipes so that hundreds of messages cost one process.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

SOURCE = Path(__file__).with_name("spandsp_fsk.c")

#: our standard name -> spandsp's ADSI standard, as the bridge names it.
ADSI_STANDARD = {"bell202": "class", "v23": "clip", "ntt": "jclip"}


class OracleUnavailable(RuntimeError):
    """No C compiler or no spandsp development files: the oracle cannot be built."""


def build(cache_dir: str | Path | None = None) -> Path:
    """Compile the bridge (once per source version) and return the executable's path."""
    compiler = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    if compiler is None:
        raise OracleUnavailable("no C compiler (install gcc)")
    if not Path("/usr/include/spandsp.h").exists() and not any(Path("/usr/include").glob("*/spandsp.h")):
        raise OracleUnavailable("spandsp headers not found (install libspandsp-dev)")
    source = SOURCE.read_bytes()
    digest = hashlib.sha256(source).hexdigest()[:12]
    base = Path(cache_dir) if cache_dir else Path(tempfile.gettempdir()) / f"callerid-oracle-{os.getuid()}"
    base.mkdir(parents=True, exist_ok=True)
    exe = base / f"spandsp_fsk-{digest}"
    if exe.exists():
        return exe
    partial = base / f".spandsp_fsk-{digest}.{os.getpid()}"
    result = subprocess.run(
        [compiler, "-O2", "-o", str(partial), str(SOURCE), "-lspandsp", "-lm"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise OracleUnavailable(f"cannot build the spandsp bridge: {result.stderr.strip()[:300]}")
    partial.replace(exe)
    return exe


class SpandspFSK:
    """Batch access to spandsp's adsi_tx (audio for messages) and adsi_rx (messages in audio)."""

    def __init__(self, cache_dir: str | Path | None = None) -> None:
        self.exe = build(cache_dir)

    def transmit(self, messages: Sequence[bytes], standard: str) -> list[np.ndarray]:
        """int16 audio at 8000 Hz per message, as spandsp sends it (preamble, stop bits, levels).

        `messages` are what adsi_tx_put_message() takes: Bellcore/ETSI type, length, body
        (spandsp appends the checksum); NTT type 0x40, length, DLE-doubled parameters (spandsp adds
        DLE SOH header DLE STX ... DLE ETX, parity and the CRC).
        """
        import numpy as np

        lines = "".join(m.hex() + "\n" for m in messages).encode()
        out = self._run("tx", standard, lines)
        audio: list[np.ndarray] = []
        at = 0
        for _ in messages:
            (count,) = struct.unpack_from("<I", out, at)
            at += 4
            audio.append(np.frombuffer(out, dtype="<i2", count=count, offset=at).copy())
            at += 2 * count
        return audio

    def receive(self, recordings: Sequence[np.ndarray], standard: str) -> list[list[bytes]]:
        """The messages spandsp's receiver delivers for each int16 8000 Hz recording.

        Bellcore/ETSI messages come without their checksum; NTT frames without their CRC and
        with parity bits stripped (spandsp only delivers what verified).
        """
        import numpy as np

        chunks = []
        for rec in recordings:
            pcm = np.clip(np.round(rec), -32768, 32767).astype("<i2")
            chunks.append(struct.pack("<I", len(pcm)) + pcm.tobytes())
        out = self._run("rx", standard, b"".join(chunks)).decode()
        lines = out.split("\n")[: len(recordings)]
        return [[bytes.fromhex(word) for word in line.split()] for line in lines]

    def _run(self, mode: str, standard: str, data: bytes) -> bytes:
        result = subprocess.run(
            [str(self.exe), mode, ADSI_STANDARD[standard]], input=data, capture_output=True, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"spandsp bridge failed: {result.stderr.decode(errors='replace').strip()}")
        return result.stdout
