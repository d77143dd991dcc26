"""Split what a modem prints into clean text lines.

Modems end lines with CR, LF or CRLF (some with LF CR, or CR CR LF), may drop bytes that are not
valid UTF-8 into the stream, and put NULs and other control characters between lines. A line
buffer must cope with all of that, and with chunks that split a line (or a CRLF, or a multi-byte
character) anywhere.
"""

from __future__ import annotations

import codecs
import re

#: Control characters removed from every line (TAB is kept: some modems pad with it).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

#: A line longer than this without a terminator is cut: a modem spewing garbage must not
#: grow the buffer without bound on a 512 MB Pi.
MAX_LINE = 4096


def clean_line(text: str) -> str:
    """Remove control characters (except TAB) that modems and line noise put into lines."""
    return _CONTROL.sub("", text)


def decode_text(value: bytes) -> str:
    """Bytes from a line or a modem as text: UTF-8 when they are; Shift_JIS when they clearly are
    (a Japanese adapter); else Latin-1 (a European or North American name such as "Vähälä").

    Shift_JIS is believed only when it decodes strictly and either uses a double-byte character
    led by 0x81-0x9F (Latin-1 text never has those C1 bytes) or is all half-width katakana with no
    Latin letters; "MÜLLER" (Ü is 0xDC, a katakana in Shift_JIS) stays Latin-1.
    """
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if _looks_shift_jis(value):
        return value.decode("shift_jis")
    return value.decode("latin-1")


def _looks_shift_jis(value: bytes) -> bool:
    try:
        value.decode("shift_jis")
    except UnicodeDecodeError:
        return False
    i, c1_lead, katakana = 0, False, 0
    while i < len(value):
        b = value[i]
        if 0x81 <= b <= 0x9F or 0xE0 <= b <= 0xEF:  # a double-byte character's lead byte
            c1_lead = c1_lead or b <= 0x9F
            i += 2
            continue
        katakana += 0xA1 <= b <= 0xDF
        i += 1
    if c1_lead:
        return True
    has_latin = any(0x41 <= b <= 0x5A or 0x61 <= b <= 0x7A for b in value)
    return katakana >= 2 and not has_latin and all(b < 0x80 or 0xA1 <= b <= 0xDF for b in value)


class LineBuffer:
    """Collects chunks of modem output and returns complete lines as they end.

    CR, LF and CRLF each end one line; a CRLF split between two chunks still counts once. Lines
    are split as bytes (neither CR nor LF ever occurs inside a UTF-8 or Shift_JIS character) and
    each complete line is decoded on its own: UTF-8 when it is, else Shift_JIS or Latin-1
    (`decode_text`), so a name such as "Vähälä" sent in Latin-1 arrives
    as itself, not as replacement characters.
    """

    def __init__(self) -> None:
        self._partial = b""
        self._after_cr = False  # the last byte seen was a CR: a leading LF is its partner

    def feed(self, data: bytes | str) -> list[str]:
        """Add a chunk; return the lines it completed (without terminators, cleaned)."""
        raw = bytes(data) if isinstance(data, bytes | bytearray) else str(data).encode("utf-8")
        if not raw:
            return []
        if self._after_cr and raw.startswith(b"\n"):
            raw = raw[1:]
        if not raw:
            self._after_cr = False
            return []
        self._after_cr = raw.endswith(b"\r")
        parts = _BREAK_BYTES.split(self._partial + raw)
        self._partial = parts.pop()
        lines = [_line(p) for p in parts]
        if len(self._partial) > MAX_LINE:
            lines.append(_line(self._partial))
            self._partial = b""
        return lines

    def pending(self) -> str:
        """The text of the line not yet ended (cleaned); a UTF-8 character cut off at the end of
        what has arrived so far is left out until the rest of it comes."""
        try:
            text = codecs.getincrementaldecoder("utf-8")().decode(self._partial, final=False)
        except UnicodeDecodeError:
            return _line(self._partial)
        return clean_line(text)

    def flush(self) -> list[str]:
        """End of input: return the unterminated last line, if any."""
        rest = _line(self._partial)
        self._partial = b""
        self._after_cr = False
        return [rest] if rest else []


_BREAK_BYTES = re.compile(rb"\r\n|\r|\n")


def _line(raw: bytes) -> str:
    return clean_line(decode_text(raw))
