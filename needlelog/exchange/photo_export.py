"""Copies of a patient's photo originals into a folder, named ``DATE_VIEW_before|after.ext``
(``photos export``). The originals are copied as stored (private metadata already
removed at import); withdrawn photos are left out."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from needlelog.domain.accounts import Permission
from needlelog.services import access, patients, photos
from needlelog.store.database import Database
from needlelog.store.files import atomic_path, check_output, output_error


@dataclass(frozen=True)
class PhotoExport:
    written: tuple[Path, ...]
    missing: tuple[str, ...]  # one line per original not found in the store


def _unique(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    stem, dot, ext = name.rpartition(".")
    n = 2
    while f"{stem}_{n}{dot}{ext}" in taken:
        n += 1
    return f"{stem}_{n}{dot}{ext}"


def export_photos(db: Database, record_no: str, out: Path) -> PhotoExport:
    """Copy the patient's photos into ``out`` (made if missing). Raises ``NotFound`` for
    an unknown record number and ``OutputError`` when the folder cannot be written;
    ``AccessRefused`` (nothing written) for an account that may not export."""
    access.require(db, Permission.EXPORT)
    patient = patients.find_by_record_no(db, record_no)
    found = photos.for_patient(db, patient.id)
    store = photos.photo_store(db)
    check_output(out, folder=True)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise output_error(exc, out) from None
    taken = {p.name for p in out.iterdir()} if out.is_dir() else set()
    written: list[Path] = []
    missing: list[str] = []
    for photo in found:
        source = store.path_for(photo.sha256)
        if not source.is_file():
            missing.append(f"photo {photo.id} ({photo.export_name}) is missing from {store.root}")
            continue
        name = _unique(photo.export_name, taken)
        taken.add(name)
        target = out / name
        with atomic_path(target) as partial:
            shutil.copyfile(source, partial)
        written.append(target)
    return PhotoExport(tuple(written), tuple(missing))
