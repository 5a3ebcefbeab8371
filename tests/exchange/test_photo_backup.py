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
from tests.consenting import register_consenting
from tests.factories import make_patient, make_session


def _with_photos(db: Database, tmp_path: Path, count: int = 3, first: int = 0) -> list[str]:
    pid = register_consenting(db, make_patient(f"P-{first}"), "t").id
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
    register_consenting(db, make_patient("P-1"), "t")
    info = make_backup(db, tmp_path / "b.zip")
    assert info.photos == 0
    with zipfile.ZipFile(tmp_path / "b.zip") as zf:
        assert zf.namelist() == ["manifest.json", "needlelog.sqlite3"]
    assert not (tmp_path / "needlelog-photos").exists()


def test_json_lists_photos_by_checksum_and_fhir_adds_media(db: Database, tmp_path: Path) -> None:
    from fhir.resources.R4B.media import Media

    from needlelog.domain.photos import PhotoUse
    from needlelog.exchange.fhir_export import export_fhir, urn
    from needlelog.exchange.json_export import export_json

    shas = _with_photos(db, tmp_path, count=2)
    pid = patients.find_by_record_no(db, "P-0").id
    photos.set_uses(db, pid, [PhotoUse.CLINICAL_RECORD, PhotoUse.TEACHING], "t")
    withdrawn = photos.for_patient(db, pid)[1]
    photos.withdraw(db, withdrawn.id, "blurred", "t")
    export_json(db, tmp_path / "r.json")
    doc = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert doc["counts"]["photos"] == 2
    first, second = doc["photos"]
    assert first["sha256"] == shas[0] and first["record_no"] == "P-0"
    assert (first["view"], first["timing"], first["ext"], first["orientation"]) == (
        "front", "before", "jpg", 6,
    )  # fmt: skip
    assert first["capture"]["camera"] == "NIKON D850" and first["capture"]["flash_fired"] is False
    assert first["capture"]["exposure_time_s"] == pytest.approx(1 / 125)
    assert second["withdrawn"]["reason"] == "blurred"
    assert doc["photo_uses"] == [{"record_no": "P-0", "uses": ["clinical_record", "teaching"]}]
    # a patient's own export holds only their photos
    other = _with_photos(db, tmp_path, count=1, first=20)
    export_json(db, tmp_path / "one.json", record_no="P-20")
    one = json.loads((tmp_path / "one.json").read_text(encoding="utf-8"))
    assert [p["sha256"] for p in one["photos"]] == other

    export_fhir(db, tmp_path / "f.json")
    bundle = json.loads((tmp_path / "f.json").read_text(encoding="utf-8"))
    urls = {e["fullUrl"] for e in bundle["entry"]}
    media = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Media"]
    assert len(media) == 2  # the withdrawn photo is left out
    for m in media:
        Media.parse_obj(m)
        assert m["subject"]["reference"] in urls
        assert m["partOf"][0]["reference"] in urls and m["encounter"]["reference"] in urls
    m = next(m for m in media if m["identifier"][0]["value"] == shas[0])
    assert m["subject"]["reference"] == urn("patient", pid)
    assert (m["width"], m["height"]) == (480, 640)
    assert m["view"]["coding"][0]["code"] == "front"
    assert m["content"]["contentType"] == "image/jpeg"


def test_an_encrypted_backup_restores_its_photos(db: Database, tmp_path: Path) -> None:
    import pyrage

    from needlelog.exchange.encryption import Decryption, Encryption

    shas = _with_photos(db, tmp_path, count=2)
    identity = pyrage.x25519.Identity.generate()
    folder = tmp_path / "drive"
    folder.mkdir()
    out = folder / "b.zip.age"
    info = make_backup(db, out, encryption=Encryption(recipients=(str(identity.to_public()),)))
    assert (info.photos, info.photos_copied) == (2, 2)
    db.dispose()
    new_db = tmp_path / "newpc" / "clinic.sqlite3"
    restore_backup(f"sqlite:///{new_db}", out, Decryption(identities=(str(identity),)))
    assert sorted(PhotoStore(new_db.parent / "photos").checksums()) == sorted(shas)
