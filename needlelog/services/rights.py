"""A patient's rights over their record: how long the clinic must keep it, and
anonymisation once that time has run.

The clinic keeps a record for its retention period (a setting, default 8 years after
the last session, or after registration for a patient never treated). Until then an
erasure is refused with the date it becomes possible. After it, anonymisation removes
the names, contact details and notes, withdraws the photos from every use (their
files stay in the photo store) and reduces the date of birth to the year; the sessions stay as clinical (now anonymous) history. The audit trail records
that it happened and which fields went, never what they held: identifying values
never entered the trail (``domain.chain``), so it needs no change and its hash chain
keeps verifying.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from needlelog.domain.accounts import Permission
from needlelog.services import access, clock, patient_query, patients, photo_writer, settings
from needlelog.services.errors import Refused
from needlelog.store.database import Database

RETENTION_KEY = "retention_years"
DEFAULT_RETENTION_YEARS = 8

# The reason kept with each photo an anonymisation withdraws.
WITHDRAWN_REASON = "anonymised"


def retention_years(db: Database) -> int:
    value = settings.get_value(db, RETENTION_KEY, DEFAULT_RETENTION_YEARS)
    return int(value) if isinstance(value, int) and value > 0 else DEFAULT_RETENTION_YEARS


def set_retention_years(db: Database, years: int, actor: str) -> None:
    access.require(db, Permission.CLINIC_SETTINGS)
    if not 1 <= years <= 100:
        from needlelog.domain.errors import InvalidRecord, Violation

        raise InvalidRecord(
            [Violation(RETENTION_KEY, years, "1 to 100 years", "the retention period must be "
                       "between 1 and 100 years")]
        )  # fmt: skip
    settings.set_value(db, RETENTION_KEY, years, actor)


def _plus_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class Retention:
    kept_until: date  # the record may be anonymised from the day after
    years: int

    def runs_on(self, today: date) -> bool:
        return today <= self.kept_until


def retention_of(db: Database, patient_id: int) -> Retention:
    years = retention_years(db)
    with db.transaction() as conn:
        patient = patient_query.by_id(conn, patient_id)
    since = patient.last_session_on or patient.created_at.date()
    return Retention(_plus_years(since, years), years)


def anonymise(db: Database, patient_id: int, actor: str, today: date | None = None) -> int:
    """Anonymise a patient once the retention period has run; refused (nothing
    changed) before. Answers the number of photos withdrawn (in the same transaction)."""
    access.require(db, Permission.ERASE)
    day = today or clock.today()
    retention = retention_of(db, patient_id)
    with db.transaction() as conn:
        patient = patient_query.by_id(conn, patient_id)
    if patient.anonymised_at is not None:
        raise Refused(f"patient {patient.record_no} is already anonymised")
    if retention.runs_on(day):
        raise Refused(
            f"patient {patient.record_no} cannot be erased yet: the clinic keeps records for "
            f"{retention.years} years after the last session, until "
            f"{retention.kept_until:%Y-%m-%d}"
        )
    with db.write() as s:
        withdrawn = photo_writer.withdraw_all_of(
            s.connection(), patient_id, WITHDRAWN_REASON, actor, clock.utc_now()
        )
        patients.anonymise_in(s, patient_id, actor)
    return withdrawn
