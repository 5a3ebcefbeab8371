"""The audit trail is a hash chain: ``needlelog check`` names the first event changed
outside the app, and an upgraded database's old events are chained and hold no
identifying content."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from sqlalchemy import text

from needlelog.domain.chain import NOT_KEPT
from needlelog.domain.signing import Status
from needlelog.services import audit, sessions
from needlelog.store.database import Database
from needlelog.store.migrate import HEAD, current_revision, open_database, upgrade
from tests.cli_runner import run_cli
from tests.consenting import register_consenting, sign_consent
from tests.factories import make_patient, make_session


def test_check_names_the_audit_row_changed_with_plain_sql(db_path: Path) -> None:
    db = open_database(f"sqlite:///{db_path}")
    try:
        p = register_consenting(db, make_patient(), actor="nurse")
        sessions.record(db, p.id, make_session(), actor="nurse")
        sessions.record(
            db,
            p.id,
            make_session(performed_at=make_session().performed_at.replace(year=2025)),
            actor="nurse",
        )
    finally:
        db.dispose()
    ok = run_cli("--db", f"sqlite:///{db_path}", "check")
    assert ok.returncode == 0, ok.stderr
    conn = sqlite3.connect(db_path)
    try:
        (target,) = conn.execute(
            "SELECT id FROM audit_events WHERE entity = 'session' ORDER BY id LIMIT 1"
        ).fetchone()
        conn.execute("UPDATE audit_events SET actor = 'someone else' WHERE id = ?", (target,))
        conn.commit()
    finally:
        conn.close()
    broken = run_cli("--db", f"sqlite:///{db_path}", "check")
    assert broken.returncode == 1
    assert f"audit event {target} (create of session" in broken.stderr
    assert "was changed after it was written" in broken.stderr


def test_a_removed_event_breaks_the_chain_at_the_next_one(db: Database) -> None:
    p = register_consenting(db, make_patient(), actor="nurse")
    sessions.record(db, p.id, make_session(), actor="nurse")
    with db.engine.begin() as conn:
        first, second = list(
            conn.execute(text("SELECT id FROM audit_events ORDER BY id")).scalars()
        )[:2]
        conn.execute(text("DELETE FROM audit_events WHERE id = :i"), {"i": first})
    with db.transaction() as conn:
        broken = audit.verify_chain(conn)
    assert broken is not None and broken.event_id == second
    assert "does not follow the event before it" in str(broken)


def test_upgrade_chains_old_events_and_takes_identifying_values_out(db_path: Path) -> None:
    db = Database(f"sqlite:///{db_path}")
    upgrade(db, "0004")
    # An 0004 database written as that version did: whole records in create events.
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO patients (id, record_no, family_name, given_name, date_of_birth, "
                "phone, email, contraindications, notes, archived, course_sessions, "
                "sessions_total, created_at, updated_at, version) VALUES (1, 'P-1', 'Okafor', "
                "'Ngozi', '1980-04-02', '+44 7700 900123', 'n@example.org', '', 'shy', 0, 1, 1, "
                "'2025-01-01 10:00:00', '2025-01-01 10:00:00', 1)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO treatment_sessions (id, patient_id, performed_at, practitioner, "
                "indications, device, cartridge_lot, numbing_product, pinpoint_bleeding, "
                "acne_flare, adverse_events, notes, aftercare_given, cautions_acknowledged, "
                "override_reason, created_at, updated_at, version) VALUES (1, 1, "
                "'2025-01-02 10:00:00', 'Dr A', '', '', '', '', 0, 0, '', 'ok', 1, 0, '', "
                "'2025-01-02 10:00:00', '2025-01-02 10:00:00', 1)"
            )
        )
        whole = {"family_name": [None, "Okafor"], "phone": [None, "+44 7700 900123"],
                 "record_no": [None, "P-1"]}  # fmt: skip
        conn.execute(
            text(
                "INSERT INTO audit_events (at, actor, entity, entity_id, action, changes) VALUES "
                "('2025-01-01 10:00:00', 'nurse', 'patient', 1, 'create', :c), "
                "('2025-01-02 10:00:00', 'nurse', 'session', 1, 'create', '{\"notes\": [null, \"ok\"]}')"
            ),
            {"c": json.dumps(whole)},
        )
    db.dispose()
    db = open_database(f"sqlite:///{db_path}", backup_dir=db_path.parent / "backups")
    try:
        assert current_revision(db) == HEAD == "0010"
        assert list((db_path.parent / "backups").glob("*before-upgrade-from-0004*"))
        with db.transaction() as conn:
            assert audit.verify_chain(conn) is None
            rows = conn.execute(
                text("SELECT entity, patient_id, changes FROM audit_events ORDER BY id")
            ).all()
        assert [(r[0], r[1]) for r in rows] == [
            ("patient", 1),
            ("session", 1),
            ("consent_template", None),  # revision 0009's default forms, chained on
            ("consent_template", None),
        ]
        assert json.loads(rows[0][2]) == {
            "family_name": [None, NOT_KEPT], "phone": [None, NOT_KEPT], "record_no": [None, "P-1"],
        }  # fmt: skip
        assert "Okafor" not in rows[0][2] and "7700" not in rows[0][2]
        (old,) = sessions.history(db, 1)
        assert old.status is Status.LEGACY and old.status.label == "Recorded before signing existed"
        assert old.signature is None
        # New events chain on after the re-chained ones.
        sign_consent(db, 1, make_session().performed_at.date())
        sessions.record(db, 1, make_session(), actor="nurse")
        with db.transaction() as conn:
            assert audit.verify_chain(conn) is None
    finally:
        db.dispose()
