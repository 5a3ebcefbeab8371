"""Revision 0009 (consent): a backup first, every record kept, stored sessions without
a consent override, the default forms seeded as version 1 and chained into the audit
trail; the downgrade removes only what 0009 added."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command

from needlelog.domain.consent import DEFAULT_TREATMENT_TEXT, ConsentKind, text_sha256
from needlelog.services import audit, consents, patients, sessions
from needlelog.store.database import Database
from needlelog.store.migrate import HEAD, alembic_config, current_revision, open_database, upgrade
from tests.consenting import sign_consent
from tests.factories import make_patient, make_session


def test_upgrade_from_0008_keeps_records_seeds_the_forms_and_chains_them(db_path: Path) -> None:
    db = Database(f"sqlite:///{db_path}")
    upgrade(db, "0008")
    db.dispose()
    # a clinic at 0008 with a patient and a session, written the way 0008 wrote them
    conn = sqlite3.connect(db_path)
    with conn:
        stamp = "2026-03-02 10:30:00"
        conn.execute(
            "INSERT INTO patients (record_no, family_name, given_name, phone, email, "
            "contraindications, notes, archived, course_sessions, sessions_total, created_at, "
            "updated_at, version) VALUES ('P-1', 'Lefèvre', 'Zoë', '', '', '', '', 0, 1, 1, "
            "?, ?, 1)",
            (stamp, stamp),
        )
        conn.execute(
            "INSERT INTO treatment_sessions (patient_id, performed_at, practitioner, "
            "indications, device, cartridge_lot, numbing_product, pinpoint_bleeding, acne_flare, "
            "adverse_events, notes, aftercare_given, cautions_acknowledged, override_reason, "
            "created_at, updated_at, version) VALUES (1, ?, 'Dr. Hart', '', '', '', '', 0, 0, "
            "'', '', 0, 1, '', ?, ?, 1)",
            (stamp, stamp, stamp),
        )
        conn.execute(
            "INSERT INTO treated_areas (session_id, position, area, label, depth_um) "
            "VALUES (1, 0, 'chin', '', 750)"
        )
    conn.close()

    db = open_database(f"sqlite:///{db_path}", backup_dir=db_path.parent / "backups")
    try:
        assert current_revision(db) == HEAD == "0010"
        (backup,) = (db_path.parent / "backups").glob("*before-upgrade-from-0008*")
        with sqlite3.connect(backup) as old:
            assert old.execute("SELECT version_num FROM alembic_version").fetchone() == ("0008",)
        old_session = sessions.get(db, 1)
        assert old_session.data.consent_override_reason == ""
        assert sessions.FLAG_CONSENT_OVERRIDDEN not in old_session.flags
        treatment = consents.template_for(db, ConsentKind.TREATMENT)
        assert (treatment.version, treatment.sha256) == (1, text_sha256(DEFAULT_TREATMENT_TEXT))
        assert len(consents.templates(db)) == 2
        with db.transaction() as c:
            assert audit.verify_chain(c) is None
        # the new tables work: a consent, a gated session
        sign_consent(db, 1)
        sessions.record(
            db,
            1,
            make_session(
                performed_at=old_session.data.performed_at.replace(month=4), next_due=None
            ),
            "t",
        )
        patients.register(db, make_patient("P-2"), "t")
    finally:
        db.dispose()

    db = Database(f"sqlite:///{db_path}")
    with db.engine.begin() as c2:
        command.downgrade(alembic_config(c2), "0008")
    db.dispose()
    conn = sqlite3.connect(db_path)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert not {"consents", "consent_templates", "consent_template_versions"} & tables
        assert "consent_withdrawals" not in tables
        columns = {r[1] for r in conn.execute("PRAGMA table_info(treatment_sessions)")}
        assert "consent_override_reason" not in columns
        assert conn.execute("SELECT count(*) FROM treatment_sessions").fetchone() == (2,)
        assert conn.execute("SELECT count(*) FROM patients").fetchone() == (2,)
    finally:
        conn.close()


def test_a_new_database_has_the_forms_without_any_write_on_reading(db: Database) -> None:
    assert [t.key for t in consents.templates(db)] == ["treatment", "photo"]
    with db.transaction() as c:
        assert audit.verify_chain(c) is None
