"""The recall log: read and write the attempts to reach a patient who is due.

The one query module and the one writer of contact attempts. An attempt is
never changed or removed by ordinary use; each is in the audit trail.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, delete, insert, select

from needlelog.domain.accounts import Permission
from needlelog.domain.errors import raise_if_any
from needlelog.domain.recall import ContactAttempt, ContactOutcome, contact_violations
from needlelog.services import access, audit, clock
from needlelog.services.errors import NotFound
from needlelog.store.database import Database
from needlelog.store.tables import contact_attempts as _attempts
from needlelog.store.tables import patients as _patients

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

_c = _attempts.c
_PATIENT = select(_patients.c.id)


def _attempt(row: Row[Any]) -> ContactAttempt:
    return ContactAttempt(
        patient_id=row.patient_id,
        contacted_on=row.contacted_on,
        outcome=ContactOutcome(row.outcome),
        note=row.note,
        actor=row.actor,
        id=row.id,
        recorded_at=row.created_at,
    )


def log_contact(
    db: Database,
    patient_id: int,
    outcome: ContactOutcome,
    actor: str,
    contacted_on: date | None = None,
    note: str = "",
    today: date | None = None,
) -> ContactAttempt:
    """Log one attempt (today unless another day is given); refuses a future date."""
    access.require(db, Permission.PATIENT_LIST)
    today = today or clock.today()
    contacted_on = contacted_on or today
    note = note.strip()
    raise_if_any(contact_violations(contacted_on, note, today))
    with db.transaction(write=True) as conn:
        if conn.execute(_PATIENT.where(_patients.c.id == patient_id)).first() is None:
            raise NotFound(f"no patient with id {patient_id}")
        stamp = clock.utc_now()
        values = {
            "patient_id": patient_id,
            "contacted_on": contacted_on,
            "outcome": ContactOutcome(outcome).value,
            "note": note,
            "actor": actor,
            "created_at": stamp,
        }
        new_id = conn.execute(insert(_attempts).values(values)).inserted_primary_key[0]
        audit.append(
            conn,
            actor,
            "contact_attempt",
            new_id,
            "create",
            {k: [None, v] for k, v in values.items() if k != "created_at"},
        )
        return ContactAttempt(
            patient_id, contacted_on, ContactOutcome(outcome), note, actor, new_id, stamp
        )


def attempts(db: Database, patient_id: int) -> list[ContactAttempt]:
    """The patient's contact attempts, newest first."""
    access.require(db, Permission.PATIENT_LIST)
    with db.transaction() as conn:
        rows = conn.execute(
            select(_attempts)
            .where(_c.patient_id == patient_id)
            .order_by(_c.contacted_on.desc(), _c.id.desc())
        )
        return [_attempt(r) for r in rows]


def latest_attempts(db: Database, patient_ids: Iterable[int]) -> dict[int, ContactAttempt]:
    """The newest attempt of each of ``patient_ids`` that has one (for the due list)."""
    ids = sorted(set(patient_ids))
    if not ids:
        return {}
    found: dict[int, ContactAttempt] = {}
    with db.transaction() as conn:
        for start in range(0, len(ids), 500):  # bound the size of one IN list
            chunk = ids[start : start + 500]
            rows = conn.execute(
                select(_attempts)
                .where(_c.patient_id.in_(chunk))
                .order_by(_c.patient_id, _c.contacted_on, _c.id)
            )
            for row in rows:  # the last of each patient's rows is the newest
                found[row.patient_id] = _attempt(row)
    return found


def remove_made_up(session: Session | Connection, patient_ids: list[int]) -> None:
    """Delete the attempts logged for these patients: only for the demo clinic's
    made-up records (a real attempt is never removed)."""
    session.execute(delete(_attempts).where(_c.patient_id.in_(patient_ids)))
