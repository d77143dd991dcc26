"""Log lines that the systemd journal files at their real priority.

journald reads a service's stderr as priority "info" unless a line starts with `<N>` (syslog
priority; SyslogLevelPrefix= is on by default). Without it `journalctl -p warning`, which the docs
recommend for "only problems", showed nothing even when the modem was missing. When stderr is the
journal (systemd sets $JOURNAL_STREAM to its device:inode), each line gets its `<N>` prefix.
"""

from __future__ import annotations

import logging
import os
import sys

#: Python level -> syslog priority.
PRIORITIES = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}
FORMAT = "%(levelname)s %(name)s: %(message)s"


def stderr_is_journal() -> bool:
    stream = os.environ.get("JOURNAL_STREAM", "")
    device, _, inode = stream.partition(":")
    if not device.isdigit() or not inode.isdigit():
        return False
    try:
        info = os.fstat(sys.stderr.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return (info.st_dev, info.st_ino) == (int(device), int(inode))


class JournalFormatter(logging.Formatter):
    """`<4>WARNING callerid.health: ...`: the prefix sets the journal priority, journald strips it."""

    def format(self, record: logging.LogRecord) -> str:
        priority = PRIORITIES.get(record.levelno, 6 if record.levelno < logging.WARNING else 3)
        text = super().format(record)
        return "\n".join(f"<{priority}>{line}" for line in text.splitlines()) or f"<{priority}>"


def configure(level: int) -> None:
    """The log set-up of `callerid run`: plain lines on a terminal, prefixed ones into the journal."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JournalFormatter(FORMAT) if stderr_is_journal() else logging.Formatter(FORMAT))
    logging.basicConfig(level=level, handlers=[handler])
