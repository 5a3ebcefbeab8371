"""A stored session is the same record, flags included, however it is read: the
window's history, the form's previous session, the value a save or a correction
answers, the report and every export."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime

from needlelog.domain.codes import Grade
from needlelog.domain.records import TreatmentSession
from needlelog.reports import content
from needlelog.services import audit, consents, patient_query, patients, session_query, sessions
from needlelog.store.database import Database
from tests.consenting import register_consenting, sign_consent
from tests.factories import make_patient, make_session

NOW = datetime(2026, 6, 1, 12, 0)
TOO_SOON = ("too_soon", sessions.FLAG_SEVERE, sessions.FLAG_AVOID_OVERRIDDEN)


def _three_sessions(db: Database) -> tuple[int, list[TreatmentSession]]:
    """A first session, a second a week later (too soon) with a severe reaction and a
    reason to treat anyway, and a third eight weeks after that (late)."""
    patient = register_consenting(db, make_patient(), "test")
    first = sessions.record(
        db, patient.id, make_session(performed_at=datetime(2026, 1, 5, 10), next_due=None), "t", NOW
    )
    second = sessions.record(
        db,
        patient.id,
        make_session(
            performed_at=datetime(2026, 1, 12, 10),
            next_due=None,
            redness=Grade.SEVERE,
            override_reason="Patient insisted; informed of the risk.",
        ),
        "t",
        NOW,
    )
    third = sessions.record(
        db, patient.id, make_session(performed_at=datetime(2026, 3, 9, 10), next_due=None), "t", NOW
    )
    return patient.id, [first, second, third]


def test_every_read_gives_the_same_flags(db: Database) -> None:
    patient_id, saved = _three_sessions(db)
    expected = [(), TOO_SOON, ("late",)]
    history = sessions.history(db, patient_id, newest_first=False)

    assert [s.flags for s in saved] == expected  # what each save answered
    assert [s.flags for s in history] == expected
    assert [sessions.get(db, s.id).flags for s in history] == expected
    assert sessions.latest(db, patient_id) == history[2]
    with db.transaction() as conn:
        exported = [e.session for e in session_query.every(conn)]
        one_patient = [e.session for e in session_query.every(conn, "P-0001", batch=1)]
    assert [s.flags for s in exported] == expected
    assert exported == one_patient == history
    for i, s in enumerate(history):
        assert sessions.get(db, s.id) == history[i] == saved[i]


def test_a_correction_answers_the_record_every_read_gives(db: Database) -> None:
    patient_id, saved = _three_sessions(db)
    second = saved[1]
    amended = sessions.amend(
        db, second.id, replace(second.data, notes="Checked."), second.version, "t", NOW
    )
    assert amended.flags == TOO_SOON
    assert amended.version == second.version + 1
    assert amended == sessions.get(db, second.id)
    assert amended == sessions.history(db, patient_id, newest_first=False)[1]


def test_moving_a_session_changes_the_flags_of_the_next_one(db: Database) -> None:
    _patient_id, saved = _three_sessions(db)
    first = saved[0]
    earlier = replace(first.data, performed_at=datetime(2025, 12, 1, 10), next_due=None)
    moved = sessions.amend(db, first.id, earlier, first.version, "t", NOW)
    assert moved.flags == ()
    # Six weeks after the first now: neither too soon nor late.
    assert sessions.get(db, saved[1].id).flags == TOO_SOON[1:]


def test_exports_and_the_report_read_the_records_the_window_shows(db: Database) -> None:
    patient_id, _saved = _three_sessions(db)
    history = sessions.history(db, patient_id, newest_first=False)
    with db.transaction() as conn:
        stored = list(session_query.every(conn))
    assert [(e.session.id, e.session.data, e.session.version, e.record_no) for e in stored] == [
        (h.id, h.data, h.version, "P-0001") for h in history
    ]
    assert content.load(db, patient_id, NOW).history == history


def test_a_patient_is_the_same_record_however_it_is_read(db: Database) -> None:
    for i, (family, given) in enumerate([("Müller", "Jörg"), ("Muller", "Ann"), ("Moss", "")]):
        register_consenting(db, make_patient(f"P-{i}", family_name=family, given_name=given), "t")
    found = patients.search(db, "mu")
    assert [p.data.family_name for p in found] == ["Muller", "Müller"]
    assert found == [patients.find_by_record_no(db, p.data.record_no) for p in found]
    assert found == [patients.get(db, p.id) for p in found]
    with db.transaction() as conn:
        exported = {p.id: p for p in patient_query.every(conn)}
    assert found == [exported[p.id] for p in found]
    changed = patients.update(db, found[0].id, found[0].data, found[0].version, "t")
    assert changed == patients.get(db, found[0].id)
    assert patients.set_archived(db, found[0].id, True, "t") == patients.get(db, found[0].id)


def _course(db: Database, record_no: str, planned: int | None, days: list[datetime]) -> int:
    patient = register_consenting(db, make_patient(record_no, planned_sessions=planned), "t")
    for at in days:
        if consents.treatment_status(db, patient.id, at.date()).consent is None:
            sign_consent(db, patient.id, at.date())  # a new course: signed again
        sessions.record(db, patient.id, make_session(performed_at=at, next_due=None), "t", NOW)
    return patient.id


def test_the_clinical_interval_rule_is_the_same_on_every_read(db: Database) -> None:
    # Thirteen weeks after the second session: late inside a course of three, but a
    # maintenance session after a completed course of two is never late. A gap past the
    # course break starts a new course: no interval flag at all.
    days = [
        datetime(2025, 1, 6, 10),
        datetime(2025, 2, 10, 10),
        datetime(2025, 5, 12, 10),
        datetime(2026, 2, 2, 10),
    ]
    in_course = _course(db, "P-0001", None, days)
    maintenance = _course(db, "P-0002", 2, days)
    expected = {in_course: [(), (), ("late",), ()], maintenance: [(), (), (), ()]}
    with db.transaction() as conn:
        exported = [e.session for e in session_query.every(conn, batch=3)]
    for patient_id, flags in expected.items():
        history = sessions.history(db, patient_id, newest_first=False)
        assert [s.flags for s in history] == flags
        assert [sessions.get(db, s.id) for s in history] == history
        assert [sessions.on_day(db, patient_id, at.date()) for at in days] == history
        assert sessions.latest(db, patient_id) == history[-1]
        assert [s for s in exported if s.patient_id == patient_id] == history


def test_a_lot_recall_reads_the_sessions_the_window_shows(db: Database) -> None:
    patient_id, _saved = _three_sessions(db)
    history = sessions.history(db, patient_id, newest_first=False)
    second = history[1]
    sessions.amend(
        db,
        second.id,
        replace(second.data, cartridge_lot="c-77", products=()),
        second.version,
        "t",
        NOW,
    )
    history = sessions.history(db, patient_id, newest_first=False)
    # Case and surrounding spaces do not hide a use; a cartridge lot counts as well.
    serum = sessions.lot_uses(db, "  vc2291 ")
    assert [u.session_id for u in serum] == [history[0].id, history[2].id]
    assert [u.performed_at for u in serum] == [
        history[0].data.performed_at,
        history[2].data.performed_at,
    ]
    assert {u.product for u in serum} == {"Vitamin C serum"}
    assert serum[0].areas == tuple(a.area.label for a in history[0].data.areas)
    cartridge = sessions.lot_uses(db, "C-77")
    assert [(u.session_id, u.lot, u.record_no) for u in cartridge] == [
        (history[1].id, "c-77", "P-0001")
    ]
    assert sessions.lot_uses(db, "   ") == []
    with db.transaction() as conn:
        assert session_query.lot_uses(conn, "VC2291") == serum


def test_a_correction_keeps_its_reason_beside_the_changes(db: Database) -> None:
    _patient_id, saved = _three_sessions(db)
    first = saved[0]
    sessions.amend(
        db, first.id, replace(first.data, notes="Typo."), first.version, "t", NOW, reason=" typo "
    )
    with db.read() as s:
        events = audit.events_for(s, "session", first.id)
    assert json.loads(events[-1].changes)["reason"] == [None, "typo"]
