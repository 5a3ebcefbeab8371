"""Signed treatment consents for tests that record sessions: the consent gate stays on,
as in the product, and the patient has signed before their sessions."""

from __future__ import annotations

from datetime import date, datetime, time

from needlelog.domain.consent import (
    Consent,
    ConsentKind,
    ConsentMethod,
    Signature,
    Stroke,
    StrokePoint,
)
from needlelog.domain.photos import PhotoUse
from needlelog.domain.records import Patient, PatientData
from needlelog.services import access, clock, consent_query, consent_writer, patients
from needlelog.services.signature_image import png
from needlelog.store.database import Database

# Before every session date the tests use: one consent covers a patient's first course.
LONG_AGO = date(1990, 1, 1)

SCRIBBLE = Signature(
    320,
    120,
    (
        Stroke(
            tuple(
                StrokePoint(20 + 6 * i, 60 + (i % 5) * 6, 0.4 + 0.05 * (i % 8)) for i in range(40)
            )
        ),
        Stroke((StrokePoint(200, 30, 1.0), StrokePoint(260, 100, 0.7), StrokePoint(300, 40, 0.5))),
    ),
)


def sign_consent(
    db: Database,
    patient_id: int,
    on: date = LONG_AGO,
    kind: ConsentKind = ConsentKind.TREATMENT,
    answers: dict[PhotoUse, bool] | None = None,
    witness: str = "Dr. Amelia Hart",
) -> Consent:
    """A consent signed on screen on ``on`` (written through the one writer, as the
    signing view does, with the date set: the service signs at the current time)."""
    with db.transaction(write=True) as conn:
        template = consent_query.template_for(conn, kind)
        pairs = (
            tuple((u, (answers or {}).get(u, True)) for u in PhotoUse)
            if kind is ConsentKind.PHOTO
            else ()
        )
        cid = consent_writer.insert_consent(
            conn, patient_id, template, pairs, ConsentMethod.ON_SCREEN, SCRIBBLE, png(SCRIBBLE),
            "", "", datetime.combine(on, time(9, 0)), witness, "", _actor(), clock.utc_now(),
        )  # fmt: skip
        return consent_query.one(conn, cid)


def _actor() -> str:
    account = access.current()
    return "test" if account is None else account.name


def register_consenting(db: Database, data: PatientData, actor: str = "test") -> Patient:
    """Register a patient who signed the treatment consent before their first session."""
    patient = patients.register(db, data, actor)
    sign_consent(db, patient.id)
    return patient


def signed_for(db: Database, patient_id: int, day: date) -> None:
    """Sign a treatment consent on ``day`` unless one covers it already (a new course is
    signed for again, as the clinic's rule asks)."""
    with db.transaction() as conn:
        covered = consent_query.treatment_status(conn, patient_id, day).consent is not None
    if not covered:
        sign_consent(db, patient_id, day)
