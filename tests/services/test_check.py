"""The consistency checks find what they claim to find."""

from __future__ import annotations

from sqlalchemy import text

from needlelog.services import check, demo
from needlelog.store.database import Database


def test_demo_database_is_consistent(db: Database) -> None:
    demo.fill(db, 12, seed=3)
    report = check.run(db)
    assert report.ok, report.problems
    assert report.patients == 12


def test_session_before_birth_and_missing_audit_are_found(db: Database) -> None:
    demo.fill(db, 3, seed=3)
    with db.engine.begin() as conn:
        sid = conn.execute(text("SELECT min(id) FROM treatment_sessions")).scalar()
        pid = conn.execute(
            text("SELECT patient_id FROM treatment_sessions WHERE id = :i"), {"i": sid}
        ).scalar()
        conn.execute(
            text("UPDATE patients SET date_of_birth = :d WHERE id = :p"),
            {"d": "2026-11-01", "p": pid},
        )
        conn.execute(
            text("DELETE FROM audit_events WHERE entity = 'patient' AND entity_id = :p"), {"p": pid}
        )
    found = {str(p) for p in check.run(db).problems}
    assert any(f"session {sid}: before the birth" in p for p in found)
    assert f"patient {pid}: has no creation event in the audit trail" in found


def test_demo_data_is_removed_in_one_step(db: Database) -> None:
    from needlelog.services import patients
    from tests.factories import make_patient

    real = patients.register(db, make_patient("REAL-1"), actor="n")
    demo.fill(db, 5, seed=2)
    assert demo.count_demo(db) == 5
    assert demo.remove(db) == 5
    assert demo.count_demo(db) == 0
    assert [p.id for p in patients.search(db, "")] == [real.id]
    assert check.run(db).ok


def test_a_depth_no_pen_can_reach_names_the_area_in_words(db: Database) -> None:
    demo.fill(db, 1, seed=3)
    with db.engine.begin() as conn:
        sid, code = conn.execute(
            text("SELECT session_id, area FROM treated_areas ORDER BY id LIMIT 1")
        ).one()
        conn.execute(
            text("UPDATE treated_areas SET depth_um = 9000 WHERE session_id = :s AND area = :a"),
            {"s": sid, "a": code},
        )
    from needlelog.domain.codes import Area

    found = {str(p) for p in check.run(db).problems}
    assert f"session {sid}: depth 9.0 mm in {Area(code).label} is outside what any pen can do" in (
        found
    )
