"""The immutable flag (what `chattr +i` sets) for tests that need a file even root cannot write.

Set through the FS_IOC_GETFLAGS / FS_IOC_SETFLAGS ioctls, so no tool is needed: `chattr` is in
e2fsprogs, which a minimal Debian 13 system no longer has.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import struct
import sys
from collections.abc import Iterator
from pathlib import Path

FS_IMMUTABLE_FL = 0x00000010
_LONG = struct.calcsize("l")  # the ioctls are declared with a long (the kernel reads an int)
FS_IOC_GETFLAGS = (2 << 30) | (_LONG << 16) | (ord("f") << 8) | 1  # _IOR('f', 1, long)
FS_IOC_SETFLAGS = (1 << 30) | (_LONG << 16) | (ord("f") << 8) | 2  # _IOW('f', 2, long)


class ImmutableUnsupported(Exception):
    """The file system or the process's capabilities do not allow the flag here."""


def _get(fd: int) -> int:
    buf = bytearray(4)
    fcntl.ioctl(fd, FS_IOC_GETFLAGS, buf, True)
    return int.from_bytes(buf, sys.byteorder, signed=True)


def _set(fd: int, flags: int) -> None:
    fcntl.ioctl(fd, FS_IOC_SETFLAGS, struct.pack("i", flags))


@contextlib.contextmanager
def immutable(path: Path) -> Iterator[None]:
    """Make `path` (file or folder) immutable for the block, then clear the flag again."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        try:
            flags = _get(fd)
            _set(fd, flags | FS_IMMUTABLE_FL)
        except OSError as err:
            if err.errno in (errno.ENOTTY, errno.EOPNOTSUPP, errno.EINVAL, errno.EPERM, errno.EACCES):
                raise ImmutableUnsupported(f"no immutable flag on {path}: {err.strerror}") from err
            raise
        try:
            yield
        finally:
            _set(fd, flags & ~FS_IMMUTABLE_FL)
    finally:
        os.close(fd)
