"""Schema changes keep every record. The pattern for every future revision:
build a database at the previous revision, fill it, upgrade, find everything intact."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from needlelog.services import check, patients, sessions
from needlelog.store.database import Database
from needlelog.store.errors import DatabaseDamaged, DatabaseTooNew
from needlelog.store.migrate import current_revision, head_revision, open_database, upgrade
from needlelog.store.models import Base

FIRST = "0001"

PATIENTS_0001 = [
    # id, record_no, family, given, dob
    (1, "OLD-1", "Lefèvre", "Zoë", "1988-04-12"),
    (2, "OLD-2", "García Márquez", "María José", "1975-07-30"),
    (3, "OLD-3", "王", "芳", None),
]


def fill_at_first_revision(conn: sqlite3.Connection) -> None:
    stamp = "2025-01-02 10:00:00.000000"
    for pid, rec, family, given, dob in PATIENTS_0001:
        conn.execute(
            "INSERT INTO patients (id, record_no, family_name, given_name, date_of_birth, sex, "
            "phone, email, fitzpatrick, contraindications, notes, planned_sessions, archived, "
            "last_session_on, course_sessions, sessions_total, next_due, created_at, "
            "updated_at, version) VALUES (?, ?, ?, ?, ?, 'female', '', '', 3, 'eczema', "
            "'note, with comma', NULL, 0, '2025-01-02', 1, 1, '2025-01-30', ?, ?, 1)",
            (pid, rec, family, given, dob, stamp, stamp),
        )
        conn.execute(
            "INSERT INTO treatment_sessions (id, patient_id, performed_at, practitioner, "
            "indications, device, cartridge_lot, numbing_product, numbing_minutes, redness, "
            "pinpoint_bleeding, acne_flare, adverse_events, notes, aftercare_given, next_due, "
            "cautions_acknowledged, override_reason, created_at, updated_at, version) VALUES "
            "(?, ?, '2025-01-02 10:00:00.000000', 'Dr. Hart', 'acne_scars', 'Dermapen 4', "
            "'C1', 'Lidocaine 5% cream', 25, 2, 1, 0, '', 'ok', 1, '2025-01-30', 1, '', ?, ?, 1)",
            (pid, pid, stamp, stamp),
        )
        conn.execute(
            "INSERT INTO treated_areas (session_id, position, area, label, depth_um, passes, "
            "endpoint) VALUES (?, 0, 'cheek_left', '', 750, 3, 'erythema')",
            (pid,),
        )
        conn.execute(
            "INSERT INTO session_products (session_id, position, name, lot, expiry) VALUES "
            "(?, 0, 'Vitamin C serum', 'VC2291', '2027-03-31')",
            (pid,),
        )
        conn.execute(
            "INSERT INTO screening_answers (session_id, item, present, since) VALUES "
            "(?, 'eczema', 1, NULL)",
            (pid,),
        )
        conn.execute(
            "INSERT INTO assessments (session_id, scale, item, scale_version, score) VALUES "
            "(?, 'goodman_baron_qualitative', 'grade', '1996', 3)",
            (pid,),
        )
        for entity, eid in (("patient", pid), ("session", pid)):
            conn.execute(
                "INSERT INTO audit_events (at, actor, entity, entity_id, action, changes) "
                "VALUES (?, 'import', ?, ?, 'create', '{}')",
                (stamp, entity, eid),
            )
    conn.commit()


def test_first_revision_filled_then_upgraded_keeps_every_record(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    old = Database(f"sqlite:///{path}")
    upgrade(old, FIRST)
    assert current_revision(old) == FIRST
    old.dispose()
    with sqlite3.connect(path) as conn:
        fill_at_first_revision(conn)
    conn.close()

    backups = tmp_path / "backups"
    db = open_database(f"sqlite:///{path}", backup_dir=backups)
    try:
        assert current_revision(db) == head_revision()
        for pid, rec, family, given, _dob in PATIENTS_0001:
            p = patients.find_by_record_no(db, rec)
            assert (p.id, p.data.family_name, p.data.given_name) == (pid, family, given)
            (s,) = sessions.history(db, pid)
            assert s.data.areas[0].depth_mm == pytest.approx(0.75)
            assert s.data.products[0].lot == "VC2291"
            assert s.data.scar_grade == 3
            assert s.data.screening[0].present
        # Revision 0002 indexed the names of patients made before it.
        assert [p.record_no for p in patients.search(db, "lefev")] == ["OLD-1"]
        assert [p.record_no for p in patients.search(db, "maria")] == ["OLD-2"]
        assert [p.record_no for p in patients.search(db, "王")] == ["OLD-3"]
        assert check.run(db).ok
    finally:
        db.dispose()
    (backup,) = backups.iterdir()
    assert "before-upgrade-from-0001" in backup.name
    with sqlite3.connect(backup) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (FIRST,)
        assert conn.execute("SELECT count(*) FROM patients").fetchone() == (3,)
    conn.close()


def test_migrations_build_exactly_the_mapped_schema(db: Database) -> None:
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_fresh_database_takes_no_backup(tmp_path: Path) -> None:
    backups = tmp_path / "backups"
    db = open_database(f"sqlite:///{tmp_path / 'new.sqlite3'}", backup_dir=backups)
    db.dispose()
    assert not backups.exists()


def test_pragmas_are_set_on_every_connection(db: Database) -> None:
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 10_000


def test_database_from_a_newer_version_is_refused_unchanged(db_path: Path) -> None:
    db = open_database(f"sqlite:///{db_path}")
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    db.dispose()
    before = db_path.read_bytes()
    with pytest.raises(DatabaseTooNew, match="newer version of needlelog"):
        open_database(f"sqlite:///{db_path}")
    assert db_path.read_bytes() == before


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite3"
    path.write_bytes(b"These are not the records you are looking for." * 200)
    with pytest.raises(DatabaseDamaged, match="Restore it from a backup"):
        open_database(f"sqlite:///{path}")
