"""Backups: consistent while another process writes; restore checks before replacing."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import pytest

from needlelog import config
from needlelog.exchange.backup import (
    BackupRefused,
    BackupUnsupported,
    auto_backup,
    make_backup,
    read_manifest,
    restore_backup,
)
from needlelog.services import patients
from needlelog.store.database import Database
from needlelog.store.migrate import head_revision, open_database
from tests.cli_runner import ROOT, run_cli
from tests.consenting import register_consenting
from tests.exchange.records import fill_rich, snapshot
from tests.factories import make_patient


def _integrity(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()


def _session_ids(path: Path) -> set[int]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT id FROM treatment_sessions")}
    finally:
        conn.close()


def test_backup_while_another_process_writes(db: Database, db_path: Path, tmp_path: Path) -> None:
    patient = register_consenting(db, make_patient(), "tester")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.exchange.writer", f"sqlite:///{db_path}", str(patient.id)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )
    try:
        assert writer.stdout is not None
        saved_before = {int(writer.stdout.readline()) for _ in range(15)}
        info = make_backup(db, tmp_path / "live.zip")
        saved_after = {int(writer.stdout.readline()) for _ in range(15)}
    finally:
        writer.terminate()
        writer.wait(timeout=30)
    assert saved_after, "the writer kept saving during the backup"
    target = tmp_path / "restored.sqlite3"
    restored = restore_backup(f"sqlite:///{target}", tmp_path / "live.zip")
    assert restored.replaced_kept_as is None
    assert _integrity(target) == ["ok"]
    ids = _session_ids(target)
    assert saved_before <= ids
    assert info.sessions == len(ids) >= len(saved_before)


def test_restore_gives_back_the_records_and_keeps_the_replaced_file(
    db: Database, db_path: Path, tmp_path: Path
) -> None:
    fill_rich(db)
    before = snapshot(db)
    info = make_backup(db, tmp_path / "b.zip")
    assert (info.patients, info.sessions) == (4, 3)
    manifest = read_manifest(tmp_path / "b.zip")
    assert (
        manifest["format"] == "needlelog-backup" and manifest["schema_revision"] == head_revision()
    )
    assert len(manifest["files"]["needlelog.sqlite3"]["sha256"]) == 64
    patients.register(db, make_patient("P-LATER"), "tester")
    db.dispose()
    result = restore_backup(f"sqlite:///{db_path}", tmp_path / "b.zip")
    assert result.replaced_kept_as is not None and result.replaced_kept_as.exists()
    assert ".replaced-" in result.replaced_kept_as.name
    again = open_database(f"sqlite:///{db_path}")
    try:
        assert snapshot(again) == before
    finally:
        again.dispose()
    kept = open_database(f"sqlite:///{result.replaced_kept_as}")
    try:
        assert patients.find_by_record_no(kept, "P-LATER")
    finally:
        kept.dispose()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_truncated_backup_is_refused_by_the_cli(
    db: Database, db_path: Path, tmp_path: Path
) -> None:
    fill_rich(db)
    make_backup(db, tmp_path / "b.zip")
    db.dispose()
    data = (tmp_path / "b.zip").read_bytes()
    (tmp_path / "cut.zip").write_bytes(data[: len(data) // 2])
    before = _sha(db_path)
    done = run_cli("--db", str(db_path), "restore", str(tmp_path / "cut.zip"))
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "needlelog restore: error: cut.zip cannot be restored: it is damaged or truncated, or "
        "not a backup file. The current records were not changed."
    )
    assert _sha(db_path) == before
    assert sorted(p.name for p in db_path.parent.iterdir() if p.name.startswith("clinic")) == [
        "clinic.sqlite3"
    ]


def test_foreign_zip_is_refused(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "photos.zip", "w") as zf:
        zf.writestr("holiday.jpg", b"not a database")
    with pytest.raises(BackupRefused, match="it is not a needlelog backup"):
        restore_backup(f"sqlite:///{tmp_path / 'x.sqlite3'}", tmp_path / "photos.zip")
    assert not (tmp_path / "x.sqlite3").exists()


def _rewrite(src: Path, dst: Path, db_bytes: bytes | None = None, manifest: dict | None = None):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        zout.writestr(
            "manifest.json", json.dumps(manifest or json.loads(zin.read("manifest.json")))
        )
        zout.writestr("needlelog.sqlite3", db_bytes or zin.read("needlelog.sqlite3"))


def test_checksum_mismatch_and_damaged_database_are_refused(db: Database, tmp_path: Path) -> None:
    fill_rich(db)
    make_backup(db, tmp_path / "b.zip")
    with zipfile.ZipFile(tmp_path / "b.zip") as zf:
        original = zf.read("needlelog.sqlite3")
    flipped = bytearray(original)
    flipped[len(flipped) // 2] ^= 0xFF
    _rewrite(tmp_path / "b.zip", tmp_path / "flipped.zip", bytes(flipped))
    target = tmp_path / "t.sqlite3"
    with pytest.raises(BackupRefused, match="does not match its checksum"):
        restore_backup(f"sqlite:///{target}", tmp_path / "flipped.zip")
    # Damage with a matching checksum (a backup made from an already damaged file).
    garbage = bytearray(original)
    garbage[4096 * 2 : 4096 * 2 + 200] = b"\x00\xff" * 100
    manifest = read_manifest(tmp_path / "b.zip")
    manifest["files"]["needlelog.sqlite3"] = {
        "sha256": hashlib.sha256(garbage).hexdigest(),
        "size": len(garbage),
    }
    _rewrite(tmp_path / "b.zip", tmp_path / "damaged.zip", bytes(garbage), manifest)
    with pytest.raises(BackupRefused, match=r"integrity check|not readable"):
        restore_backup(f"sqlite:///{target}", tmp_path / "damaged.zip")
    assert not target.exists()


def test_backup_from_a_newer_version_is_refused(
    db: Database, db_path: Path, tmp_path: Path
) -> None:
    db.dispose()
    newer = tmp_path / "newer.sqlite3"
    newer.write_bytes(db_path.read_bytes())
    conn = sqlite3.connect(newer)
    conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.commit()
    conn.close()
    other = Database(f"sqlite:///{newer}")
    make_backup(other, tmp_path / "newer.zip")
    other.dispose()
    with pytest.raises(BackupRefused, match=r"schema \(9999\) is newer"):
        restore_backup(f"sqlite:///{db_path}", tmp_path / "newer.zip")


def test_only_sqlite_files_are_backed_up(tmp_path: Path) -> None:
    with pytest.raises(BackupUnsupported, match="pg_dump"):
        restore_backup("postgresql://clinic@server/records", tmp_path / "b.zip")


def test_auto_backup_once_a_day_keeping_the_last_n(db: Database) -> None:
    folder = config.paths().backups
    made = [auto_backup(db, keep=3, today=date(2026, 1, d)) for d in (1, 1, 2, 3, 4, 5)]
    assert made[1] is None  # the same day twice: one backup
    assert all(m is not None for i, m in enumerate(made) if i != 1)
    names = sorted(p.name for p in folder.glob("needlelog-auto-*.zip"))
    assert [n[15:23] for n in names] == ["20260103", "20260104", "20260105"]
    read_manifest(folder / names[-1])


def test_restore_over_a_damaged_database_keeps_its_files(
    db: Database, db_path: Path, tmp_path: Path
) -> None:
    fill_rich(db)
    make_backup(db, tmp_path / "b.zip")
    db.dispose()
    damaged = b"SQLite format 3\x00" + b"\xde\xad" * 4000
    db_path.write_bytes(damaged)
    result = restore_backup(f"sqlite:///{db_path}", tmp_path / "b.zip")
    assert result.replaced_kept_as is not None
    assert result.replaced_kept_as.read_bytes() == damaged
    assert _integrity(db_path) == ["ok"]
    assert len(_session_ids(db_path)) == 3


def test_a_stopped_backup_leaves_no_file(db: Database, tmp_path: Path) -> None:
    from needlelog.services import demo

    demo.fill(db, 30, seed=4)
    steps: list[int] = []

    class Stop(Exception):
        pass

    def check() -> None:
        steps.append(1)
        raise Stop()  # asked to stop after the first step of the copy

    out = tmp_path / "stopped.zip"
    with pytest.raises(Stop):
        make_backup(db, out, check=check)
    assert not out.exists()
    assert list(tmp_path.glob("*partial*")) == []
    with pytest.raises(Stop):
        auto_backup(db, keep=3, check=check)
    assert list(config.paths().backups.glob("*")) == []
