"""The demo clinic's patients signed their consents (made-up signatures), so every demo
session is covered and the window is not blocked by the consent gate; the demo's
removal takes its consents with it."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from needlelog.domain.consent import ConsentKind, ConsentMethod
from needlelog.services import consent_query, consents, demo, sessions
from needlelog.services.demo_data import demo_signature, generate
from needlelog.store.database import Database
from needlelog.store.models import PatientRow
from tests.factories import make_session

TODAY = date(2026, 11, 20)


def test_every_demo_session_is_covered_by_a_signed_treatment_consent(db: Database) -> None:
    demo.fill(db, 12, seed=7, today=TODAY)
    covered = 0
    without = 0
    with db.transaction() as conn:
        ids = list(conn.execute(select(PatientRow.id)).scalars())
    for pid in ids:
        history = sessions.history(db, pid, newest_first=False)
        signed = consents.for_patient(db, pid)
        if not history:
            assert signed == []  # a new patient signs at the first visit
            without += 1
            continue
        kinds = [c.kind for c in signed]
        assert kinds.count(ConsentKind.PHOTO) == 1
        for c in signed:
            assert c.method is ConsentMethod.ON_SCREEN and c.signature is not None
            assert not c.signature.is_empty() and c.signature_png.startswith(b"\x89PNG")
            assert c.witness == demo.DEMO_WITNESS
        for visit in history:
            with db.transaction() as conn:
                status = consent_query.treatment_status(
                    conn, pid, visit.data.performed_at.date(), leave_out=visit.id
                )
            assert status.consent is not None, status.why_not
            covered += 1
    assert covered > 12
    assert demo.remove(db) == 12
    with db.transaction() as conn:
        assert list(consent_query.every(conn)) == []


def test_a_demo_patient_in_course_can_be_seen_today_without_the_gate_stopping_it(
    db: Database,
) -> None:
    demo.fill(db, 12, seed=7, today=TODAY)
    with db.transaction() as conn:
        rows = conn.execute(select(PatientRow.id, PatientRow.last_session_on)).all()
    recent = [pid for pid, last in rows if last and TODAY - last < timedelta(weeks=20)]
    assert recent
    saved = sessions.record(
        db,
        recent[0],
        make_session(performed_at=datetime.combine(TODAY, datetime.min.time()), next_due=None),
        "t",
        now=datetime.combine(TODAY, datetime.max.time()),
    )
    assert sessions.FLAG_CONSENT_OVERRIDDEN not in saved.flags


def test_demo_signatures_are_made_up_and_the_same_for_the_same_seed() -> None:
    import random

    a = demo_signature(random.Random(1))
    assert a == demo_signature(random.Random(1)) and not a.is_empty()
    assert a != demo_signature(random.Random(2))
    first = list(generate(5, 3, TODAY))
    assert first == list(generate(5, 3, TODAY))
