"""Revision 0006 (accounts): every record kept through the upgrade, a database without
accounts works as before, and the downgrade removes only the new table."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command

from needlelog.services import accounts, patients
from needlelog.store.database import Database
from needlelog.store.migrate import HEAD, alembic_config, current_revision, open_database, upgrade
from tests.factories import make_patient


def _tables(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()


def test_upgrade_from_0004_keeps_patients_and_adds_accounts(db_path: Path) -> None:
    db = Database(f"sqlite:///{db_path}")
    upgrade(db, "0004")
    db.dispose()
    assert "accounts" not in _tables(db_path)
    db = open_database(f"sqlite:///{db_path}", backup_dir=db_path.parent / "backups")
    try:
        assert current_revision(db) == HEAD
        assert "accounts" in _tables(db_path)
        patients.register(db, make_patient("P-1"), "t")
        assert not accounts.has_accounts(db)
        assert accounts.idle_lock_minutes(db) == 5
    finally:
        db.dispose()
    db = Database(f"sqlite:///{db_path}")
    with db.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0005_photos")
    db.dispose()
    tables = _tables(db_path)
    assert "accounts" not in tables and {"patients", "photos"} <= tables
    db = open_database(f"sqlite:///{db_path}")
    try:
        assert patients.find_by_record_no(db, "P-1").data.family_name == "Lefèvre"
    finally:
        db.dispose()
