"""Issue 13, point 4: malformed backups are refused before anything is replaced.

The attacks: a backup whose database has empty tables of the right names but
misses others was restored ("Restored 5 patients", counts copied from the
manifest) and ``check`` then failed; ``"counts": "lots"`` replaced the database
and crashed; a 600 KB zip declaring 147 KB was unpacked to 571 MB.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zipfile
from pathlib import Path

import pytest

from needlelog.exchange.backup import BackupRefused, make_backup, restore_backup
from needlelog.store.migrate import open_database
from tests.hardening.conftest import run, sha256


def _backup(clinic: Path, out: Path) -> dict:
    db = open_database(f"sqlite:///{clinic}")
    try:
        make_backup(db, out)
    finally:
        db.dispose()
    with zipfile.ZipFile(out) as zf:
        return json.loads(zf.read("manifest.json"))


def _write(out: Path, manifest: object, db_bytes: bytes) -> None:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
        zf.writestr("needlelog.sqlite3", db_bytes)


def _manifest_for(base: dict, db_bytes: bytes) -> dict:
    manifest = dict(base)
    manifest["files"] = {
        "needlelog.sqlite3": {"sha256": hashlib.sha256(db_bytes).hexdigest(), "size": len(db_bytes)}
    }
    return manifest


def _restore_refused(
    capsys: pytest.CaptureFixture[str], clinic: Path, backup: Path, why: str
) -> None:
    before = sha256(clinic)
    names = sorted(p.name for p in clinic.parent.iterdir())
    code, out, err = run(capsys, "--db", str(clinic), "restore", str(backup))
    assert code == 2, (out, err)
    assert out == "" and err.count("\n") == 1 and why in err, err
    assert "The current records were not changed." in err
    assert sha256(clinic) == before
    assert sorted(p.name for p in clinic.parent.iterdir()) == names


def test_a_database_missing_tables_is_refused(
    capsys: pytest.CaptureFixture[str], clinic: Path, tmp_path: Path
) -> None:
    base = _backup(clinic, tmp_path / "good.zip")
    hollow = tmp_path / "hollow.sqlite3"
    conn = sqlite3.connect(hollow)
    conn.executescript(
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);"
        f"INSERT INTO alembic_version VALUES ('{base['schema_revision']}');"
        "CREATE TABLE patients (id INTEGER PRIMARY KEY);"
        "CREATE TABLE treatment_sessions (id INTEGER PRIMARY KEY);"
    )
    conn.commit()
    conn.close()
    data = hollow.read_bytes()
    manifest = _manifest_for(base, data)
    manifest["counts"] = {"patients": 5, "sessions": 15}
    _write(tmp_path / "hollow.zip", manifest, data)
    _restore_refused(capsys, clinic, tmp_path / "hollow.zip", "the database inside is incomplete")


@pytest.mark.parametrize(
    "change",
    [
        {"counts": "lots"},
        {"counts": {"patients": -1, "sessions": 0}},
        {"created_at": 5},
        {"format_version": "1"},
        {"files": {"needlelog.sqlite3": {"sha256": "x", "size": 1}}},
        {"files": []},
        {"app_version": None},
    ],
    ids=lambda c: next(iter(c)),
)
def test_a_manifest_of_the_wrong_shape_is_refused(
    capsys: pytest.CaptureFixture[str], clinic: Path, tmp_path: Path, change: dict
) -> None:
    base = _backup(clinic, tmp_path / "good.zip")
    with zipfile.ZipFile(tmp_path / "good.zip") as zf:
        data = zf.read("needlelog.sqlite3")
    manifest = _manifest_for(base, data)
    manifest.update(change)
    _write(tmp_path / "odd.zip", manifest, data)
    _restore_refused(capsys, clinic, tmp_path / "odd.zip", "cannot be restored")


def test_a_zip_larger_than_it_declares_is_not_unpacked(
    capsys: pytest.CaptureFixture[str], clinic: Path, tmp_path: Path
) -> None:
    base = _backup(clinic, tmp_path / "good.zip")
    with zipfile.ZipFile(tmp_path / "good.zip") as zf:
        data = zf.read("needlelog.sqlite3")
    manifest = _manifest_for(base, data)  # declares the real database's size
    bomb = data + bytes(64 << 20)  # but holds 64 MB more (a few KB compressed)
    _write(tmp_path / "bomb.zip", manifest, bomb)
    assert (tmp_path / "bomb.zip").stat().st_size < 1 << 20
    _restore_refused(
        capsys, clinic, tmp_path / "bomb.zip", "the database inside does not match its manifest"
    )


def test_a_manifest_too_large_to_be_one_is_refused(
    capsys: pytest.CaptureFixture[str], clinic: Path, tmp_path: Path
) -> None:
    base = _backup(clinic, tmp_path / "good.zip")
    with zipfile.ZipFile(tmp_path / "good.zip") as zf:
        data = zf.read("needlelog.sqlite3")
    manifest = _manifest_for(base, data)
    manifest["padding"] = " " * (8 << 20)
    _write(tmp_path / "fat.zip", manifest, data)
    _restore_refused(capsys, clinic, tmp_path / "fat.zip", "manifest is too large")


def test_restore_reports_the_counts_it_measured(clinic: Path, tmp_path: Path) -> None:
    base = _backup(clinic, tmp_path / "good.zip")
    with zipfile.ZipFile(tmp_path / "good.zip") as zf:
        data = zf.read("needlelog.sqlite3")
    manifest = _manifest_for(base, data)
    manifest["counts"] = {"patients": 5000, "sessions": 15000}
    _write(tmp_path / "boast.zip", manifest, data)
    info = restore_backup(f"sqlite:///{clinic}", tmp_path / "boast.zip")
    assert (info.patients, info.sessions) == (4, 3)


def test_the_restored_database_must_pass_check(clinic: Path, tmp_path: Path) -> None:
    base = _backup(clinic, tmp_path / "good.zip")
    with zipfile.ZipFile(tmp_path / "good.zip") as zf:
        data = zf.read("needlelog.sqlite3")
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(data)
    conn = sqlite3.connect(broken)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("UPDATE treatment_sessions SET patient_id = 999999")
    conn.commit()
    conn.close()
    data = broken.read_bytes()
    _write(tmp_path / "orphans.zip", _manifest_for(base, data), data)
    before = sha256(clinic)
    with pytest.raises(BackupRefused, match="fails needlelog's check"):
        restore_backup(f"sqlite:///{clinic}", tmp_path / "orphans.zip")
    assert sha256(clinic) == before
