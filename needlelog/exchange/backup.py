"""Backups as one file, and restore that checks everything before replacing anything.

A backup is a zip holding ``needlelog.sqlite3`` (a consistent copy made with
SQLite's online backup API, safe while others save) and ``manifest.json``
(format, app version, schema revision, creation time, record counts and
the SHA-256 of every file). Restore refuses a file whose manifest, checksums,
SQLite integrity check or schema revision is not right, before touching the
current database; the replaced database is kept beside it under a
``.replaced-<time>`` name.

A backup may be encrypted (``exchange.encryption``): the zip is then wrapped
in one standard age file, ``.zip.age``, that the ``age`` tool opens as well.
Restore recognises an age file by its first bytes, decrypts it into a private
working folder beside the database and checks the zip inside as above; a plain
zip from an earlier version restores as before.

Only SQLite databases are backed up this way; a PostgreSQL server is backed
up with its own tools (pg_dump).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

from needlelog import __version__, config
from needlelog.config import sqlite_url
from needlelog.exchange import encryption as age
from needlelog.exchange.encryption import Decryption, Encryption
from needlelog.exchange.files import OutputError, atomic_path, check_output
from needlelog.services import disclosures
from needlelog.store.database import Database
from needlelog.store.errors import (
    DatabaseInUse,
    DiskFull,
    ForeignDatabase,
    StoreError,
    translate,
)
from needlelog.store.files import (
    AUTO_BACKUP_PREFIX,
    KEPT_MARK,
    SIDE_FILES,
    describe_os_error,
    make_private,
    output_error,
    private_dir,
    sqlite_readonly_uri,
)
from needlelog.store.inuse import ensure_unused, in_use_message
from needlelog.store.migrate import HEAD, alembic_config, inspect_sqlite_file
from needlelog.store.snapshot import copy_sqlite

if TYPE_CHECKING:
    from needlelog.exchange.photo_backup import PhotoBackup

FORMAT = "needlelog-backup"
FORMAT_VERSION = 1
DB_MEMBER = "needlelog.sqlite3"
MANIFEST = "manifest.json"
AUTO_PREFIX = AUTO_BACKUP_PREFIX
SUFFIX = ".zip"
ENCRYPTED_SUFFIX = ".zip.age"
CHUNK = 1 << 20
MAX_MANIFEST_BYTES = 64 * 1024
# The largest database a backup may declare (far above any clinic's records).
MAX_DATABASE_BYTES = 1 << 40
# Room left on the disk after a restore has unpacked its database.
FREE_SPACE_MARGIN = 16 << 20
STAGING_PREFIX = ".needlelog-backup-"


class BackupRefused(Exception):
    """The file is not a usable backup (damaged, truncated, foreign or too new); nothing changed."""


class BackupLocked(BackupRefused):
    """The backup is encrypted and no passphrase or identity was given for it."""

    def __init__(self, message: str, passphrase: bool) -> None:
        super().__init__(message)
        self.passphrase = passphrase  # True: it asks for a passphrase; False: an identity


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
    encrypted: str = ""  # how it is encrypted, in words; empty for a plain zip
    photos: int = 0  # originals beside the backup file (exchange.photo_backup)
    photos_copied: int = 0  # of which new in that folder


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
    conn = sqlite3.connect(sqlite_readonly_uri(path), uri=True)
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
    encryption: Encryption | None = None,
) -> BackupInfo:
    """Write one backup file; the copy is consistent even while others are saving.

    ``check`` runs between steps of the copy; whatever it raises stops the backup
    and leaves no file behind. With ``encryption`` the zip is made in the private
    working folder and only its encrypted form is written to ``out``.
    """
    source = db.sqlite_path
    if source is None:
        _sqlite_path(db.url)
        raise BackupUnsupported("this database cannot be backed up as one file")
    check_output(out)
    # The working copy is a plain copy of every record: it stays in the database's
    # own (private) folder, never in the system's shared temp folder, and the next
    # start removes it should this process be killed (see ``clean_leftovers``).
    try:
        staging = tempfile.TemporaryDirectory(
            prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=source.parent
        )
    except OSError as exc:
        raise output_error(exc, out) from None
    with staging as tmp:
        copy = Path(tmp) / DB_MEMBER
        try:
            copy_sqlite(source, copy, check=check)
        except OSError as exc:
            raise output_error(exc, out) from None
        except sqlite3.Error as exc:
            known = translate(exc, db.display_name)
            if isinstance(known, DiskFull):  # the working copy could not be written
                raise OutputError(
                    f"cannot write {out}: the disk holding the database is full or failing "
                    "(the backup's working copy is made beside it); nothing was written",
                    usage=False,
                ) from None
            if known is not None:
                raise known from None
            raise
        if progress is not None:
            progress(1, 3)
        revision, patients, sessions = _facts(copy)
        photo_set = _photos_beside(db, copy, out, check, encryption)
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
        if photo_set is not None:
            manifest["photos"] = photo_set.manifest()
        steps = 3 if encryption is None else 4
        if progress is not None:
            progress(2, steps)
        with atomic_path(out) as temp:
            plain = temp if encryption is None else Path(tmp) / "backup.zip"
            with zipfile.ZipFile(plain, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
                zf.writestr(MANIFEST, json.dumps(manifest, indent=2))
                zf.write(copy, DB_MEMBER)
                if photo_set is not None:
                    _photo_list(zf, photo_set)
            _verify_zip(plain)
            if encryption is not None:
                copy.unlink()  # room on the disk for the encrypted copy
                if progress is not None:
                    progress(3, steps)
                try:
                    age.encrypt_file(plain, temp, encryption, check)
                except (age.NotEnoughMemory, MemoryError) as exc:
                    raise OutputError(
                        f"{out} was not written: {exc or 'there is not enough memory'}",
                        usage=False,
                    ) from None
            if progress is not None:  # last chance to cancel: nothing is in place yet
                progress(steps, steps)
    disclosures.log(db, config.current_user(), disclosures.BACKUP, what=f"backup to {out}")
    return BackupInfo(
        out,
        created,
        revision,
        patients,
        sessions,
        out.stat().st_size,
        "" if encryption is None else encryption.describe(),
        *((0, 0) if photo_set is None else (len(photo_set.listed), photo_set.copied)),
    )


# -- photographs: beside the backup file, incremental (exchange.photo_backup) ----------


def _photos_beside(
    db: Database,
    copy: Path,
    out: Path,
    check: Callable[[], None] | None,
    encryption: Encryption | None,
) -> PhotoBackup | None:
    from needlelog.exchange import photo_backup
    from needlelog.services import photos

    return photo_backup.copy_beside(photos.photo_store(db), copy, out, check, encryption)


def _photo_list(zf: zipfile.ZipFile, photo_set: PhotoBackup) -> None:
    from needlelog.exchange import photo_backup

    photo_backup.write_list(zf, photo_set)


def _restore_photos(
    backup_file: Path,
    plain: Path,
    manifest: dict,
    checked: Path,
    target: Path,
    decryption: Decryption | None,
    work_dir: Path,
) -> None:
    """Verify every photo the backup lists (``plain``: its zip, decrypted; encrypted photos
    are decrypted into ``work_dir``), then put it into the restored database's photo
    store, before the database itself is replaced."""
    from needlelog.exchange import photo_backup

    verified = photo_backup.verify(
        plain,
        backup_file.parent,
        manifest,
        lambda why: _refuse(backup_file, why),
        decryption,
        work_dir,
    )
    if verified:
        photo_backup.restore_into(photo_backup.store_for_copy(checked, target), verified)


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


_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _manifest_problem(manifest: object) -> str | None:
    """What is wrong with a manifest's shape (types, required keys), or None."""
    if not isinstance(manifest, dict):
        return "its manifest is not a JSON object"
    for key, kind in (("app_version", str), ("created_at", str)):
        if not isinstance(manifest.get(key), kind):
            return f"its manifest has no valid {key}"
    try:
        datetime.fromisoformat(manifest["created_at"])
    except ValueError:
        return "its manifest has no valid created_at"
    revision = manifest.get("schema_revision")
    if revision is not None and not (isinstance(revision, str) and 0 < len(revision) <= 64):
        return "its manifest has no valid schema_revision"
    counts = manifest.get("counts")
    if not isinstance(counts, dict) or not all(
        _count(counts.get(k)) for k in ("patients", "sessions")
    ):
        return "its manifest has no valid counts"
    files = manifest.get("files")
    if not isinstance(files, dict) or not isinstance(files.get(DB_MEMBER), dict):
        return "it holds no database"
    entry = files[DB_MEMBER]
    if not (isinstance(entry.get("sha256"), str) and _SHA256.match(entry["sha256"])):
        return "its manifest has no valid checksum for the database"
    size = entry.get("size")
    if not _count(size) or size > MAX_DATABASE_BYTES:
        return "its manifest has no valid size for the database"
    return None


