"""Recording, amending and reading sessions; the course summary; nothing half-written."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from needlelog.domain.codes import Area, Grade
from needlelog.domain.contraindications import Contraindication, ScreeningAnswer
from needlelog.domain.course import CourseState
from needlelog.domain.errors import InvalidRecord
from needlelog.domain.protocol import Protocol
from needlelog.domain.records import TreatedArea
from needlelog.services import audit, patients, schedule, sessions, settings
from needlelog.services.errors import NotFound, StaleRecord
from needlelog.store.database import Database
from tests.consenting import register_consenting
from tests.factories import make_patient, make_session
from tests.snapshots import dump

NOW = datetime(2026, 6, 1, 12, 0)


@pytest.fixture
def patient_id(db: Database) -> int:
    return register_consenting(db, make_patient(), actor="nurse").id


def test_record_and_read_back(db: Database, patient_id: int) -> None:
    saved = sessions.record(db, patient_id, make_session(), actor="dr", now=NOW)
    assert sessions.get(db, saved.id).data == make_session()
    (listed,) = sessions.history(db, patient_id)
    assert listed.data == make_session()
    assert listed.version == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"areas": (TreatedArea(Area.CHEEK_LEFT, Decimal("0.45")),)},
         "needle depth for Cheek (left) is 0.45 mm; allowed: 0.50 to 1.00 mm in steps of 0.05 mm"),
        ({"areas": (TreatedArea(Area.CHEEK_LEFT, Decimal("1.05")),)},
         "needle depth for Cheek (left) is 1.05 mm; allowed: 0.50 to 1.00 mm in steps of 0.05 mm"),
        ({"pain": 11}, "pain is 11; allowed: a whole number from 0 to 10"),
        ({"performed_at": datetime(1980, 1, 1, 9, 0), "next_due": None},
         "session date 1980-01-01 is too early; allowed: on or after 1990-01-01; "
         "session date 1980-01-01 is before the patient's date of birth 1988-04-12"),
        ({"screening": (ScreeningAnswer(Contraindication.OPEN_LESIONS, True),)},
         "screening found open lesions, active acne or skin infection in the area: treatment "
         "should not go ahead; write an override reason to save this session anyway"),
    ],
)  # fmt: skip
def test_refused_session_writes_nothing(
    db: Database, patient_id: int, changes: dict[str, object], message: str
) -> None:
    before = dump(db)
    with pytest.raises(InvalidRecord) as caught:
        sessions.record(db, patient_id, make_session(**changes), actor="dr", now=NOW)
    assert str(caught.value) == message
    assert dump(db) == before


def test_session_for_unknown_or_archived_patient(db: Database, patient_id: int) -> None:
    with pytest.raises(NotFound):
        sessions.record(db, 999, make_session(), actor="dr", now=NOW)
    patients.set_archived(db, patient_id, True, actor="n")
    before = dump(db)
    with pytest.raises(InvalidRecord, match="archived"):
        sessions.record(db, patient_id, make_session(), actor="dr", now=NOW)
    assert dump(db) == before


def test_depth_range_follows_the_clinic_setting(db: Database, patient_id: int) -> None:
    deep = make_session(areas=(TreatedArea(Area.BACK, Decimal("1.50")),))
    with pytest.raises(InvalidRecord):
        sessions.record(db, patient_id, deep, actor="dr", now=NOW)
    settings.set_protocol(db, Protocol(depth_max_mm=Decimal("2.00")), actor="admin")
    saved = sessions.record(db, patient_id, deep, actor="dr", now=NOW)
    assert saved.data.areas[0].depth_mm == Decimal("1.50")


def test_invalid_protocol_setting_is_refused(db: Database) -> None:
    with pytest.raises(
        InvalidRecord, match=r"depth range for all other areas 1\.0 to 0\.5 mm is not valid"
    ):
        settings.set_protocol(
            db, Protocol(depth_min_mm=Decimal("1.0"), depth_max_mm=Decimal("0.5")), actor="admin"
        )
    assert settings.get_protocol(db) == Protocol()


def test_amend_keeps_previous_values_in_audit(db: Database, patient_id: int) -> None:
    saved = sessions.record(db, patient_id, make_session(), actor="dr", now=NOW)
    amended = sessions.amend(
        db, saved.id, replace(saved.data, pain=6), saved.version, actor="dr2", now=NOW
    )
    assert amended.version == 2
    assert sessions.get(db, saved.id).data.pain == 6
    with db.read() as s:
        events = audit.events_for(s, "session", saved.id)
    assert [e.action for e in events] == ["create", "amend"]
    assert json.loads(events[1].changes) == {"pain": [4, 6]}


def test_stale_amend_is_refused(db: Database, patient_id: int) -> None:
    saved = sessions.record(db, patient_id, make_session(), actor="dr", now=NOW)
    sessions.amend(db, saved.id, replace(saved.data, pain=6), saved.version, actor="a", now=NOW)
    before = dump(db)
    with pytest.raises(StaleRecord, match="changed by someone else"):
        sessions.amend(db, saved.id, replace(saved.data, pain=2), saved.version, actor="b", now=NOW)
    assert dump(db) == before
    assert sessions.get(db, saved.id).data.pain == 6


def test_invalid_amend_writes_nothing(db: Database, patient_id: int) -> None:
    saved = sessions.record(db, patient_id, make_session(), actor="dr", now=NOW)
    before = dump(db)
    with pytest.raises(InvalidRecord):
        sessions.amend(db, saved.id, replace(saved.data, pain=12), saved.version, "dr", now=NOW)
    assert dump(db) == before


def test_course_summary_and_flags(db: Database, patient_id: int) -> None:
    start = datetime(2026, 1, 5, 10, 0)
    for days in (0, 21, 70):
        sessions.record(
            db,
            patient_id,
            make_session(
                performed_at=start + timedelta(days=days),
                next_due=None,
                redness=Grade.SEVERE if days == 70 else Grade.MILD,
            ),
            actor="dr",
            now=NOW,
        )
    p = patients.get(db, patient_id)
    assert (p.sessions_total, p.course_sessions, p.last_session_on) == (3, 3, date(2026, 3, 16))
    assert p.next_due == date(2027, 3, 16)  # course of 3 done: annual maintenance
    newest, middle, first = sessions.history(db, patient_id)
    assert first.flags == ()
    assert middle.flags == ("too_soon",)
    assert newest.flags == ("late", "severe_reaction")
    assert middle.data.next_due == date(2026, 1, 26) + timedelta(weeks=4)


def test_default_next_due_for_the_form(db: Database, patient_id: int) -> None:
    assert sessions.default_next_due(db, patient_id, date(2026, 1, 5)) == date(2026, 2, 2)


def test_due_list(db: Database) -> None:
    today = date(2026, 6, 1)
    overdue = register_consenting(db, make_patient("A-1"), actor="n").id
    sessions.record(
        db,
        overdue,
        make_session(performed_at=datetime(2026, 4, 1, 9, 0), next_due=None),
        actor="dr",
        now=NOW,
    )
    later = register_consenting(db, make_patient("A-2"), actor="n").id
    sessions.record(
        db,
        later,
        make_session(performed_at=datetime(2026, 5, 25, 9, 0), next_due=None),
        actor="dr",
        now=NOW,
    )
    register_consenting(db, make_patient("A-3"), actor="n")  # never treated
    entries = schedule.due_list(db, today)
    assert [(e.patient.record_no, e.status.state) for e in entries] == [
        ("A-1", CourseState.OVERDUE)
    ]
    # Due on 29 April (4 weeks on): 33 days overdue on 1 June, counted from that day.
    assert entries[0].status.next_due == date(2026, 4, 29)
    assert entries[0].status.days_overdue == 33
    assert schedule.patient_status(patients.get(db, later), db, today).state is (
        CourseState.IN_COURSE
    )


def test_known_products_and_practitioners(db: Database, patient_id: int) -> None:
    sessions.record(db, patient_id, make_session(), actor="dr", now=NOW)
    assert [p.lot for p in sessions.known_products(db)] == ["VC2291"]
    assert sessions.known_practitioners(db) == ["Dr. Amelia Hart"]
    assert sessions.latest(db, patient_id) is not None


def test_audit_events_cannot_be_changed(db: Database, patient_id: int) -> None:
    from needlelog.store.models import AuditEventRow

    with pytest.raises(RuntimeError, match="append-only"), db.write() as s:
        event = s.query(AuditEventRow).filter(AuditEventRow.entity == "patient").first()
        assert event is not None
        event.actor = "someone else"
    with db.read() as s:
        first = s.query(AuditEventRow).filter(AuditEventRow.entity == "patient").first()
        assert first.actor == "nurse"  # type: ignore[union-attr]


def test_due_list_offers_a_restart_for_an_interrupted_course_after_the_overdue(
    db: Database,
) -> None:
    today = date(2026, 12, 1)
    abandoned = register_consenting(db, make_patient("B-1"), actor="n").id
    sessions.record(
        db,
        abandoned,
        make_session(performed_at=datetime(2026, 2, 2, 9, 0), next_due=None),
        actor="dr",
        now=NOW,
    )
    overdue = register_consenting(db, make_patient("B-2"), actor="n").id
    sessions.record(
        db,
        overdue,
        make_session(performed_at=datetime(2026, 10, 1, 9, 0), next_due=None),
        actor="dr",
        now=datetime(2026, 10, 1, 10, 0),
    )
    entries = schedule.due_list(db, today)
    assert [(e.patient.record_no, e.status.state, e.status.days_overdue) for e in entries] == [
        ("B-2", CourseState.OVERDUE, (today - date(2026, 10, 29)).days),
        ("B-1", CourseState.INTERRUPTED, 0),
    ]


def test_a_maintenance_session_months_after_a_finished_course_is_not_late(
    db: Database, patient_id: int
) -> None:
    days = [datetime(2026, 1, 5, 9), datetime(2026, 2, 2, 9), datetime(2026, 3, 2, 9)]
    days.append(datetime(2026, 6, 1, 9))  # 13 weeks after the course's last session
    for at in days:
        sessions.record(
            db,
            patient_id,
            make_session(performed_at=at, next_due=None),
            actor="dr",
            now=at + timedelta(hours=1),
        )
    flags = [s.flags for s in sessions.history(db, patient_id, newest_first=False)]
    assert flags == [(), (), (), ()]
    # In a course of four, the same gap is late.
    patients.update(
        db,
        patient_id,
        replace(patients.get(db, patient_id).data, planned_sessions=4),
        patients.get(db, patient_id).version,
        actor="n",
    )
    flags = [s.flags for s in sessions.history(db, patient_id, newest_first=False)]
    assert flags[-1] == ("late",)
