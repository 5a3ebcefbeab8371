"""The one reader of patients.

Every read of a patient (search pages, the opened record, the due list, a save's
answer, every export) selects ``SELECT``'s columns, or filters it, and builds the
record with ``build``; rows are read by column name.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import Connection, Select, bindparam, func, select, true

from needlelog.domain.records import Patient
from needlelog.services.errors import NotFound
from needlelog.services.mapping import patient_data
from needlelog.store.tables import patients as _patients

BATCH = 1000

# Every column of the patient table: filter it, never select a second column list.
SELECT: Select[Any] = select(_patients)


def build(row: Mapping[str, Any]) -> Patient:
    """A stored patient from a row of ``SELECT`` (``result.mappings()``), by name."""
    return Patient(
        id=row["id"],
        data=patient_data(row),
        archived=row["archived"],
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        last_session_on=row["last_session_on"],
        course_sessions=row["course_sessions"],
        sessions_total=row["sessions_total"],
        next_due=row["next_due"],
        anonymised_at=row["anonymised_at"],
    )


_BY_ID = SELECT.where(_patients.c.id == bindparam("patient_id"))
_BY_RECORD_NO = SELECT.where(_patients.c.record_no == bindparam("record_no"))


def by_id(conn: Connection, patient_id: int) -> Patient:
    row = conn.execute(_BY_ID, {"patient_id": patient_id}).mappings().first()
    if row is None:
        raise NotFound(f"no patient with id {patient_id}")
    return build(row)


def by_record_no(conn: Connection, record_no: str) -> Patient:
    row = conn.execute(_BY_RECORD_NO, {"record_no": record_no}).mappings().first()
    if row is None:
        raise NotFound(f"no patient with record number {record_no}")
    return build(row)


def _one_patient(whole: bool) -> Any:
    return true() if whole else _patients.c.record_no == bindparam("record_no")


def _scope(record_no: str | None, **values: Any) -> dict[str, Any]:
    return values if record_no is None else {"record_no": record_no, **values}


def count(conn: Connection, record_no: str | None = None) -> int:
    stmt = select(func.count()).select_from(_patients).where(_one_patient(record_no is None))
    return int(conn.execute(stmt, _scope(record_no)).scalar() or 0)


def every(
    conn: Connection, record_no: str | None = None, batch: int | None = None
) -> Iterator[Patient]:
    """Every patient (or the one with ``record_no``) in id order, in keyset batches."""
    stmt = (
        SELECT.where(_patients.c.id > bindparam("last"), _one_patient(record_no is None))
        .order_by(_patients.c.id)
        .limit(bindparam("limit"))
    )
    last = 0
    while True:
        params = _scope(record_no, last=last, limit=batch or BATCH)
        rows = conn.execute(stmt, params).mappings().all()
        if not rows:
            return
        yield from map(build, rows)
        last = rows[-1]["id"]