def read_manifest(file: Path) -> dict:
    """The manifest of a backup file, or ``BackupRefused`` if it is not one.

    The manifest is read with a size cap and its shape is validated (types,
    required keys) before anything trusts it.
    """
    try:
        with zipfile.ZipFile(file) as zf:
            names = set(zf.namelist())
            if MANIFEST not in names:
                raise _refuse(file, "it is not a needlelog backup (no manifest)")
            with zf.open(MANIFEST) as handle:
                raw = handle.read(MAX_MANIFEST_BYTES + 1)
            if len(raw) > MAX_MANIFEST_BYTES:
                raise _refuse(file, "its manifest is too large to be a needlelog manifest")
            manifest = json.loads(raw)
    except FileNotFoundError:
        raise _refuse(file, "the file does not exist") from None
    except IsADirectoryError:
        raise _refuse(file, "it is a folder, not a backup file") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error):
        raise _refuse(file, "it is damaged or truncated, or not a backup file") from None
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise _refuse(file, "its manifest is damaged") from None
    except OSError as exc:
        raise _refuse(file, f"it cannot be read ({describe_os_error(exc)})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _refuse(file, "it is not a needlelog backup")
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _refuse(file, "its manifest has no valid format_version")
    if version > FORMAT_VERSION:
        raise _refuse(file, "it was written by a newer version of needlelog")
    problem = _manifest_problem(manifest)
    if problem is not None:
        raise _refuse(file, problem)
    if DB_MEMBER not in names:
        raise _refuse(file, "it holds no database")
    return manifest


def _extract(file: Path, target: Path, expected_size: int) -> str:
    """Extract the database, never more bytes than the manifest declares; its SHA-256."""
    digest = hashlib.sha256()
    written = 0
    try:
        with zipfile.ZipFile(file) as zf:
            declared = zf.getinfo(DB_MEMBER).file_size
            if declared != expected_size:
                raise _refuse(file, "the database inside does not match its manifest")
            free = shutil.disk_usage(target.parent).free
            if expected_size + FREE_SPACE_MARGIN > free:
                raise OutputError(
                    f"there is not enough free space beside the database to restore "
                    f"{file.name} ({expected_size:,} bytes needed, {free:,} free); "
                    "nothing was changed",
                    usage=False,
                )
            with zf.open(DB_MEMBER) as src, open(target, "wb") as dst:
                while chunk := src.read(CHUNK):
                    written += len(chunk)
                    if written > expected_size:
                        raise _refuse(file, "the database inside is larger than its manifest says")
                    digest.update(chunk)
                    dst.write(chunk)
    except (zipfile.BadZipFile, EOFError, zlib.error, ValueError, KeyError):
        raise _refuse(file, "the database inside is damaged or truncated") from None
    except OutputError:
        raise
    except OSError as exc:
        raise OutputError(
            f"{file.name} could not be restored: {describe_os_error(exc)} while unpacking "
            "it; nothing was changed",
            usage=False,
        ) from None
    if written != expected_size:
        raise _refuse(file, "the database inside does not match its checksum")
    return digest.hexdigest()


def _schema(path: Path) -> dict[str, set[str]]:
    conn = sqlite3.connect(sqlite_readonly_uri(path), uri=True)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {t: {r[1] for r in conn.execute(f"PRAGMA table_info({_quoted(t)})")} for t in tables}
    finally:
        conn.close()


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _reference_schema(revision: str, work_dir: Path) -> dict[str, set[str]]:
    """The tables and columns a database at ``revision`` has, built by its migrations."""
    from alembic import command
    from sqlalchemy import create_engine

    reference = work_dir / "reference.sqlite3"
    engine = create_engine(sqlite_url(reference))
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), revision)
    finally:
        engine.dispose()
    try:
        return _schema(reference)
    finally:
        reference.unlink(missing_ok=True)


