"""Consistent copies of a SQLite database file, safe while others write."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def copy_sqlite(source: Path, target: Path, pages_per_step: int = 1024) -> None:
    """Copy a live SQLite database with the online backup API (never a plain file copy).

    The copy is written beside the target and moved into place at the end,
    so a failed copy never leaves a half-written file under the final name.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst, pages=pages_per_step)
            dst.execute("PRAGMA journal_mode = DELETE")
        finally:
            dst.close()
    finally:
        src.close()
    partial.replace(target)
