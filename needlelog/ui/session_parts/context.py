"""What the session form needs from the records before it can open, read in one go
off the GUI thread (``load_context``), so the form itself never waits on the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from needlelog.domain.consent import ConsentStatus
from needlelog.domain.protocol import Protocol
from needlelog.domain.records import Patient, Product, TreatmentSession
from needlelog.services import consents, sessions, settings
from needlelog.store.database import Database


@dataclass(frozen=True)
class SessionFormContext:
    patient: Patient
    session: TreatmentSession | None  # None: a new session
    protocol: Protocol
    previous: TreatmentSession | None  # the patient's latest session, for a new one
    known_products: list[Product]
    known_practitioners: list[str]
    # The next due date the form starts with, when it follows the session's date.
    default_due: date | None
    # Whether a treatment consent covers today (a new session; None for a stored one).
    consent: ConsentStatus | None = None


def default_due(
    db: Database, patient_id: int, session: TreatmentSession | None, today: date
) -> date | None:
    """The next due date the form starts with: the clinic's default for the session's
    date, unless the stored session has its own."""
    if session is None:
        return sessions.default_next_due(db, patient_id, today)
    if session.data.next_due is None:
        return sessions.default_next_due(db, patient_id, session.data.performed_at.date())
    return None


def load_context(
    db: Database, patient: Patient, session: TreatmentSession | None, today: date
) -> SessionFormContext:
    """Everything the form shows before anything is typed (runs on a worker thread)."""
    return SessionFormContext(
        patient=patient,
        session=session,
        protocol=settings.get_protocol(db),
        previous=sessions.latest(db, patient.id) if session is None else None,
        known_products=sessions.known_products(db),
        known_practitioners=sessions.known_practitioners(db),
        default_due=default_due(db, patient.id, session, today),
        consent=consents.treatment_status(db, patient.id, today) if session is None else None,
    )


def load_stored(
    db: Database, patient_id: int, session_id: int, today: date
) -> tuple[TreatmentSession, date | None]:
    """A session as it is stored now, with the due date the form starts with."""
    stored = sessions.get(db, session_id)
    return stored, default_due(db, patient_id, stored, today)