def _missing_schema(found: dict[str, set[str]], wanted: dict[str, set[str]]) -> list[str]:
    missing = []
    for table, columns in sorted(wanted.items()):
        if table not in found:
            missing.append(f"table {table}")
        else:
            missing += [f"{table}.{c}" for c in sorted(columns - found[table])]
    return missing


def _check_copy(file: Path, copy: Path) -> tuple[int, int]:
    """needlelog's own check on the extracted copy; the counts it measured."""
    from needlelog.services import check

    probe = Database(sqlite_url(copy))
    try:
        report = check.run(probe, photo_files=False)  # the photos: _restore_photos
    except StoreError as exc:
        raise _refuse(file, f"the database inside fails needlelog's check ({exc})") from None
    finally:
        probe.dispose()
    if not report.ok:
        first = str(report.problems[0])[:200]
        raise _refuse(
            file,
            f"the database inside fails needlelog's check ({len(report.problems)} "
            f"problem(s), first: {first})",
        )
    return report.patients, report.sessions


def verify_backup(file: Path, work_dir: Path) -> tuple[Path, dict]:
    """Extract and check a backup into ``work_dir``; returns the checked database copy.

    The returned manifest's ``counts`` are replaced by the counts measured in
    the copy: nothing the file merely says is reported as fact.
    """
    manifest = read_manifest(file)
    target = work_dir / DB_MEMBER
    expected = manifest["files"][DB_MEMBER]
    if _extract(file, target, expected["size"]) != expected["sha256"]:
        raise _refuse(file, "the database inside does not match its checksum")
    try:
        conn = sqlite3.connect(sqlite_readonly_uri(target), uri=True)
        try:
            result = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        finally:
            conn.close()
        if result != ["ok"]:
            raise _refuse(
                file, f"the database inside fails SQLite's integrity check ({result[0][:200]})"
            )
        tables = _schema(target)
        if "alembic_version" not in tables:
            raise _refuse(file, "the database inside is not a needlelog database")
        revision, patients, sessions = _facts(target)
    except sqlite3.Error as exc:
        raise _refuse(file, f"the database inside is not readable ({str(exc)[:200]})") from None
    if revision is None or not _known_revision(revision):
        raise _refuse(
            file,
            f"its schema ({str(revision)[:64]}) is newer than this version of needlelog "
            "knows; install that version or newer to restore it",
        )
    missing = _missing_schema(tables, _reference_schema(revision, work_dir))
    if missing:
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        raise _refuse(
            file,
            f"the database inside is incomplete (missing {', '.join(missing[:3])}{more})",
        )
    if revision == HEAD:
        patients, sessions = _check_copy(file, target)
    measured = dict(manifest)
    measured["counts"] = {"patients": patients, "sessions": sessions}
    return target, measured


