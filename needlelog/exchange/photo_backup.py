"""Photographs in backups: the originals go beside the backup file, into a
``needlelog-photos`` folder laid out like the photo store (named by checksum), and
the backup zip lists their checksums (``photos.txt``).

A backup into a folder is therefore incremental for photos: an original already
in that folder (from an earlier backup into it, the daily automatic backups
included) is not copied again, only checked to be present with the right size
(a copy is verified against its checksum when it is made). Restore verifies
every listed photo against its checksum before anything is replaced, then puts
the originals into the restored database's photo store.
"""

from __future__ import annotations

import hashlib
import sqlite3
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from needlelog.exchange.files import OutputError
from needlelog.services import photos
from needlelog.store.files import describe_os_error, sqlite_readonly_uri
from needlelog.store.photo_files import PhotoStore, PhotoStoreError, file_sha256

FOLDER = "needlelog-photos"
LIST_MEMBER = "photos.txt"
MAX_LIST_BYTES = 65 * 10_000_000  # ten million checksums


@dataclass(frozen=True)
class PhotoBackup:
    listed: tuple[str, ...]  # checksums of the originals beside the backup
    copied: int  # how many were new in that folder
    missing: tuple[str, ...]  # used by a record but not in the store (check reports them)

    def manifest(self) -> dict[str, object]:
        return {
            "folder": FOLDER,
            "count": len(self.listed),
            "copied": self.copied,
            "missing": len(self.missing),
            "list_sha256": hashlib.sha256(_list_text(self.listed).encode()).hexdigest(),
        }


def _list_text(checksums: tuple[str, ...]) -> str:
    return "".join(f"{sha}\n" for sha in checksums)


def used_checksums(copy: Path) -> list[str]:
    """The checksums of the originals a database copy's records use."""
    conn = sqlite3.connect(sqlite_readonly_uri(copy), uri=True)
    try:
        known = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'photos'"
        ).fetchone()
        if known is None:
            return []
        return sorted(r[0] for r in conn.execute("SELECT DISTINCT sha256 FROM photos"))
    finally:
        conn.close()


def store_for_copy(copy: Path, database: Path) -> PhotoStore:
    """The photo store a database copy names (its folder setting), for ``database``."""
    conn = sqlite3.connect(sqlite_readonly_uri(copy), uri=True)
    try:
        row = conn.execute("SELECT value FROM settings WHERE key = 'photo_folder'").fetchone()
    except sqlite3.Error:
        row = None
    finally:
        conn.close()
    import json

    chosen = json.loads(row[0]) if row else ""
    return photos.store_at(database, chosen if isinstance(chosen, str) else "")


def copy_beside(
    source: PhotoStore, copy: Path, out: Path, check: Callable[[], None] | None = None
) -> PhotoBackup | None:
    """Copy the originals a database copy uses beside the backup file ``out``; None when
    it uses none."""
    used = used_checksums(copy)
    if not used:
        return None
    target = PhotoStore(out.parent / FOLDER)
    listed: list[str] = []
    missing: list[str] = []
    copied = 0
    for sha in used:
        if check is not None:
            check()
        original = source.path_for(sha)
        if not original.is_file():
            missing.append(sha)
            continue
        there = target.path_for(sha)
        try:
            if there.is_file() and there.stat().st_size == original.stat().st_size:
                listed.append(sha)
                continue
            if there.is_file():  # damaged earlier copy: files are write-once, so set it aside
                there.replace(there.with_name(there.name + ".damaged"))
            if target.put_file(sha, original):
                copied += 1
        except PhotoStoreError:
            missing.append(sha)  # the original no longer matches its checksum
            continue
        except OSError as exc:
            raise OutputError(
                f"cannot write the photos beside {out} ({target.root}): {describe_os_error(exc)}",
                usage=False,
            ) from None
        listed.append(sha)
    return PhotoBackup(tuple(listed), copied, tuple(missing))


def write_list(zf: zipfile.ZipFile, backup: PhotoBackup) -> None:
    zf.writestr(LIST_MEMBER, _list_text(backup.listed))


def verify(
    file: Path, beside: Path, manifest: dict, refuse: Callable[[str], Exception]
) -> list[tuple[str, Path]]:
    """Every photo a backup zip ``file`` lists, present in the photo folder in ``beside``
    (the backup file's folder) and matching its checksum, as (checksum, file);
    ``refuse(why)`` is raised otherwise."""
    entry = manifest.get("photos")
    if entry is None:
        return []
    if not isinstance(entry, dict) or not isinstance(entry.get("count"), int):
        raise refuse("its manifest has no valid photo list")
    try:
        with zipfile.ZipFile(file) as zf, zf.open(LIST_MEMBER) as handle:
            raw = handle.read(MAX_LIST_BYTES + 1)
    except KeyError:
        raise refuse("its list of photos is missing") from None
    except (zipfile.BadZipFile, OSError, EOFError):
        raise refuse("its list of photos is damaged") from None
    if hashlib.sha256(raw).hexdigest() != entry.get("list_sha256"):
        raise refuse("its list of photos does not match its checksum")
    checksums = raw.decode("ascii", "replace").split()
    if len(checksums) != entry["count"]:
        raise refuse("its list of photos does not match its manifest")
    folder = PhotoStore(beside / FOLDER)
    found: list[tuple[str, Path]] = []
    for sha in checksums:
        try:
            path = folder.path_for(sha)
        except ValueError:
            raise refuse("its list of photos is damaged") from None
        try:
            actual = file_sha256(path)
        except FileNotFoundError:
            raise refuse(
                f"the photo {sha[:12]}… is missing from {folder.root} (keep that folder with "
                "the backup file)"
            ) from None
        except OSError as exc:
            raise refuse(
                f"the photo {sha[:12]}… cannot be read ({describe_os_error(exc)})"
            ) from None
        if actual != sha:
            raise refuse(f"the photo {sha[:12]}… in {folder.root} does not match its checksum")
        found.append((sha, path))
    return found


def restore_into(store: PhotoStore, verified: list[tuple[str, Path]]) -> int:
    """Put verified originals into the photo store (those already there are kept);
    answers how many were copied."""
    copied = 0
    for sha, path in verified:
        try:
            if store.put_file(sha, path):
                copied += 1
        except OSError as exc:
            raise OutputError(
                f"cannot write the photos into {store.root}: {describe_os_error(exc)}; "
                "the records were not changed",
                usage=False,
            ) from None
    return copied
