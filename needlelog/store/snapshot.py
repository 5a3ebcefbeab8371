"""Consistent copies of a SQLite database file, safe while others write."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from needlelog.store.files import PRIVATE_FILE, private_dir, sqlite_readonly_uri


def copy_sqlite(
    source: Path,
    target: Path,
    pages_per_step: int = 1024,
    check: Callable[[], None] | None = None,
) -> None:
    """Copy a live SQLite database with the online backup API (never a plain file copy).

    The copy is written beside the target and moved into place at the end,
    so a failed copy never leaves a half-written file under the final name.
    ``check`` runs between steps; whatever it raises stops the copy, and the
    partial file is removed.
    """
    private_dir(target.parent)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    # Created private before a single record is copied into it.
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    step = None if check is None else (lambda _status, _left, _total: check())
    try:
        src = sqlite3.connect(sqlite_readonly_uri(source), uri=True, timeout=30)
        try:
            dst = sqlite3.connect(partial)
            try:
                src.backup(dst, pages=pages_per_step, progress=step)
                dst.execute("PRAGMA journal_mode = DELETE")
            finally:
                dst.close()
        finally:
            src.close()
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
