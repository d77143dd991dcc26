"""Ed25519 signatures on shared lists (PyNaCl): who published a list, and that nobody changed it.

A list is signed over its canonical JSON (every field but `signature`, keys sorted, no spaces),
so any JSON library can re-create the signed bytes. Keys travel as base64 of the 32 raw bytes:
the private key file holds the seed, the public key goes into each home's `trusted_keys`.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

KEY_FILE_TAG = "callerid-fleet-ed25519"


class SignatureRefused(ValueError):
    """The signature is missing, malformed, or not made by any trusted key."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str, what: str, length: int) -> bytes:
    try:
        raw = base64.b64decode(str(text).strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{what} is not base64: {str(text)[:20]!r}") from None
    if len(raw) != length:
        raise ValueError(f"{what} must be {length} bytes, not {len(raw)}")
    return raw


def parse_public_key(text: str) -> bytes:
    """The 32 raw bytes of a base64 ed25519 public key (ValueError for anything else)."""
    return _unb64(text, "public key", 32)


def generate_key(out: str | Path) -> str:
    """Write a new private key to `out` (mode 0600, refusing to overwrite); return the public key."""
    from nacl.signing import SigningKey

    path = Path(out)
    key = SigningKey.generate()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(f"{KEY_FILE_TAG} {_b64(bytes(key))}\n")
    public = _b64(bytes(key.verify_key))
    path.with_name(path.name + ".pub").write_text(public + "\n")
    return public


def load_signing_key(path: str | Path) -> Any:
    """The nacl SigningKey in a file written by `generate_key` (ValueError, one line, otherwise)."""
    from nacl.signing import SigningKey

    try:
        text = Path(path).read_text(encoding="ascii").split()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read the key {path}: {getattr(exc, 'strerror', None) or exc}") from None
    if len(text) != 2 or text[0] != KEY_FILE_TAG:
        raise ValueError(f"{path} is not a key written by `callerid fleet keygen`")
    return SigningKey(_unb64(text[1], "private key", 32))


def public_key_of(signing_key: Any) -> str:
    return _b64(bytes(signing_key.verify_key))


def canonical(document: Mapping[str, Any]) -> bytes:
    """The signed bytes: every field except `signature`, as sorted compact UTF-8 JSON."""
    body = {k: v for k, v in document.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign(document: Mapping[str, Any], signing_key: Any) -> dict[str, Any]:
    """`document` with `key` (the signer's public key) and `signature` added."""
    signed = dict(document)
    signed["key"] = public_key_of(signing_key)
    signed.pop("signature", None)
    signed["signature"] = _b64(signing_key.sign(canonical(signed)).signature)
    return signed


def verify(document: Mapping[str, Any], trusted: Iterable[bytes]) -> str:
    """The base64 public key that signed `document`, if it is trusted; else SignatureRefused."""
    from nacl.exceptions import BadSignatureError
    from nacl.signing import VerifyKey

    signature = document.get("signature")
    if not isinstance(signature, str):
        raise SignatureRefused("not signed")
    try:
        raw_signature = _unb64(signature, "signature", 64)
    except ValueError as exc:
        raise SignatureRefused(str(exc)) from None
    trusted = list(trusted)
    claimed = document.get("key")
    if isinstance(claimed, str):
        try:
            claimed_raw = parse_public_key(claimed)
        except ValueError as exc:
            raise SignatureRefused(str(exc)) from None
        if claimed_raw not in trusted:
            raise SignatureRefused(f"signed by a key this home does not trust ({claimed[:12]}...)")
        trusted = [claimed_raw]
    message = canonical(document)
    for key in trusted:
        try:
            VerifyKey(key).verify(message, raw_signature)
        except BadSignatureError:
            continue
        return _b64(key)
    raise SignatureRefused("the signature does not match the list (changed, or forged)")


__all__ = [
    "SignatureRefused",
    "canonical",
    "generate_key",
    "load_signing_key",
    "parse_public_key",
    "public_key_of",
    "sign",
    "verify",
]
