"""Photos beside an encrypted backup are age files too: none leaves in the clear."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import zipfile
from pathlib import Path

import pyrage
import pytest

from needlelog.exchange.backup import BackupRefused, make_backup, restore_backup
from needlelog.exchange.encryption import Decryption, Encryption
from needlelog.services import check, photos
from needlelog.store.database import Database
from needlelog.store.migrate import open_database
from tests.cli_runner import run_cli
from tests.exchange.test_encrypted_backup import (
    AGE,
    PASSPHRASE,
    _age_with_passphrase,
    _keypair,
    needs_age,
)
from tests.exchange.test_photo_backup import _with_photos

PHOTOS = "needlelog-photos"


def _originals(db: Database, shas: list[str]) -> dict[str, bytes]:
    store = photos.photo_store(db)
    return {sha: store.read(sha) for sha in shas}


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _no_plain_photo(folder: Path, originals: dict[str, bytes]) -> None:
    """No file in the folder holds a photo's bytes (whole, or a slice from its middle)."""
    files = _files(folder)
    assert files
    for sha, data in originals.items():
        middle = data[len(data) // 2 : len(data) // 2 + 512]
        for name, content in files.items():
            assert data not in content and middle not in content, (sha, name)
            assert not content.startswith(b"\xff\xd8"), name  # no JPEG at all
            assert not name.endswith(sha), name  # no plain photo under its checksum name


def _sealed(folder: Path, sha: str) -> Path:
    (found,) = (folder / PHOTOS / sha[:2]).glob(f"{sha}.*.age")
    return found


def _mtimes(folder: Path) -> dict[str, int]:
    return {
        str(p.relative_to(folder)): p.stat().st_mtime_ns
        for p in (folder / PHOTOS).rglob("*")
        if p.is_file()
    }


def _passphrase_backup(db_path: Path, out: Path) -> str:
    env = {"NEEDLELOG_BACKUP_PASSPHRASE": PASSPHRASE}
    done = run_cli("--db", str(db_path), "backup", "--out", str(out), env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_passphrase_backup_seals_photos_restores_them_and_is_incremental(
    db: Database, db_path: Path, tmp_path: Path
) -> None:
    shas = _with_photos(db, tmp_path)
    originals = _originals(db, shas)
    db.dispose()
    folder = tmp_path / "drive"
    folder.mkdir()
    _passphrase_backup(db_path, folder / "monday.zip.age")
    _no_plain_photo(folder, originals)
    for sha in shas:
        assert _sealed(folder, sha).read_bytes().startswith(b"age-encryption.org/v1\n-> X25519 ")
    assert len(list((folder / PHOTOS / "keys").glob("*.age"))) == 1  # the photo key, sealed

    # The next backup with the same passphrase into the same folder copies no photo again.
    before = _mtimes(folder)
    _passphrase_backup(db_path, folder / "tuesday.zip.age")
    assert _mtimes(folder) == before

    # Wrong passphrase: refused, the records there not changed, no photo restored.
    new_db = tmp_path / "newpc" / "clinic.sqlite3"
    new_db.parent.mkdir()
    shutil.copy(db_path, new_db)
    kept = new_db.read_bytes()
    wrong = {"NEEDLELOG_BACKUP_PASSPHRASE": "copper violin harbour eighteen"}
    done = run_cli("--db", str(new_db), "restore", str(folder / "tuesday.zip.age"), env=wrong)
    assert done.returncode == 2
    assert "the passphrase is wrong. The current records were not changed." in done.stderr
    assert new_db.read_bytes() == kept
    assert sorted(p.name for p in new_db.parent.iterdir()) == ["clinic.sqlite3"]

    # The right one: every photo comes back, verified against its checksum.
    right = {"NEEDLELOG_BACKUP_PASSPHRASE": PASSPHRASE}
    done = run_cli("--db", str(new_db), "restore", str(folder / "tuesday.zip.age"), env=right)
    assert done.returncode == 0, done.stderr
    restored = open_database(f"sqlite:///{new_db}")
    try:
        report = check.run(restored)
        assert report.ok, report.problems
        assert report.photos == 3
        assert _originals(restored, shas) == originals
    finally:
        restored.dispose()


def _key() -> tuple[Encryption, Decryption]:
    identity = pyrage.x25519.Identity.generate()
    return (
        Encryption(recipients=(str(identity.to_public()),)),
        Decryption(identities=(str(identity),)),
    )


def test_plain_and_sealed_photos_never_count_for_each_other(db: Database, tmp_path: Path) -> None:
    shas = _with_photos(db, tmp_path)
    originals = _originals(db, shas)
    encryption, _ = _key()
    plain_first, sealed_first = tmp_path / "a", tmp_path / "b"
    plain_first.mkdir()
    sealed_first.mkdir()
    assert make_backup(db, plain_first / "p.zip").photos_copied == 3
    info = make_backup(db, plain_first / "e.zip.age", encryption=encryption)
    assert (info.photos, info.photos_copied) == (3, 3)
    assert make_backup(db, sealed_first / "e.zip.age", encryption=encryption).photos_copied == 3
    _no_plain_photo(sealed_first, originals)
    assert make_backup(db, sealed_first / "p.zip").photos_copied == 3
    # And another key's photos do not count for this key's backup.
    other, _ = _key()
    assert make_backup(db, sealed_first / "o.zip.age", encryption=other).photos_copied == 3
    before = _mtimes(sealed_first)
    assert make_backup(db, sealed_first / "e2.zip.age", encryption=encryption).photos_copied == 0
    assert _mtimes(sealed_first) == before


@pytest.mark.parametrize("damage", ["flip", "remove", "other key"])
def test_a_tampered_sealed_photo_is_refused_by_name_and_changes_nothing(
    db: Database, db_path: Path, tmp_path: Path, damage: str
) -> None:
    shas = _with_photos(db, tmp_path)
    encryption, decryption = _key()
    folder = tmp_path / "drive"
    folder.mkdir()
    out = folder / "b.zip.age"
    make_backup(db, out, encryption=encryption)
    victim = _sealed(folder, shas[1])
    if damage == "flip":
        data = bytearray(victim.read_bytes())
        data[-10] ^= 0xFF
        victim.write_bytes(bytes(data))
    elif damage == "remove":
        victim.unlink()
    else:  # replaced by the same photo sealed to someone else's key
        stranger = pyrage.x25519.Identity.generate().to_public()
        victim.write_bytes(pyrage.encrypt(photos.photo_store(db).read(shas[1]), [stranger]))
    db.dispose()
    target = tmp_path / "other" / "clinic.sqlite3"
    target.parent.mkdir()
    shutil.copy(db_path, target)
    before = target.read_bytes()
    with pytest.raises(BackupRefused) as info:
        restore_backup(f"sqlite:///{target}", out, decryption)
    said = str(info.value)
    assert shas[1][:12] in said and "The current records were not changed." in said
    assert ("missing" if damage == "remove" else "cannot be decrypted") in said
    assert target.read_bytes() == before
    assert not (target.parent / "photos").exists()
    assert [p.name for p in target.parent.iterdir()] == ["clinic.sqlite3"]


def test_a_key_backup_restores_its_photos_with_the_identity(db: Database, tmp_path: Path) -> None:
    shas = _with_photos(db, tmp_path)
    originals = _originals(db, shas)
    encryption, decryption = _key()
    folder = tmp_path / "drive"
    folder.mkdir()
    make_backup(db, folder / "b.zip.age", encryption=encryption)
    _no_plain_photo(folder, originals)
    assert not (folder / PHOTOS / "keys").exists()  # sealed to the clinic's key itself
    db.dispose()
    new_db = tmp_path / "newpc" / "clinic.sqlite3"
    restore_backup(f"sqlite:///{new_db}", folder / "b.zip.age", decryption)
    restored = open_database(f"sqlite:///{new_db}")
    try:
        assert _originals(restored, shas) == originals
    finally:
        restored.dispose()


@needs_age
def test_the_age_tool_opens_a_photo_with_the_clinic_key(
    db: Database, db_path: Path, tmp_path: Path
) -> None:
    shas = _with_photos(db, tmp_path, count=1)
    original = photos.photo_store(db).read(shas[0])
    key, public = _keypair(tmp_path)
    folder = tmp_path / "drive"
    folder.mkdir()
    make_backup(db, folder / "b.zip.age", encryption=Encryption(recipients=(public,)))
    opened = tmp_path / "photo.jpg"
    done = subprocess.run(
        [str(AGE), "-d", "-i", str(key), "-o", str(opened), str(_sealed(folder, shas[0]))],
        capture_output=True,
    )
    assert done.returncode == 0, done.stderr
    assert opened.read_bytes() == original


@needs_age
def test_the_age_tool_opens_a_photo_with_the_key_inside_a_passphrase_backup(
    db: Database, db_path: Path, tmp_path: Path
) -> None:
    shas = _with_photos(db, tmp_path, count=1)
    original = photos.photo_store(db).read(shas[0])
    db.dispose()
    folder = tmp_path / "drive"
    folder.mkdir()
    _passphrase_backup(db_path, folder / "b.zip.age")
    opened_zip = tmp_path / "opened.zip"
    code, said = _age_with_passphrase(folder / "b.zip.age", opened_zip, PASSPHRASE)
    assert code == 0, said
    key = tmp_path / "photo-key.txt"
    with zipfile.ZipFile(opened_zip) as zf:
        key.write_bytes(zf.read("photo-key.txt"))
    opened = tmp_path / "photo.jpg"
    done = subprocess.run(
        [str(AGE), "-d", "-i", str(key), "-o", str(opened), str(_sealed(folder, shas[0]))],
        capture_output=True,
    )
    assert done.returncode == 0, done.stderr
    assert hashlib.sha256(opened.read_bytes()).hexdigest() == shas[0]
    assert opened.read_bytes() == original
