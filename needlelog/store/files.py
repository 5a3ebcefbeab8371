"""Where needlelog may write, and files that stay private.

Every file needlelog writes for a person (exports, backups, reports) goes
through ``atomic_path``: the target is checked first (never the open
database, its journal files or the copies kept beside it; never a link, a
device, a pipe or a folder), the data is written to a private temporary
file beside it and renamed over the target at the end, so an existing
regular file is replaced whole or not at all. File-system failures become
one sentence (``OutputError``) naming the target, not the temporary file.

On POSIX systems the data folder is created 700 and every file needlelog
writes 600: health records are not for the other users of a shared PC.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

from needlelog.store.errors import OutputError, OutputRefused

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
# Journal files SQLite keeps beside a database.
SIDE_FILES = ("-wal", "-shm", "-journal")
KEPT_MARK = ".replaced-"
UPGRADE_MARK = "-before-upgrade-"
AUTO_BACKUP_PREFIX = "needlelog-auto-"
# Working folders earlier versions made in the system's temp folder for a backup.
OLD_STAGING_PREFIX = "needlelog-backup-"
OLD_STAGING_AGE_S = 24 * 3600

# Every SQLite database this process opened: outputs never land on them.
_databases: set[Path] = set()


def is_posix() -> bool:
    return os.name == "posix"


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) readable by its user only."""
    missing = []
    current = path
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    if is_posix():
        for created in missing:
            with contextlib.suppress(OSError):
                os.chmod(created, PRIVATE_DIR)
    return path


def make_private(path: Path) -> None:
    """A file only its owner may read (no-op on Windows, where the profile protects it)."""
    if is_posix():
        os.chmod(path, PRIVATE_FILE)


def remember_database(path: Path) -> None:
    """Protect an open database file from being overwritten by any output."""
    _databases.add(Path(os.path.abspath(path)))


def _same(a: Path, b: Path) -> bool:
    if os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b)):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return Path(os.path.abspath(path))


def _protected_reason(target: Path, databases: set[Path]) -> str | None:
    real = _resolved(target)
    for db in databases:
        for candidate in (db, _resolved(db)):
            if _same(target, candidate) or real == candidate:
                return "it is the open database"
            for side in SIDE_FILES:
                side_file = Path(f"{candidate}{side}")
                if real == side_file or _same(target, side_file):
                    return "it is a journal file of the open database"
            if real.parent == candidate.parent and real.name.startswith(
                f"{candidate.stem}{KEPT_MARK}"
            ):
                return "it is a copy of the database kept by a restore"
    if UPGRADE_MARK in real.name and real.suffix == ".sqlite3":
        return "it is a copy of the database kept before an upgrade"
    if (
        real.name.startswith(AUTO_BACKUP_PREFIX)
        and real.suffix in (".zip", ".age")
        and real.exists()
    ):
        return "it is one of the automatic daily backups"
    return None


def check_output(target: Path, *, folder: bool = False) -> None:
    """Refuse a target that must not be written, with one sentence (``OutputRefused``).

    ``folder``: the target is a folder to write files into (a CSV export).
    """
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise OutputRefused(f"{target} cannot be written: {describe_os_error(exc)}") from None
    if mode is not None:
        if stat.S_ISLNK(mode):
            raise OutputRefused(
                f"{target} is a link; give the path of an ordinary file or a new name"
            )
        if folder:
            if not stat.S_ISDIR(mode):
                raise OutputRefused(f"{target} is not a folder; give a folder for the files")
        elif stat.S_ISDIR(mode):
            raise OutputRefused(f"{target} is a folder; give a file name")
        elif not stat.S_ISREG(mode):
            raise OutputRefused(
                f"{target} is not an ordinary file (a device or a pipe); give a file name"
            )
    if folder:
        return
    reason = _protected_reason(target, _databases)
    if reason is not None:
        raise OutputRefused(f"{target} will not be overwritten: {reason}; give another file name")


_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG}


