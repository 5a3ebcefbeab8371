"""Stream every stored record out of the database in batches, memory flat.

One read transaction covers the whole export, so the files describe one
moment even while others keep saving. Records are read in keyset batches
(``id > last``, ``BATCH`` at a time): no ORM identity map grows with the
table, so a million sessions cost no more memory than a thousand. Sessions
come straight from ``session_query.every``, as the window reads them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from needlelog.domain.records import PatientData
from needlelog.services import patient_query, session_query
from needlelog.store.tables import audit_events

BATCH = 1000


@dataclass(frozen=True)
class StoredPatient:
    id: int
    data: PatientData
    archived: bool
    created_at: datetime
    updated_at: datetime
    version: int


def count(conn: Connection, record_no: str | None = None) -> tuple[int, int]:
    """How many patients and sessions an export will write."""
    return patient_query.count(conn, record_no), session_query.count(conn, record_no)


def iter_patients(
    conn: Connection, record_no: str | None = None, batch: int | None = None
) -> Iterator[StoredPatient]:
    """Patients in id order, as ``patient_query`` reads them."""
    for p in patient_query.every(conn, record_no, batch or BATCH):
        yield StoredPatient(p.id, p.data, p.archived, p.created_at, p.updated_at, p.version)


def iter_audit(conn: Connection, batch: int | None = None) -> Iterator[dict[str, Any]]:
    """The audit trail in order, as plain values (``changes`` decoded from its JSON)."""
    import json

    batch = batch or BATCH
    table = audit_events
    last = 0
    while True:
        rows = conn.execute(
            select(table).where(table.c.id > last).order_by(table.c.id).limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            yield {
                "id": row.id,
                "at": row.at.isoformat(),
                "actor": row.actor,
                "entity": row.entity,
                "entity_id": row.entity_id,
                "action": row.action,
                "changes": json.loads(row.changes),
            }
        last = rows[-1].id
