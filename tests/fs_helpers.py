"""File-system situations the appliance meets in a home: read-only files and folders, another user.

Not a test module itself; the tests import it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from immutable import ImmutableUnsupported, immutable


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make a file or folder read-only even for root (the immutable flag, set without `chattr`,
    which a minimal Debian 13 lacks), or by mode bits for other users."""
    if os.geteuid() == 0:
        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(immutable(path))
            except ImmutableUnsupported as exc:
                pytest.skip(f"running as root and {exc}")
            yield
    else:
        mode = path.stat().st_mode
        path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            path.chmod(mode)


def as_other_user() -> list[str]:
    """A command prefix that runs as an unprivileged user who may read but not write our files.

    As root: `setpriv` to nobody (the family member's account beside the service's files). As an
    ordinary user: nothing, since that user is already unprivileged and the caller uses mode bits.
    """
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: cannot act as another user")
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


@contextlib.contextmanager
def shared_folder() -> Iterator[Path]:
    """A temporary folder another user can enter (pytest's tmp_path is 0700 to root)."""
    folder = Path(tempfile.mkdtemp(prefix="callerid-shared-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # read_only() has cleared any immutable flag
