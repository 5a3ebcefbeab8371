"""Whether another process or PC has a SQLite database open, asked of SQLite's own locks.

Every needlelog connection in WAL mode holds a shared lock on the database
file and on the "dead man switch" byte of its ``-shm`` file for as long as it
is open, idle or not, and SQLite's file locks reach other PCs through a
network share. A probe for a write lock on those byte ranges therefore
fails exactly while another connection is open. The probe is released at
once: it never blocks anyone.

On Windows, where a file in use cannot be replaced at all, the replacement
itself fails and is reported the same way.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from needlelog.store.errors import DatabaseInUse

# SQLite's unix VFS (os_unix.c): the shared-lock range of the database file and
# the DMS byte of the wal-index.
_SHARED_FIRST = 0x40000000 + 2
_SHARED_SIZE = 510
_SHM_DMS = (22 + 8) * 4 + 8


def _locked_by_other(path: Path, start: int, length: int) -> bool:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return False
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    except OSError:
        return False
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, length, start)
        except OSError as exc:
            return exc.errno in (errno.EAGAIN, errno.EACCES)
        fcntl.lockf(fd, fcntl.LOCK_UN, length, start)
        return False
    finally:
        os.close(fd)


def in_use(path: Path) -> bool:
    """True while another process (or PC) has the database at ``path`` open."""
    return _locked_by_other(path, _SHARED_FIRST, _SHARED_SIZE) or _locked_by_other(
        Path(f"{path}-shm"), _SHM_DMS, 1
    )


def in_use_message(path: Path) -> str:
    return (
        f"{path} is in use by another needlelog (on this PC or another): close needlelog "
        "everywhere else, then restore again. Nothing was changed."
    )


def ensure_unused(path: Path) -> None:
    """Raise ``DatabaseInUse`` when another process or PC has the database open."""
    if path.exists() and in_use(path):
        raise DatabaseInUse(in_use_message(path))
