"""Backups carry the photos beside the file, incrementally; restore verifies every one."""

from __future__ import annotations

import json
import shutil
import zipfile
from datetime import datetime
from pathlib import Path

import pytest

from needlelog.exchange.backup import BackupRefused, make_backup, restore_backup
from needlelog.services import check, patients, photos, sessions
from needlelog.store.database import Database
from needlelog.store.migrate import open_database
from needlelog.store.photo_files import PhotoStore
from tests import camera_files as cam
from tests.factories import make_patient, make_session


def _with_photos(db: Database, tmp_path: Path, count: int = 3, first: int = 0) -> list[str]:
    pid = patients.register(db, make_patient(f"P-{first}"), "t").id
    visit = sessions.record(db, pid, make_session(performed_at=datetime(2026, 3, 2, 10)), "t")
    files = [
        cam.camera_jpeg(tmp_path / f"{first + i}.jpg", seed=first + i + 1) for i in range(count)
    ]
    return [p.sha256 for p in photos.add_files(db, visit.id, "front", False, files, "t")]


def test_backup_copies_photos_beside_once_and_restore_verifies_them(
    db: Database, db_path: Path, tmp_path: Path
) -> None:
    shas = _with_photos(db, tmp_path)
    folder = tmp_path / "drive"
    folder.mkdir()
    info = make_backup(db, folder / "monday.zip")
    assert (info.photos, info.photos_copied) == (3, 3)
    beside = PhotoStore(folder / "needlelog-photos")
    assert sorted(beside.checksums()) == sorted(shas)
    with zipfile.ZipFile(folder / "monday.zip") as zf:
        assert zf.read("photos.txt").decode().split() == sorted(shas)
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["photos"]["count"] == 3
    # the next backup into the same folder copies only what is new
    more = _with_photos(db, tmp_path, count=1, first=10)
    mtimes = {sha: beside.path_for(sha).stat().st_mtime_ns for sha in shas}
    info = make_backup(db, folder / "tuesday.zip")
    assert (info.photos, info.photos_copied) == (4, 1)
    assert {sha: beside.path_for(sha).stat().st_mtime_ns for sha in shas} == mtimes
    assert beside.verify(more[0]) is None

    # the PC is lost: restore into a new place, photos come back verified
    db.dispose()
    new_db = tmp_path / "newpc" / "clinic.sqlite3"
    restore_backup(f"sqlite:///{new_db}", folder / "tuesday.zip")
    restored = open_database(f"sqlite:///{new_db}")
    try:
        report = check.run(restored)
        assert report.ok, report.problems
        assert report.photos == 4
        assert sorted(PhotoStore(new_db.parent / "photos").checksums()) == sorted(shas + more)
    finally:
        restored.dispose()


@pytest.mark.parametrize("damage", ["flip", "remove"])
def test_restore_refuses_a_damaged_or_missing_photo_and_changes_nothing(
    db: Database, db_path: Path, tmp_path: Path, damage: str
) -> None:
    shas = _with_photos(db, tmp_path)
    folder = tmp_path / "drive"
    folder.mkdir()
    make_backup(db, folder / "b.zip")
    db.dispose()
    victim = PhotoStore(folder / "needlelog-photos").path_for(shas[1])
    if damage == "flip":
        data = bytearray(victim.read_bytes())
        data[-10] ^= 0xFF
        victim.write_bytes(bytes(data))
    else:
        victim.unlink()
    target = tmp_path / "other" / "clinic.sqlite3"
    target.parent.mkdir()
    shutil.copy(db_path, target)
    before = target.read_bytes()
    with pytest.raises(BackupRefused) as info:
        restore_backup(f"sqlite:///{target}", folder / "b.zip")
    assert shas[1][:12] in str(info.value)
    assert ("does not match its checksum" if damage == "flip" else "missing") in str(info.value)
    assert target.read_bytes() == before
    assert not (target.parent / "photos").exists()


def test_a_backup_without_photos_is_as_before(db: Database, tmp_path: Path) -> None:
    patients.register(db, make_patient("P-1"), "t")
    info = make_backup(db, tmp_path / "b.zip")
    assert info.photos == 0
    with zipfile.ZipFile(tmp_path / "b.zip") as zf:
        assert zf.namelist() == ["manifest.json", "needlelog.sqlite3"]
    assert not (tmp_path / "needlelog-photos").exists()