def _kept_name(target: Path) -> Path:
    """A name for the replaced database no earlier restore has used, reserved at once."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for n in range(1, 10_000):
        tail = "" if n == 1 else f"-{n}"
        kept = target.with_name(f"{target.stem}{KEPT_MARK}{stamp}{tail}{target.suffix}")
        if any(Path(f"{kept}{side}").exists() for side in SIDE_FILES):
            continue
        try:
            os.close(os.open(kept, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            continue
        return kept
    raise OutputError(f"no free name for the replaced copy of {target}", usage=False)


def _set_aside(target: Path, kept: Path) -> None:
    """Keep the database being replaced, with anything still in its WAL."""
    try:
        copy_sqlite(target, kept)
        make_private(kept)
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


def _not_foreign(target: Path) -> None:
    """Another program's database is never replaced; a damaged needlelog one may be."""
    try:
        inspect_sqlite_file(target, create=True)
    except ForeignDatabase:
        raise
    except StoreError:
        pass


def _locked(file: Path) -> BackupLocked:
    if age.needs_passphrase(file):
        return BackupLocked(
            f"{file.name} is encrypted with a passphrase: give the passphrase to restore it",
            passphrase=True,
        )
    return BackupLocked(
        f"{file.name} is encrypted to a public key: give the matching identity file "
        "(the secret key) to restore it",
        passphrase=False,
    )


def _unlock(file: Path, decryption: Decryption | None, work_dir: Path) -> Path:
    """The plain zip inside an encrypted backup, decrypted into ``work_dir``.

    It keeps the backup's own name (in a folder of its own), so every message
    about its contents names the file the person chose.
    """
    try:
        encrypted = age.is_encrypted(file)
        if not encrypted:
            return file
        if decryption is None:
            raise _locked(file)
        folder = work_dir / "opened"
        folder.mkdir(mode=0o700)
        plain = folder / file.name
        age.decrypt_file(file, plain, decryption)
    except age.WrongKey as exc:
        raise _refuse(file, str(exc)) from None
    except age.NotAgeFile:
        raise _refuse(file, "it is an encrypted file that is damaged or truncated") from None
    except (age.NotEnoughMemory, MemoryError) as exc:
        raise OutputError(
            f"{file.name} could not be restored: {exc or 'there is not enough memory'}; "
            "nothing was changed",
            usage=False,
        ) from None
    except OSError as exc:
        raise OutputError(
            f"{file.name} could not be restored: {describe_os_error(exc)} while decrypting "
            "it; nothing was changed",
            usage=False,
        ) from None
    return plain


