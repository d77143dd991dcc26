"""spandsp's ADSI code as an oracle for caller-ID frames, through the C helper `spandsp_frames.c`.

API (standards are "class" = Bellcore, "clip" = ETSI, "jclip" = NTT; fields are (type, bytes)):
- `unavailable() -> str | None`: why the oracle cannot run here (for `pytest.skip`), or None.
- `build(standard, msg_type, fields) -> bytes`: the bytes spandsp's transmitter puts on the line
  for a message built with `adsi_add_field` (CLASS/CLIP: type, length, body, checksum; JCLIP: DLE
  framing, parity and CRC). For SDMF use msg_type 0x04 and one field of type 0 (the untyped body).
- `receive(standard, wire) -> list[Received]`: modulate `wire` with spandsp's FSK modulator
  (`fsk_tx`), demodulate with `adsi_rx`; each message it accepted (checksum / CRC good), with the
  fields `adsi_next_field` reads from it.
- `audio(standard, msg_type, fields) -> bytes`: `adsi_tx` audio, signed 16-bit little-endian,
  8000 Hz mono, with 200 ms of silence either side.
- `modulate(standard, wire) -> bytes`: arbitrary wire bytes as FSK audio in the same shape.

The helper is compiled once per source version into the temp directory (keyed by the source's
hash) and reused by every test session; compilation is atomic, so parallel sessions are safe.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SOURCE = Path(__file__).with_name("spandsp_frames.c")
STANDARDS = ("class", "clip", "jclip")


@dataclass(frozen=True)
class Received:
    """One message spandsp's receiver accepted: its bytes (JCLIP: parity stripped, no CRC) and fields."""

    message: bytes
    fields: tuple[tuple[int, bytes], ...]
    corrupt: bool = False


class OracleError(RuntimeError):
    """The helper could not be built or refused the request."""


@cache
def _build_helper() -> Path | str:
    """Path to the compiled helper, or a string saying why it cannot be built."""
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        return "no C compiler (gcc) installed"
    digest = hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:16]
    target = Path(tempfile.gettempdir()) / f"callerid-oracle-{os.getuid()}" / f"spandsp_frames-{digest}"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    result = subprocess.run(
        [compiler, "-O1", "-o", str(partial), str(SOURCE), "-lspandsp", "-lm"],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        first = (result.stderr.strip().splitlines() or ["unknown error"])[0]
        return f"cannot build the spandsp helper (libspandsp-dev missing?): {first}"
    os.replace(partial, target)
    return target


def unavailable() -> str | None:
    helper = _build_helper()
    return helper if isinstance(helper, str) else None


def _run(args: list[str], *, binary: bool = False) -> bytes:
    helper = _build_helper()
    if isinstance(helper, str):
        raise OracleError(helper)
    result = subprocess.run([str(helper), *args], capture_output=True, timeout=30)
    if result.returncode != 0:
        raise OracleError(result.stderr.decode(errors="replace").strip())
    return result.stdout


def _field_args(msg_type: int, fields: list[tuple[int, bytes]] | tuple[tuple[int, bytes], ...]) -> list[str]:
    return [f"{msg_type:02x}", *(f"{kind:02x}={value.hex()}" for kind, value in fields)]


def build(
    standard: str, msg_type: int, fields: list[tuple[int, bytes]] | tuple[tuple[int, bytes], ...]
) -> bytes:
    out = _run(["build", standard, *_field_args(msg_type, fields)])
    return bytes.fromhex(out.decode().strip())


def receive(standard: str, wire: bytes) -> list[Received]:
    messages: list[Received] = []
    message = b""
    fields: list[tuple[int, bytes]] = []
    for line in _run(["receive", standard, wire.hex()]).decode().splitlines():
        word, _, rest = line.partition(" ")
        if word == "MSG":
            if message:
                messages.append(Received(message, tuple(fields)))
            message, fields = bytes.fromhex(rest), []
        elif word == "FIELD":
            kind, _, body = rest.partition(" ")
            fields.append((int(kind, 16), b"" if body == "-" else bytes.fromhex(body)))
        elif word == "CORRUPT" and message:
            messages.append(Received(message, tuple(fields), corrupt=True))
            message, fields = b"", []
    if message:
        messages.append(Received(message, tuple(fields)))
    return messages


def audio(
    standard: str, msg_type: int, fields: list[tuple[int, bytes]] | tuple[tuple[int, bytes], ...]
) -> bytes:
    return _run(["audio", standard, *_field_args(msg_type, fields)])


def modulate(standard: str, wire: bytes) -> bytes:
    return _run(["modulate", standard, wire.hex()])
