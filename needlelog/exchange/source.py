"""Stream every stored record out of the database in batches, memory flat.

One read transaction covers the whole export, so the files describe one
moment even while others keep saving. Sessions are read in keyset batches
(``id > last``) with their children fetched by a few plain queries per
batch: no ORM identity map grows with the table, so a million sessions
cost no more memory than a thousand.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Select, bindparam, func, select, true
from sqlalchemy.orm import Session

from needlelog.domain.records import PatientData, SessionData
from needlelog.services.mapping import patient_data, session_data
from needlelog.store.driver import DriverConnection
from needlelog.store.models import (
    AssessmentRow,
    AuditEventRow,
    PatientRow,
    ProductRow,
    ScreeningRow,
    SessionRow,
    TreatedAreaRow,
)

BATCH = 1000


@dataclass(frozen=True)
class StoredPatient:
    id: int
    data: PatientData
    archived: bool
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True)
class StoredSession:
    id: int
    patient_id: int
    record_no: str
    data: SessionData
    created_at: datetime
    updated_at: datetime
    version: int


# A Session, or a DriverConnection for the batch readers (store.driver): an export
# of a million sessions runs a few thousand statements, each built once.
Executor = Session | DriverConnection


def _patient_filter(record_no: str | None) -> Any:
    return True if record_no is None else PatientRow.record_no == record_no


def _one_patient(whole: bool) -> Any:
    return true() if whole else PatientRow.record_no == bindparam("record_no")


def _params(record_no: str | None, **values: Any) -> dict[str, Any]:
    return values if record_no is None else {"record_no": record_no, **values}


@lru_cache(maxsize=2)
def _count_statements(whole: bool) -> tuple[Select[Any], Select[Any]]:
    patients = select(func.count()).select_from(PatientRow).where(_one_patient(whole))
    sessions = (
        select(func.count())
        .select_from(SessionRow)
        .join(PatientRow, PatientRow.id == SessionRow.patient_id)
        .where(_one_patient(whole))
    )
    return patients, sessions


def count(conn: Executor, record_no: str | None = None) -> tuple[int, int]:
    """How many patients and sessions an export will write."""
    patients, sessions = _count_statements(record_no is None)
    params = _params(record_no)
    return (
        int(conn.execute(patients, params).scalar() or 0),
        int(conn.execute(sessions, params).scalar() or 0),
    )


def iter_patients(
    session: Session, record_no: str | None = None, batch: int | None = None
) -> Iterator[StoredPatient]:
    batch = batch or BATCH
    table = PatientRow.__table__
    last = 0
    while True:
        rows = session.execute(
            select(table)
            .where(table.c.id > last, _patient_filter(record_no))
            .order_by(table.c.id)
            .limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            yield StoredPatient(
                id=row.id,
                data=patient_data(row),  # type: ignore[arg-type]
                archived=bool(row.archived),
                created_at=row.created_at,
                updated_at=row.updated_at,
                version=row.version,
            )
        last = rows[-1].id


def _children(
    session: Session, model: Any, ids: list[int], contiguous: bool, order: Any = None
) -> dict[int, list]:
    table = model.__table__
    # A whole-table batch holds every id between its first and last: a range
    # scan of the index is cheaper than a list of a thousand parameters.
    where = (
        table.c.session_id.between(ids[0], ids[-1]) if contiguous else table.c.session_id.in_(ids)
    )
    stmt = select(table).where(where)
    if order is not None:
        stmt = stmt.order_by(table.c.session_id, table.c[order])
    found: dict[int, list] = defaultdict(list)
    for row in session.execute(stmt):
        found[row.session_id].append(row)
    return found


def iter_sessions(
    session: Session, record_no: str | None = None, batch: int | None = None
) -> Iterator[StoredSession]:
    """Sessions in id order, each with its areas, products, screening and scores."""
    batch = batch or BATCH
    table = SessionRow.__table__
    patients = PatientRow.__table__
    last = 0
    while True:
        rows = session.execute(
            select(table, patients.c.record_no.label("patient_record_no"))
            .join(patients, patients.c.id == table.c.patient_id)
            .where(table.c.id > last, _patient_filter(record_no))
            .order_by(table.c.id)
            .limit(batch)
        ).all()
        if not rows:
            return
        ids = [r.id for r in rows]
        whole = record_no is None
        areas = _children(session, TreatedAreaRow, ids, whole, "position")
        products = _children(session, ProductRow, ids, whole, "position")
        screening = _children(session, ScreeningRow, ids, whole)
        scores = _children(session, AssessmentRow, ids, whole)
        for row in rows:
            view = SimpleNamespace(
                **row._mapping,
                areas=areas.get(row.id, []),
                products=products.get(row.id, []),
                screening=screening.get(row.id, []),
                assessments=scores.get(row.id, []),
            )
            yield StoredSession(
                id=row.id,
                patient_id=row.patient_id,
                record_no=row.patient_record_no,
                data=session_data(view),  # type: ignore[arg-type]
                created_at=row.created_at,
                updated_at=row.updated_at,
                version=row.version,
            )
        last = rows[-1].id
        del rows, areas, products, screening, scores


# --- plain rows, for exports that encode straight from stored values ------------

# Column order of the rows ``iter_patient_rows`` and ``iter_session_batches`` give.
PATIENT_ROW = (
    "record_no", "family_name", "given_name", "date_of_birth", "sex", "phone", "email",
    "fitzpatrick", "contraindications", "notes", "planned_sessions", "archived",
)  # fmt: skip
SESSION_ROW = (
    "id", "performed_at", "practitioner", "indications", "device", "cartridge_needles",
    "cartridge_lot", "pen_speed", "numbing_product", "numbing_minutes", "redness", "bruising",
    "swelling", "pinpoint_bleeding", "acne_flare", "adverse_events", "pain", "notes",
    "aftercare_given", "next_due", "cautions_acknowledged", "override_reason",
)  # fmt: skip
AREA_ROW = ("session_id", "area", "label", "depth_um", "passes", "endpoint")
PRODUCT_ROW = ("session_id", "name", "lot", "expiry")
SCREENING_ROW = ("session_id", "item", "present", "since")
ASSESSMENT_ROW = ("session_id", "scale", "item", "score")


@dataclass(frozen=True)
class SessionBatch:
    """One keyset batch of stored sessions with all their children, as plain rows.

    ``sessions`` rows are the patient's record number followed by the columns
    of ``SESSION_ROW``, in id order; each child list follows its ``*_ROW``
    columns and is ordered by session id (areas and products then by position),
    so a single pass groups them.
    """

    sessions: Sequence[Sequence[Any]]
    areas: Sequence[Sequence[Any]]
    products: Sequence[Sequence[Any]]
    screening: Sequence[Sequence[Any]]
    assessments: Sequence[Sequence[Any]]


@lru_cache(maxsize=2)
def _patient_batch(whole: bool) -> Select[Any]:
    table = PatientRow.__table__
    return (
        select(table.c.id, *(table.c[name] for name in PATIENT_ROW))
        .where(table.c.id > bindparam("last"), _one_patient(whole))
        .order_by(table.c.id)
        .limit(bindparam("limit"))
    )


def iter_patient_rows(
    conn: Executor, record_no: str | None = None, batch: int | None = None
) -> Iterator[Sequence[Sequence[Any]]]:
    """Patients in id order, a batch of ``PATIENT_ROW`` rows at a time."""
    stmt = _patient_batch(record_no is None)
    last = 0
    while True:
        rows = conn.execute(stmt, _params(record_no, last=last, limit=batch or BATCH)).all()
        if not rows:
            return
        last = rows[-1][0]
        yield [row[1:] for row in rows]


@lru_cache(maxsize=16)
def _child_batch(model: Any, names: tuple[str, ...], order: str | None, whole: bool) -> Select[Any]:
    """The children of the sessions with ids from ``lo`` to ``hi``: all of them when the
    whole clinic is exported, else only those of the one patient's sessions."""
    table = model.__table__
    in_range = table.c.session_id.between(bindparam("lo"), bindparam("hi"))
    if not whole:
        ids = (
            select(SessionRow.id)
            .join(PatientRow, PatientRow.id == SessionRow.patient_id)
            .where(_one_patient(whole), SessionRow.id.between(bindparam("lo"), bindparam("hi")))
        )
        in_range = table.c.session_id.in_(ids)
    stmt = select(*(table.c[name] for name in names)).where(in_range)
    return stmt.order_by(table.c.session_id, *(() if order is None else (table.c[order],)))


