# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""One running Storehook per data folder.

Two processes running workers on one SQLite file would each take the other's
running jobs for orphans of a crash and run them twice. The lock is an flock
on a file in the data folder: the kernel drops it when the process dies, so a
killed Storehook never leaves a stale lock behind.
"""

import fcntl
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

LOCK_FILE = "storehook.lock"


class DataDirInUse(RuntimeError):
    """Another Storehook process already runs on this data folder."""


class DataDirLock:
    """Holds the data folder's lock from acquire() until release()."""

    def __init__(self, data_dir: Path) -> None:
        self._path = data_dir / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, or raise DataDirInUse naming the process that has it."""
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip() or "?"
            os.close(fd)
            raise DataDirInUse(
                f"Another Storehook (pid {holder}) is already running on "
                f"{self._path.parent}; stop it first, or use another --data-dir."
            ) from None

        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode("ascii"))
        self._fd = fd
        log.debug("Locked data folder %s", self._path.parent)

    def release(self) -> None:
        """Let the next Storehook in."""
        if self._fd is None:
            return
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None
