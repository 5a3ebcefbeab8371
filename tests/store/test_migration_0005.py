"""Revision 0005_photos: every record kept through the upgrade; the downgrade removes
only the photo tables."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

from alembic import command

from needlelog.domain.photos import PhotoUse
from needlelog.services import photos, sessions
from needlelog.store.database import Database
from needlelog.store.migrate import HEAD, alembic_config, current_revision, open_database, upgrade
from tests import camera_files as cam
from tests.consenting import register_consenting
from tests.factories import make_patient, make_session


def _tables(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()


def test_upgrade_from_0004_keeps_records_and_adds_photos(db_path: Path, tmp_path: Path) -> None:
    db = Database(f"sqlite:///{db_path}")
    upgrade(db, "0004")
    db.dispose()
    assert "photos" not in _tables(db_path)
    db = open_database(f"sqlite:///{db_path}", backup_dir=tmp_path / "backups")
    try:
        assert current_revision(db) == HEAD
        assert list((tmp_path / "backups").glob("*before-upgrade-from-0004*"))
        pid = register_consenting(db, make_patient("P-1"), "t").id
        visit = sessions.record(db, pid, make_session(performed_at=datetime(2026, 3, 2)), "t")
        (p,) = photos.add_files(
            db, visit.id, "front", False, [cam.camera_jpeg(tmp_path / "a.jpg")], "t"
        )
        photos.set_uses(db, pid, [PhotoUse.OWN_REPORT], "t")
        assert photos.get(db, p.id).sha256 == p.sha256
    finally:
        db.dispose()
    db = Database(f"sqlite:///{db_path}")
    with db.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0004")
    db.dispose()
    tables = _tables(db_path)
    assert "photos" not in tables and "patient_photo_uses" not in tables
    assert {"patients", "treatment_sessions", "contact_attempts"} <= tables
