"""Revision 0007 (screening answered, not assumed): stored answers kept as they were,
each session marked with the list it answered; the downgrade removes only the new
columns."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

from alembic import command

from needlelog.domain.contraindications import FIRST_LIST, Contraindication
from needlelog.services import patients, sessions
from needlelog.store.database import Database
from needlelog.store.migrate import HEAD, alembic_config, current_revision, open_database, upgrade
from tests.factories import make_patient

STAMP = "2026-03-02 10:30:00"


def _old_session(conn: sqlite3.Connection, patient_id: int, day: str) -> int:
    cur = conn.execute(
        "INSERT INTO treatment_sessions (patient_id, performed_at, practitioner, indications, "
        "device, cartridge_lot, numbing_product, pinpoint_bleeding, acne_flare, adverse_events, "
        "notes, aftercare_given, cautions_acknowledged, override_reason, created_at, "
        "updated_at, version) VALUES (?, ?, 'Dr. Hart', '', '', '', '', 0, 0, '', '', 0, 1, '', "
        "?, ?, 1)",
        (patient_id, f"{day} 10:30:00", STAMP, STAMP),
    )
    sid = int(cur.lastrowid or 0)
    conn.execute(
        "INSERT INTO treated_areas (session_id, position, area, label, depth_um) "
        "VALUES (?, 0, 'chin', '', 750)",
        (sid,),
    )
    return sid


def test_upgrade_keeps_every_stored_answer_and_marks_the_list_it_answered(
    db_path: Path,
) -> None:
    db = Database(f"sqlite:///{db_path}")
    upgrade(db, "0004")
    db.dispose()
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute(
            "INSERT INTO patients (record_no, family_name, given_name, phone, email, "
            "contraindications, notes, archived, course_sessions, sessions_total, created_at, "
            "updated_at, version) VALUES ('P-1', 'Lefèvre', 'Zoë', '', '', 'eczema', '', 0, 0, "
            "0, ?, ?, 1)",
            (STAMP, STAMP),
        )
        screened = _old_session(conn, 1, "2026-03-02")
        for item in FIRST_LIST:
            conn.execute(
                "INSERT INTO screening_answers (session_id, item, present, since) "
                "VALUES (?, ?, ?, NULL)",
                (screened, item.value, item is Contraindication.ECZEMA),
            )
        unscreened = _old_session(conn, 1, "2026-04-02")  # imported: no screening
    conn.close()

    db = open_database(f"sqlite:///{db_path}", backup_dir=db_path.parent / "backups")
    try:
        assert current_revision(db) == HEAD
        assert list((db_path.parent / "backups").glob("*before-upgrade-from-0004*"))
        old = sessions.get(db, screened).data
        assert old.screening_list == 1
        assert [(a.item, a.present) for a in old.screening] == [
            (i, i is Contraindication.ECZEMA)
            for i in Contraindication
            if i in FIRST_LIST  # in the questionnaire's order
        ]
        assert sessions.get(db, unscreened).data.screening_list == 0
        assert sessions.get(db, unscreened).data.screening == ()
        # Amended later, the old session is judged by the list it answered then.
        stored = sessions.get(db, screened)
        amended = sessions.amend(
            db,
            screened,
            replace(stored.data, notes="reviewed"),
            stored.version,
            "dr",
            reason="note added",
        )
        assert amended.data.screening == old.screening
        patients.register(db, make_patient("P-2"), "t")
    finally:
        db.dispose()

    db = Database(f"sqlite:///{db_path}")
    with db.engine.begin() as conn2:
        command.downgrade(alembic_config(conn2), "0004")
    db.dispose()
    conn = sqlite3.connect(db_path)
    try:
        columns = {r[1] for r in conn.execute("PRAGMA table_info(treatment_sessions)")}
        assert "screening_list" not in columns and "screening_attested_by" not in columns
        assert conn.execute("SELECT count(*) FROM screening_answers").fetchone() == (10,)
        assert conn.execute("SELECT count(*) FROM treatment_sessions").fetchone() == (2,)
    finally:
        conn.close()
