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
_BREAK = re.compile(r"\r\n|\r|\n")

#: A line longer than this without a terminator is cut: a modem spewing garbage must not
#: grow the buffer without bound on a 512 MB Pi.
MAX_LINE = 4096


def clean_line(text: str) -> str:
    """Remove control characters (except TAB) that modems and line noise put into lines."""
    return _CONTROL.sub("", text)


class LineBuffer:
    """Collects chunks of modem output and returns complete lines as they end.

    CR, LF and CRLF each end one line; a CRLF split between two chunks still counts once.
    Bytes are decoded as UTF-8 with `errors="replace"`, incrementally, so a multi-byte
    character split between chunks survives.
    """

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._partial = ""
        self._after_cr = False  # the last character seen was a CR: a leading LF is its partner

    def feed(self, data: bytes | str) -> list[str]:
        """Add a chunk; return the lines it completed (without terminators, cleaned)."""
        text = self._decoder.decode(data) if isinstance(data, bytes | bytearray) else str(data)
        if not text:
            return []
        if self._after_cr and text.startswith("\n"):
            text = text[1:]
        self._after_cr = text.endswith("\r")
        parts = _BREAK.split(self._partial + text)
        self._partial = parts.pop()
        lines = [clean_line(p) for p in parts]
        if len(self._partial) > MAX_LINE:
            lines.append(clean_line(self._partial))
            self._partial = ""
        return lines

    def pending(self) -> str:
        """The text of the line not yet ended (cleaned)."""
        return clean_line(self._partial)

    def flush(self) -> list[str]:
        """End of input: return the unterminated last line, if any."""
        tail = self._decoder.decode(b"", final=True)
        rest = clean_line(self._partial + tail)
        self._partial = ""
        self._after_cr = False
        return [rest] if rest else []