def describe_os_error(exc: OSError) -> str:
    """What went wrong, in words, without the errno number or a temporary file's name."""
    code = exc.errno
    if code in _FULL:
        return "the disk is full"
    if code == errno.EROFS:
        return "the disk is read-only"
    if code in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if code == errno.ENOENT:
        return "the folder does not exist"
    if code == errno.ENOTDIR:
        return "a part of the path is not a folder"
    if code == errno.EISDIR:
        return "it is a folder"
    if code == errno.EIO:
        return "the disk failed to read or write"
    if code == errno.ENAMETOOLONG:
        return "the name is too long"
    if code == errno.EINVAL:
        return "the file system does not accept this name or file"
    return exc.strerror or type(exc).__name__


def output_error(exc: OSError, target: Path) -> OutputError:
    """The one sentence for a failure while writing ``target``."""
    if isinstance(exc, OutputError):
        return exc
    failed = exc.errno in _FULL or exc.errno == errno.EIO
    return OutputError(
        f"cannot write {target}: {exc.strerror or describe_os_error(exc)}",
        usage=not failed,
        code=exc.errno or 0,
    )


@contextlib.contextmanager
def atomic_path(target: Path, *, checked: bool = True) -> Iterator[Path]:
    """Yield a private temporary path; on success it replaces ``target``, on any
    error it is removed. ``target`` is checked first (``check_output``)."""
    if checked:
        check_output(target)
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial.unlink(missing_ok=True)
        # Created private before any record is in it.
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    except OSError as exc:
        raise output_error(exc, target) from None
    try:
        yield partial
        with open(partial, "rb+") as handle:
            os.fsync(handle.fileno())
        make_private(partial)
        check_output(target)  # still an ordinary file (or none) at the last moment
        partial.replace(target)
    except OutputError:
        partial.unlink(missing_ok=True)
        raise
    except OSError as exc:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise output_error(exc, target) from None
    except BaseException:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise


def pid_alive(pid: int) -> bool:
    """Whether a process with this id still runs (on this PC)."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    if sys.platform == "win32":  # pragma: no cover - no signal 0 on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sqlite_readonly_uri(path: Path, untouched: bool = False) -> str:
    """A SQLite URI that opens ``path`` read-only, whatever characters its name holds.

    ``untouched``: not even a ``-shm`` file is created beside it (while there is no
    ``-wal`` file, all of the database is in the file itself).
    """
    uri = Path(os.path.abspath(path)).as_uri() + "?mode=ro"
    if untouched and not Path(f"{path}-wal").exists():
        uri += "&immutable=1"
    return uri


# Working folders and partial files named with the id of the process that made them.
_LEFTOVER = re.compile(r"^(?:\.needlelog-backup-|\.restore-)(\d+)-|^\..+\.partial-(\d+)$")


def _old_temp_copies() -> list[Path]:
    """Plain database copies earlier versions staged in the shared temp folder and left
    there when killed: this user's, untouched for a day."""
    import tempfile
    import time

    removed: list[Path] = []
    try:
        entries = list(os.scandir(tempfile.gettempdir()))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        if not entry.name.startswith(OLD_STAGING_PREFIX):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
            if not stat.S_ISDIR(st.st_mode) or now - st.st_mtime < OLD_STAGING_AGE_S:
                continue
            if hasattr(os, "getuid") and st.st_uid != os.getuid():
                continue
            shutil.rmtree(entry.path)
        except OSError:
            continue
        removed.append(Path(entry.path))
    return removed


def clean_leftovers(*folders: Path) -> list[Path]:
    """Remove what a killed backup, restore or export left in ``folders``; the removed paths.

    Only leftovers of processes that no longer run are touched.
    """
    removed = _old_temp_copies()
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            match = _LEFTOVER.match(entry.name)
            if match is None:
                continue
            pid = int(match.group(1) or match.group(2))
            if pid_alive(pid):
                continue
            path = Path(entry.path)
            try:
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(path)
                else:
                    path.unlink()
            except OSError:
                continue
            removed.append(path)
    return removed
