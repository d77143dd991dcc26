"""A forgotten password, without SSH: a file on the SD card's boot partition clears it.

The owner powers the appliance off, puts the card in any computer, creates an empty file named
`callerid-reset-password.txt` on the FAT partition (the drive called "bootfs"), and starts the
appliance again. At start-up `reset_from_boot_partition` finds the file, deletes it (so the reset
happens once, not at every start) and clears the password; the website then makes a fresh
one-time setup code, which the image shows on the HDMI console and writes to
`callerid-setup-code.txt` on the same partition (firmware/: callerid-setup-code.service).

Only the file's presence matters; its contents are ignored, so no password is ever written to the
card. Computers that hide extensions may save `callerid-reset-password.txt.txt` or drop the
extension: any file whose name starts with `callerid-reset-password` counts.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from callerid.web import credentials

if TYPE_CHECKING:
    from callerid.store import Store

log = logging.getLogger("callerid.web")

BOOT_DIR = Path("/boot/firmware")
RESET_FILE = "callerid-reset-password.txt"
SETUP_CODE_FILE = "callerid-setup-code.txt"
_RESET_STEM = "callerid-reset-password"


def reset_requests(boot_dir: Path) -> list[Path]:
    """The reset files the owner put on the boot partition (any case, any extension)."""
    try:
        return sorted(
            p for p in boot_dir.iterdir() if p.name.lower().startswith(_RESET_STEM) and p.is_file()
        )
    except OSError:  # no boot partition here (a laptop, a test): nothing to do
        return []


def reset_from_boot_partition(store: Store, boot_dir: Path = BOOT_DIR) -> bool:
    """Clear the password if a reset file is on the boot partition; True when it was cleared.

    The file is deleted first: if it cannot be (a read-only card, no permission) the password is
    left alone and the reason logged, so a stuck file can never reset the password at every start.
    Clearing also ends every session; the next website start announces a new setup code.
    """
    found = reset_requests(boot_dir)
    if not found:
        return False
    for path in found:
        try:
            path.unlink()
        except OSError as exc:
            log.error("password reset file %s found but cannot be deleted (%s); password not reset",
                      path, exc.strerror or exc)
            return False
    store.set_settings({credentials.PASSWORD_KEY: None})
    credentials.rotate_epoch(store)
    log.warning("password reset: %s was on the boot partition; the website will show a new setup code",
                found[0].name)
    return True


__all__ = ["BOOT_DIR", "RESET_FILE", "SETUP_CODE_FILE", "reset_from_boot_partition", "reset_requests"]
