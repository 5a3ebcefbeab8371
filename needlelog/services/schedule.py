"""Who is due or overdue for a session."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy import and_, func, or_

from needlelog.domain import course
from needlelog.domain.accounts import Permission
from needlelog.domain.course import CourseState, CourseStatus
from needlelog.domain.recall import ContactAttempt
from needlelog.domain.records import Patient
from needlelog.services import access, clock, patient_query, recall
from needlelog.services.settings import protocol_in
from needlelog.store.database import Database
from needlelog.store.tables import patients as _patients

ATTENTION = (
    CourseState.DUE,
    CourseState.OVERDUE,
    CourseState.MAINTENANCE_DUE,
    CourseState.INTERRUPTED,
)


@dataclass(frozen=True)
class DueEntry:
    patient: Patient
    status: CourseStatus
    last_contact: ContactAttempt | None = None  # the newest attempt of the recall log


def patient_status(patient: Patient, db: Database, today: date | None = None) -> CourseStatus:
    with db.transaction() as conn:
        protocol = protocol_in(conn)
    return course.status_from_summary(
        patient.last_session_on,
        patient.course_sessions,
        today or clock.today(),
        protocol,
        patient.data.planned_sessions,
        patient.next_due,
    )


def due_list(
    db: Database, today: date | None = None, horizon_days: int = 7, limit: int = 1000
) -> list[DueEntry]:
    """Active patients due within ``horizon_days``, or overdue, most overdue first."""
    access.require(db, Permission.PATIENT_LIST)
    today = today or clock.today()
    with db.transaction() as conn:
        protocol = protocol_in(conn)
        planned = func.coalesce(_patients.c.planned_sessions, protocol.planned_sessions)
        late = today - timedelta(weeks=protocol.interval_max_weeks)
        stmt = (
            patient_query.SELECT.where(
                _patients.c.archived.is_(False),
                _patients.c.last_session_on.is_not(None),
                or_(
                    _patients.c.next_due <= today + timedelta(days=horizon_days),
                    and_(_patients.c.course_sessions < planned, _patients.c.last_session_on < late),
                ),
            )
            .order_by(_patients.c.next_due, _patients.c.id)
            .limit(limit)
        )
        rows = conn.execute(stmt).mappings().all()
        entries: list[DueEntry] = []
        for row in rows:
            patient = patient_query.build(row)
            st = course.status_from_summary(
                patient.last_session_on,
                patient.course_sessions,
                today,
                protocol,
                patient.data.planned_sessions,
                patient.next_due,
            )
            if st.state in ATTENTION or (
                st.next_due and st.next_due <= today + timedelta(days=horizon_days)
            ):
                entries.append(DueEntry(patient, st))
    contacts = recall.latest_attempts(db, (e.patient.id for e in entries))
    entries = [replace(e, last_contact=contacts.get(e.patient.id)) for e in entries]
    # Most overdue first; interrupted courses (to offer a restart) after those due.
    entries.sort(
        key=lambda e: (
            e.status.state is CourseState.INTERRUPTED,
            -e.status.days_overdue,
            e.status.next_due or today,
        )
    )
    return entries
