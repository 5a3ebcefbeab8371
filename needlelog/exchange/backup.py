"""Backups as one file, and restore that checks everything before replacing anything.

A backup is a zip holding ``needlelog.sqlite3`` (a consistent copy made with
SQLite's online backup API, safe while others save) and ``manifest.json``
(format, app version, schema revision, creation time, record counts and
the SHA-256 of every file). Restore refuses a file whose manifest, checksums,
SQLite integrity check or schema revision is not right, before touching the
current database; the replaced database is kept beside it under a
``.replaced-<time>`` name.

Only SQLite databases are backed up this way; a PostgreSQL server is backed
up with its own tools (pg_dump).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from needlelog import __version__, config
from needlelog.exchange.files import atomic_path
from needlelog.store.database import Database
from needlelog.store.migrate import alembic_config
from needlelog.store.snapshot import copy_sqlite

FORMAT = "needlelog-backup"
FORMAT_VERSION = 1
DB_MEMBER = "needlelog.sqlite3"
MANIFEST = "manifest.json"
AUTO_PREFIX = "needlelog-auto-"
SUFFIX = ".zip"
CHUNK = 1 << 20


class BackupRefused(Exception):
    """The file is not a usable backup (damaged, truncated, foreign or too new); nothing changed."""


class BackupUnsupported(Exception):
    """The database is not a SQLite file, so it cannot be backed up as one file."""


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    created_at: str
    schema_revision: str | None
    patients: int
    sessions: int
    size: int


@dataclass(frozen=True)
class RestoreInfo:
    database: Path
    replaced_kept_as: Path | None
    created_at: str
    patients: int
    sessions: int


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _sqlite_path(url: str) -> Path:
    parsed = make_url(url)
    if (
        parsed.get_backend_name() != "sqlite"
        or not parsed.database
        or parsed.database == ":memory:"
    ):
        raise BackupUnsupported(
            f"{parsed.render_as_string(hide_password=True)} is not a SQLite file: back up a "
            "database server with its own tools (for PostgreSQL: pg_dump)"
        )
    return Path(parsed.database)


def _facts(path: Path) -> tuple[str | None, int, int]:
    """Schema revision and record counts of a database copy."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        patients = conn.execute("SELECT count(*) FROM patients").fetchone()[0]
        sessions = conn.execute("SELECT count(*) FROM treatment_sessions").fetchone()[0]
    finally:
        conn.close()
    return (revision[0] if revision else None), int(patients), int(sessions)


