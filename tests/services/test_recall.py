"""The recall log: contact attempts written once, audited, and shown in the due list."""

from __future__ import annotations

import csv
import json
import stat
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from needlelog.domain.errors import InvalidRecord
from needlelog.domain.recall import ContactOutcome
from needlelog.exchange.recall_list import write_csv
from needlelog.services import patients, recall, schedule, sessions
from needlelog.services.errors import NotFound
from needlelog.store.database import Database
from needlelog.store.models import AuditEventRow, ContactAttemptRow
from tests.consenting import register_consenting
from tests.factories import make_patient, make_session

TODAY = date(2026, 6, 1)


@pytest.fixture
def due_patient(db: Database) -> int:
    pid = register_consenting(
        db, make_patient("D-1", phone="+44 20 7946 0101", email="zoe@example.org"), "t"
    ).id
    when = datetime(2026, 3, 2, 10)
    sessions.record(db, pid, make_session(performed_at=when, next_due=None), "t", now=when)
    return pid


def test_a_logged_attempt_is_kept_audited_and_shown_in_the_due_list(
    db: Database, due_patient: int
) -> None:
    recall.log_contact(
        db, due_patient, ContactOutcome.CALLED, "reception", date(2026, 5, 20), today=TODAY
    )
    saved = recall.log_contact(
        db,
        due_patient,
        ContactOutcome.MESSAGE_LEFT,
        "reception",
        date(2026, 5, 28),
        note="  voicemail, will call back  ",
        today=TODAY,
    )
    assert saved.note == "voicemail, will call back"
    assert [a.outcome for a in recall.attempts(db, due_patient)] == [
        ContactOutcome.MESSAGE_LEFT,
        ContactOutcome.CALLED,
    ]
    (entry,) = schedule.due_list(db, TODAY)
    assert entry.last_contact is not None
    assert (entry.last_contact.outcome, entry.last_contact.contacted_on) == (
        ContactOutcome.MESSAGE_LEFT,
        date(2026, 5, 28),
    )
    with db.read() as s:
        event = s.scalars(
            select(AuditEventRow).where(
                AuditEventRow.entity == "contact_attempt", AuditEventRow.entity_id == saved.id
            )
        ).one()
    assert event.actor == "reception" and event.action == "create"
    assert json.loads(event.changes)["outcome"] == [None, "message_left"]


def test_a_future_date_or_a_long_note_is_refused_and_nothing_is_written(
    db: Database, due_patient: int
) -> None:
    with pytest.raises(InvalidRecord, match="contact date 2026-06-02 is in the future"):
        recall.log_contact(
            db, due_patient, ContactOutcome.BOOKED, "r", date(2026, 6, 2), today=TODAY
        )
    with pytest.raises(InvalidRecord, match="the note has 501 characters; at most 500"):
        recall.log_contact(db, due_patient, ContactOutcome.BOOKED, "r", note="x" * 501, today=TODAY)
    with pytest.raises(NotFound):
        recall.log_contact(db, 999, ContactOutcome.BOOKED, "r", today=TODAY)
    with db.read() as s:
        assert s.scalars(select(ContactAttemptRow)).all() == []


def test_the_due_list_csv_for_a_text_message_service(
    db: Database, due_patient: int, tmp_path: Path
) -> None:
    recall.log_contact(
        db, due_patient, ContactOutcome.DECLINED, "r", date(2026, 5, 30), today=TODAY
    )
    out = tmp_path / "due.csv"
    assert write_csv(schedule.due_list(db, TODAY), out) == 1
    with open(out, newline="", encoding="utf-8") as handle:
        (row,) = list(csv.DictReader(handle))
    assert row == {
        "record_no": "D-1",
        "given_name": "Zoë",
        "family_name": "Lefèvre",
        "phone": "+44 20 7946 0101",
        "email": "zoe@example.org",
        "status": "overdue",
        "next_due": "2026-03-30",
        "days_overdue": "63",
        "last_contact": "declined",
        "last_contact_on": "2026-05-30",
    }
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_removing_the_demo_clinic_takes_its_contact_log_too(db: Database) -> None:
    from needlelog.services import demo

    demo.fill(db, 5, seed=1)
    first = patients.find_by_record_no(db, "DEMO-000001").id
    recall.log_contact(db, first, ContactOutcome.CALLED, "reception", today=TODAY)
    assert demo.remove(db) == 5
    with db.read() as s:
        assert s.scalars(select(ContactAttemptRow)).all() == []