def is_encrypted(file: Path) -> bool:
    return age.is_encrypted(file)


def open_manifest(file: Path, decryption: Decryption | None, work_dir: Path) -> dict:
    """The manifest of a plain or encrypted backup (decrypted into ``work_dir``, then removed).

    Raises ``BackupLocked`` for an encrypted file when ``decryption`` is None and
    ``BackupRefused`` when the passphrase or identity does not open it.
    """
    if not age.is_encrypted(file):
        return read_manifest(file)
    try:
        tmp_dir = tempfile.TemporaryDirectory(prefix=f".restore-{os.getpid()}-", dir=work_dir)
    except OSError as exc:
        raise output_error(exc, work_dir) from None
    with tmp_dir as tmp:
        return read_manifest(_unlock(file, decryption, Path(tmp)))


def restore_backup(
    url: str, backup_file: Path, decryption: Decryption | None = None
) -> RestoreInfo:
    """Replace the database at ``url`` with a verified backup; the old one is kept aside.

    An encrypted backup is opened with ``decryption`` (a passphrase or identities);
    without one it is refused with ``BackupLocked``, a wrong one with ``BackupRefused``.

    Refused (``DatabaseInUse``) while another needlelog, on this PC or another,
    has the database open: its saves would go into a file no one reads again.
    """
    target = _sqlite_path(url)
    _not_foreign(target)
    ensure_unused(target)
    try:
        private_dir(target.parent)
    except OSError as exc:
        raise output_error(exc, target) from None
    # Extract beside the target so the final rename stays on one file system.
    try:
        tmp_dir = tempfile.TemporaryDirectory(prefix=f".restore-{os.getpid()}-", dir=target.parent)
    except OSError as exc:
        raise output_error(exc, target) from None
    with tmp_dir as tmp:
        plain = _unlock(backup_file, decryption, Path(tmp))
        checked, manifest = verify_backup(plain, Path(tmp))
        _restore_photos(backup_file, plain, manifest, checked, target, decryption, Path(tmp))
        ensure_unused(target)  # again, at the last moment
        kept: Path | None = None
        try:
            if target.exists():
                kept = _kept_name(target)
                _set_aside(target, kept)
            make_private(checked)
            os.replace(checked, target)
        except PermissionError:  # Windows: a file another program holds open
            if kept is not None and not target.exists():
                os.replace(kept, target)
            raise DatabaseInUse(in_use_message(target)) from None
        except OSError as exc:
            raise OutputError(
                f"{target} could not be replaced: {describe_os_error(exc)}", usage=False
            ) from None
        # A WAL left from the old file must never be applied to the new one.
        for extra in SIDE_FILES:
            Path(f"{target}{extra}").unlink(missing_ok=True)
    counts = manifest["counts"]
    return RestoreInfo(
        target,
        kept,
        str(manifest.get("created_at", "")),
        int(counts["patients"]),
        int(counts["sessions"]),
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

    It runs with no one at the keyboard, so it cannot ask for a passphrase, and
    a passphrase stored beside the records would open every backup for whoever
    takes the PC. When the clinic has set backup public keys it is encrypted to
    them (``.zip.age``); until then it is a plain zip in the private backups
    folder, next to the (equally plain) database it copies.
    """
    if db.sqlite_path is None or not db.sqlite_path.exists():
        return None
    folder = private_dir(config.paths().backups)
    day = (today or date.today()).strftime("%Y%m%d")
    existing = _auto_backups(folder)
    if any(p.name.startswith(f"{AUTO_PREFIX}{day}") for p in existing):
        return None
    recipients = age.clinic_recipients(db)
    encryption = Encryption(recipients=recipients) if recipients else None
    stamp = datetime.now(UTC).strftime("%H%M%SZ")
    suffix = SUFFIX if encryption is None else ENCRYPTED_SUFFIX
    out = folder / f"{AUTO_PREFIX}{day}T{stamp}{suffix}"
    make_backup(db, out, check=check, encryption=encryption)
    existing = _auto_backups(folder)
    for old in existing[: max(0, len(existing) - max(1, keep))]:
        old.unlink(missing_ok=True)
    return out


def _auto_backups(folder: Path) -> list[Path]:
    """The automatic backups in ``folder``, plain or encrypted, oldest first."""
    return sorted(
        p for p in folder.glob(f"{AUTO_PREFIX}*") if p.name.endswith((SUFFIX, ENCRYPTED_SUFFIX))
    )