@lru_cache(maxsize=2)
def _session_batch(whole: bool) -> Select[Any]:
    table = SessionRow.__table__
    patients = PatientRow.__table__
    return (
        select(patients.c.record_no, *(table.c[name] for name in SESSION_ROW))
        .join(patients, patients.c.id == table.c.patient_id)
        .where(table.c.id > bindparam("last"), _one_patient(whole))
        .order_by(table.c.id)
        .limit(bindparam("limit"))
    )


def iter_session_batches(
    conn: Executor, record_no: str | None = None, batch: int | None = None
) -> Iterator[SessionBatch]:
    """Sessions in id order, a batch at a time, with their children as plain rows.

    A handful of queries per batch and no per-record objects: the fast way to
    stream every session out (what ``iter_sessions`` gives, before mapping).
    """
    whole = record_no is None
    stmt = _session_batch(whole)
    children = [
        _child_batch(TreatedAreaRow, AREA_ROW, "position", whole),
        _child_batch(ProductRow, PRODUCT_ROW, "position", whole),
        _child_batch(ScreeningRow, SCREENING_ROW, None, whole),
        _child_batch(AssessmentRow, ASSESSMENT_ROW, None, whole),
    ]
    last = 0
    while True:
        rows = conn.execute(stmt, _params(record_no, last=last, limit=batch or BATCH)).all()
        if not rows:
            return
        span = _params(record_no, lo=rows[0][1], hi=rows[-1][1])
        areas, products, screening, assessments = (
            conn.execute(child, span).all() for child in children
        )
        yield SessionBatch(rows, areas, products, screening, assessments)
        last = rows[-1][1]


def iter_audit(session: Session, batch: int | None = None) -> Iterator[dict[str, Any]]:
    """The audit trail in order, as plain values (``changes`` decoded from its JSON)."""
    import json

    batch = batch or BATCH
    table = AuditEventRow.__table__
    last = 0
    while True:
        rows = session.execute(
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
