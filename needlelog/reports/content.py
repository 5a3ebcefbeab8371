"""What a report says about a patient, gathered from the services in one place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from needlelog.domain.contraindications import Contraindication, Severity, evaluate
from needlelog.domain.course import CourseStatus
from needlelog.domain.photos import PhotoUse
from needlelog.domain.records import Patient, TreatmentSession
from needlelog.services import clock, patients, photo_query, schedule, sessions, settings
from needlelog.services.settings import ClinicInfo
from needlelog.store.database import Database


@dataclass(frozen=True)
class ReportContent:
    patient: Patient
    history: list[TreatmentSession]  # oldest first
    status: CourseStatus
    clinic: ClinicInfo
    aftercare: str
    interval_min_weeks: int
    interval_max_weeks: int
    contraindications: list[Contraindication]  # recorded on the patient or screened lately
    generated_at: datetime
    # The patient agreed to their photos being shown in their own report: only then
    # is the Photographs page (and Pillow with it) loaded at all.
    photos_agreed: bool

    @property
    def today(self) -> date:
        return self.generated_at.date()


def load(db: Database, patient_id: int, now: datetime | None = None) -> ReportContent:
    """Everything the progress report shows, read through the services."""
    now = now or clock.local_now()
    patient = patients.get(db, patient_id)
    history = sessions.history(db, patient_id, newest_first=False)
    protocol = settings.get_protocol(db)
    items = list(patient.data.contraindications)
    if history:
        latest = history[-1].data
        screened = evaluate(latest.screening, now.date(), protocol)
        items += [i for i in (*screened.avoid, *screened.caution) if i not in items]
    with db.transaction() as conn:
        agreed = photo_query.uses(conn, patient_id).allows(PhotoUse.OWN_REPORT)
    # Items to avoid first: they are the ones that stop treatment.
    items.sort(key=lambda i: (i.severity is not Severity.AVOID, list(Contraindication).index(i)))
    return ReportContent(
        patient=patient,
        history=history,
        status=schedule.patient_status(patient, db, now.date()),
        clinic=settings.get_clinic(db),
        aftercare=settings.get_aftercare(db),
        interval_min_weeks=protocol.interval_min_weeks,
        interval_max_weeks=protocol.interval_max_weeks,
        contraindications=items,
        generated_at=now,
        photos_agreed=agreed,
    )
