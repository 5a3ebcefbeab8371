"""Signing's rules where they meet the photo store and the batched import: imported
sessions are marked drafts, events written in bulk chain like single ones, photo
events name the patient but not the file's own name, a subject access copy carries
the photos and an anonymisation withdraws them."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from needlelog.domain.chain import NOT_KEPT
from needlelog.domain.signing import Status
from needlelog.exchange.csv_export import export_csv
from needlelog.services import audit, check, patients, photos, rights, sessions
from needlelog.store.database import Database
from needlelog.store.migrate import HEAD, current_revision, open_database, upgrade
from needlelog.subject_access import export_complete_record
from tests import camera_files as cam
from tests.cli_runner import run_cli
from tests.consenting import register_consenting
from tests.factories import make_patient, make_session


def test_a_batch_import_chains_its_events_and_check_names_a_changed_one(
    db: Database, tmp_path: Path
) -> None:
    for n in range(3):
        p = register_consenting(db, make_patient(f"P-{n}"), "nurse")
        for month in (1, 2):
            at = datetime(2025, month, 3 + n, 10)
            sessions.record(db, p.id, make_session(performed_at=at), "nurse")
    export_csv(db, tmp_path / "csv")
    target = tmp_path / "imported.sqlite3"
    base = ("--db", f"sqlite:///{target}")
    done = run_cli(*base, "import", "--patients", str(tmp_path / "csv/patients.csv"),
                   "--sessions", str(tmp_path / "csv/sessions.csv"))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "3 new patients and 6 sessions" in done.stdout
    ok = run_cli(*base, "check")
    assert ok.returncode == 0, ok.stderr
    imported = open_database(f"sqlite:///{target}")
    try:
        pid = patients.find_by_record_no(imported, "P-1").id
        history = sessions.history(imported, pid)
        assert [s.status for s in history] == [Status.DRAFT, Status.DRAFT]
        with imported.transaction() as conn:
            marks = conn.execute(
                text("SELECT DISTINCT imported_by, imported_at IS NOT NULL FROM treatment_sessions")
            ).all()
            trail = conn.execute(
                text("SELECT entity, patient_id, changes FROM audit_events ORDER BY id")
            ).all()
    finally:
        imported.dispose()
    assert len(marks) == 1 and marks[0][1] == 1 and marks[0][0]
    session_events = [r for r in trail if r[0] == "session"]
    assert len(session_events) == 6 and all(r[1] is not None for r in session_events)
    every = " ".join(r[2] for r in trail)
    assert "Lefèvre" not in every and "7946" not in every
    conn = sqlite3.connect(target)
    try:
        (changed,) = conn.execute(
            "SELECT id FROM audit_events WHERE entity = 'session' ORDER BY id LIMIT 1 OFFSET 3"
        ).fetchone()
        conn.execute("UPDATE audit_events SET changes = '{}' WHERE id = ?", (changed,))
        conn.commit()
    finally:
        conn.close()
    broken = run_cli(*base, "check")
    assert broken.returncode == 1
    assert f"audit event {changed} (create of session" in broken.stderr


def _with_photo(db: Database, tmp_path: Path) -> tuple[int, int]:
    p = register_consenting(db, make_patient("P-0001"), "nurse")
    visit = sessions.record(db, p.id, make_session(), "nurse")
    shot = cam.camera_jpeg(tmp_path / "lefevre_zoe_front.jpg")
    (photo,) = photos.add_files(db, visit.id, "front", False, [shot], "nurse")
    return p.id, photo.id


def test_photo_events_name_the_patient_not_the_file(db: Database, tmp_path: Path) -> None:
    pid, photo_id = _with_photo(db, tmp_path)
    with db.transaction() as conn:
        (pat, changes) = conn.execute(
            text("SELECT patient_id, changes FROM audit_events WHERE entity = 'photo'")
        ).one()
        assert audit.verify_chain(conn) is None
    assert pat == pid
    assert json.loads(changes)["original_name"] == [None, NOT_KEPT]
    assert "lefevre" not in changes
    assert photos.get(db, photo_id).original_name == "lefevre_zoe_front.jpg"  # the record keeps it


def test_record_copy_carries_photos_and_anonymisation_withdraws_them(
    db: Database, tmp_path: Path
) -> None:
    pid, photo_id = _with_photo(db, tmp_path)
    made = export_complete_record(db, "P-0001", tmp_path / "copy")
    assert made.photos == 1 and made.photos_missing == ()
    (copied,) = (tmp_path / "copy" / "photos").iterdir()
    stored = photos.photo_store(db).path_for(photos.get(db, photo_id).sha256)
    assert copied.read_bytes() == stored.read_bytes()
    last = patients.get(db, pid).last_session_on
    assert last is not None
    assert rights.anonymise(db, pid, "admin", today=last + timedelta(days=366 * 9)) == 1
    assert photos.for_patient(db, pid) == []
    (kept,) = photos.for_patient(db, pid, include_withdrawn=True)
    assert (kept.withdrawn_reason, kept.withdrawn_by) == ("anonymised", "admin")
    assert stored.is_file()  # withdrawn, not deleted
    report = check.run(db)
    assert report.ok, report.problems


def test_upgrade_redacts_and_chains_the_photo_events_of_0005(db_path: Path, tmp_path: Path) -> None:
    db = Database(f"sqlite:///{db_path}")
    upgrade(db, "0005_photos")
    db.dispose()
    db = Database(f"sqlite:///{db_path}")
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO patients (id, record_no, family_name, given_name, date_of_birth, "
                "phone, email, contraindications, notes, archived, course_sessions, "
                "sessions_total, created_at, updated_at, version) VALUES (1, 'P-1', 'Okafor', "
                "'Ngozi', '1980-04-02', '', '', '', '', 0, 1, 1, "
                "'2025-01-01 10:00:00', '2025-01-01 10:00:00', 1)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO treatment_sessions (id, patient_id, performed_at, practitioner, "
                "indications, device, cartridge_lot, numbing_product, pinpoint_bleeding, "
                "acne_flare, adverse_events, notes, aftercare_given, cautions_acknowledged, "
                "override_reason, created_at, updated_at, version) VALUES (5, 1, "
                "'2025-01-02 10:00:00', 'Dr A', '', '', '', '', 0, 0, '', '', 1, 0, '', "
                "'2025-01-02 10:00:00', '2025-01-02 10:00:00', 1)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO photos (id, session_id, view, after, sha256, original_name, ext, "
                "media_type, byte_size, width, height, orientation, camera, withdrawn_by, "
                "withdrawn_reason, created_at, created_by) VALUES (9, 5, 'front', 0, :sha, "
                "'okafor_ngozi.jpg', 'jpg', 'image/jpeg', 10, 4, 3, 1, '', '', '', "
                "'2025-01-02 10:05:00', 'nurse')"
            ),
            {"sha": "a" * 64},
        )
        made = {"original_name": [None, "okafor_ngozi.jpg"], "view": [None, "front"]}
        conn.execute(
            text(
                "INSERT INTO audit_events (at, actor, entity, entity_id, action, changes) VALUES "
                "('2025-01-02 10:05:00', 'nurse', 'photo', 9, 'create', :c)"
            ),
            {"c": json.dumps(made, sort_keys=True)},
        )
    db.dispose()
    db = open_database(f"sqlite:///{db_path}", backup_dir=tmp_path / "backups")
    try:
        assert current_revision(db) == HEAD
        with db.transaction() as conn:
            assert audit.verify_chain(conn) is None
            (pat, changes) = conn.execute(
                text("SELECT patient_id, changes FROM audit_events WHERE entity = 'photo'")
            ).one()
    finally:
        db.dispose()
    assert pat == 1
    assert json.loads(changes) == {"original_name": [None, NOT_KEPT], "view": [None, "front"]}
