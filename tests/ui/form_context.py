"""The session form's context, read as the main window reads it before opening the form
(here on the test's own thread)."""

from __future__ import annotations

from datetime import date

from needlelog.domain.records import Patient, TreatmentSession
from needlelog.services import patients
from needlelog.store.database import Database
from needlelog.ui.session_parts.context import SessionFormContext, load_context


def context_for(
    db: Database, patient: Patient, session: TreatmentSession | None = None
) -> SessionFormContext:
    """The form's context for ``patient`` as stored now."""
    # Counts and next-due on the patient change with each saved session.
    return load_context(db, patients.get(db, patient.id), session, date.today())