def make_backup(
    db: Database,
    out: Path,
    progress: Callable[[int, int], None] | None = None,
    check: Callable[[], None] | None = None,
) -> BackupInfo:
    """Write one backup file; the copy is consistent even while others are saving.

    ``check`` runs between steps of the copy; whatever it raises stops the backup
    and leaves no file behind.
    """
    source = db.sqlite_path
    if source is None:
        _sqlite_path(db.url)
        raise BackupUnsupported("this database cannot be backed up as one file")
    with tempfile.TemporaryDirectory(prefix="needlelog-backup-") as tmp:
        copy = Path(tmp) / DB_MEMBER
        copy_sqlite(source, copy, check=check)
        if progress is not None:
            progress(1, 3)
        revision, patients, sessions = _facts(copy)
        created = datetime.now(UTC).isoformat(timespec="seconds")
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "app_version": __version__,
            "schema_revision": revision,
            "created_at": created,
            "counts": {"patients": patients, "sessions": sessions},
            "files": {DB_MEMBER: {"sha256": _sha256(copy), "size": copy.stat().st_size}},
        }
        if progress is not None:
            progress(2, 3)
        with atomic_path(out) as temp:
            with zipfile.ZipFile(temp, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
                zf.writestr(MANIFEST, json.dumps(manifest, indent=2))
                zf.write(copy, DB_MEMBER)
            _verify_zip(temp)
            if progress is not None:  # last chance to cancel: nothing is in place yet
                progress(3, 3)
    return BackupInfo(out, created, revision, patients, sessions, out.stat().st_size)


def _verify_zip(path: Path) -> None:
    with zipfile.ZipFile(path) as zf:
        bad = zf.testzip()
        if bad is not None:
            raise OSError(f"the backup just written is unreadable ({bad}); the disk may be failing")


def _known_revision(revision: str) -> bool:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


def _refuse(file: Path, why: str) -> BackupRefused:
    return BackupRefused(
        f"{file.name} cannot be restored: {why}. The current records were not changed."
    )


def read_manifest(file: Path) -> dict:
    """The manifest of a backup file, or ``BackupRefused`` if it is not one."""
    try:
        with zipfile.ZipFile(file) as zf:
            names = set(zf.namelist())
            if MANIFEST not in names:
                raise _refuse(file, "it is not a needlelog backup (no manifest)")
            manifest = json.loads(zf.read(MANIFEST))
    except FileNotFoundError:
        raise _refuse(file, "the file does not exist") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError):
        raise _refuse(file, "it is damaged or truncated, or not a backup file") from None
    except (ValueError, UnicodeDecodeError):
        raise _refuse(file, "its manifest is damaged") from None
    except OSError as exc:
        raise _refuse(file, f"it cannot be read ({exc.strerror})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _refuse(file, "it is not a needlelog backup")
    if (
        not isinstance(manifest.get("format_version"), int)
        or manifest["format_version"] > FORMAT_VERSION
    ):
        raise _refuse(file, "it was written by a newer version of needlelog")
    if DB_MEMBER not in (manifest.get("files") or {}) or DB_MEMBER not in names:
        raise _refuse(file, "it holds no database")
    return manifest


def verify_backup(file: Path, work_dir: Path) -> tuple[Path, dict]:
    """Extract and check a backup into ``work_dir``; returns the checked database copy."""
    manifest = read_manifest(file)
    target = work_dir / DB_MEMBER
    try:
        with zipfile.ZipFile(file) as zf, zf.open(DB_MEMBER) as src, open(target, "wb") as dst:
            while chunk := src.read(CHUNK):
                dst.write(chunk)
    except (zipfile.BadZipFile, EOFError, zlib.error, ValueError):
        raise _refuse(file, "the database inside is damaged or truncated") from None
    expected = manifest["files"][DB_MEMBER]
    if _sha256(target) != expected.get("sha256") or target.stat().st_size != expected.get("size"):
        raise _refuse(file, "the database inside does not match its checksum")
    try:
        conn = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
        try:
            result = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        finally:
            conn.close()
        revision, _patients, _sessions = _facts(target)
    except sqlite3.Error as exc:
        raise _refuse(file, f"the database inside is not readable ({exc})") from None
    if result != ["ok"]:
        raise _refuse(file, f"the database inside fails SQLite's integrity check ({result[0]})")
    if revision is None or not _known_revision(revision):
        raise _refuse(
            file,
            f"its schema ({revision}) is newer than this version of needlelog knows; "
            "install that version or newer to restore it",
        )
    return target, manifest


def _set_aside(target: Path, kept: Path) -> None:
    """Keep the database being replaced, with anything still in its WAL."""
    try:
        copy_sqlite(target, kept)
        conn = sqlite3.connect(target)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
    except sqlite3.Error:
        # A damaged database (the usual reason to restore) cannot be copied
        # page by page: keep its files exactly as they are instead.
        Path(f"{kept}.partial").unlink(missing_ok=True)
        kept.unlink(missing_ok=True)
        os.replace(target, kept)
        for extra in ("-wal", "-shm"):
            side = Path(f"{target}{extra}")
            if side.exists():
                os.replace(side, Path(f"{kept}{extra}"))


def restore_backup(url: str, backup_file: Path) -> RestoreInfo:
    """Replace the database at ``url`` with a verified backup; the old one is kept aside.

    Close the app on every PC before restoring: a running copy would keep
    writing to the file that is being replaced.
    """
    target = _sqlite_path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Extract beside the target so the final rename stays on one file system.
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=target.parent) as tmp:
        checked, manifest = verify_backup(backup_file, Path(tmp))
        kept: Path | None = None
        if target.exists():
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            kept = target.with_name(f"{target.stem}.replaced-{stamp}{target.suffix}")
            _set_aside(target, kept)
        os.replace(checked, target)
        # A WAL left from the old file must never be applied to the new one.
        for extra in ("-wal", "-shm", "-journal"):
            Path(f"{target}{extra}").unlink(missing_ok=True)
    counts = manifest.get("counts") or {}
    return RestoreInfo(
        target,
        kept,
        str(manifest.get("created_at", "")),
        int(counts.get("patients", 0)),
        int(counts.get("sessions", 0)),
    )


def auto_backup(
    db: Database,
    keep: int,
    today: date | None = None,
    check: Callable[[], None] | None = None,
) -> Path | None:
    """At most one automatic backup a day into the backups folder, keeping the last ``keep``.

    Returns the new file, or None when today's backup exists already or the
    database is not a SQLite file.
    """
    if db.sqlite_path is None or not db.sqlite_path.exists():
        return None
    folder = config.paths().backups
    folder.mkdir(parents=True, exist_ok=True)
    day = (today or date.today()).strftime("%Y%m%d")
    existing = sorted(folder.glob(f"{AUTO_PREFIX}*{SUFFIX}"))
    if any(p.name.startswith(f"{AUTO_PREFIX}{day}") for p in existing):
        return None
    stamp = datetime.now(UTC).strftime("%H%M%SZ")
    out = folder / f"{AUTO_PREFIX}{day}T{stamp}{SUFFIX}"
    make_backup(db, out, check=check)
    existing = sorted(folder.glob(f"{AUTO_PREFIX}*{SUFFIX}"))
    for old in existing[: max(0, len(existing) - max(1, keep))]:
        old.unlink(missing_ok=True)
    return out
