"""Record, amend and read treatment sessions."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    Connection,
    Insert,
    Select,
    Table,
    bindparam,
    desc,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session, selectinload

from needlelog.domain import course
from needlelog.domain.accounts import Permission
from needlelog.domain.codes import Area, Grade
from needlelog.domain.errors import InvalidRecord, Violation
from needlelog.domain.protocol import Protocol
from needlelog.domain.records import Product, SessionData, TreatmentSession
from needlelog.domain.validation import check_session
from needlelog.services import access, audit, clock
from needlelog.services.errors import NotFound, StaleRecord
from needlelog.services.mapping import (
    AREA_COLUMNS,
    ASSESSMENT_COLUMNS,
    PRODUCT_COLUMNS,
    SCREENING_COLUMNS,
    SESSION_COLUMNS,
    as_dict,
    session_data,
    session_from_columns,
    session_from_row,
    session_from_values,
    session_to_row,
    session_values,
)
from needlelog.services.settings import protocol_in
from needlelog.store.database import Database
from needlelog.store.driver import DriverConnection
from needlelog.store.models import (
    AssessmentRow,
    PatientRow,
    ProductRow,
    ScreeningRow,
    SessionRow,
    TreatedAreaRow,
)

# A Session's connection or a DriverConnection: the plain statements run on either.
Executor = Connection | DriverConnection

FLAG_SEVERE = "severe_reaction"
FLAG_AVOID_OVERRIDDEN = "avoid_overridden"

_LOAD = (
    selectinload(SessionRow.areas),
    selectinload(SessionRow.products),
    selectinload(SessionRow.screening),
    selectinload(SessionRow.assessments),
)


def _patient(session: Session, patient_id: int) -> PatientRow:
    row = session.get(PatientRow, patient_id)
    if row is None:
        raise NotFound(f"no patient with id {patient_id}")
    return row


def _summary_values(
    performed: list[tuple[datetime, date | None]], planned: int | None, protocol: Protocol
) -> dict[str, Any]:
    """The course summary columns from the patient's sessions (performed_at, next_due)
    in date order."""
    days = [at.date() for at, _due in performed]
    sizes = course.course_sizes(days)
    next_due = None
    if performed:
        st = course.status_from_summary(
            days[-1], sizes[-1], days[-1], protocol, planned, performed[-1][1]
        )
        next_due = st.next_due
    return {
        "last_session_on": days[-1] if days else None,
        "course_sessions": sizes[-1] if sizes else 0,
        "sessions_total": len(days),
        "next_due": next_due,
    }


_patients = PatientRow.__table__
# Values as parameters, statements built once: a save builds no SQL.
_UPDATE_SUMMARY = (
    update(_patients)
    .where(_patients.c.id == bindparam("summary_of"))
    .values(
        {
            name: bindparam(name)
            for name in ("last_session_on", "course_sessions", "sessions_total", "next_due")
        }
    )
)


def _insert_statement(table: Table) -> Insert:
    """An insert of every column but a generated id, each value a parameter."""
    return insert(table).values(
        {c.key: bindparam(c.key) for c in table.columns if not (c.primary_key and c.key == "id")}
    )


_INSERT_SESSION = _insert_statement(SessionRow.__table__)
_INSERT_CHILDREN = {
    "areas": _insert_statement(TreatedAreaRow.__table__),
    "products": _insert_statement(ProductRow.__table__),
    "screening": _insert_statement(ScreeningRow.__table__),
    "assessments": _insert_statement(AssessmentRow.__table__),
}
_PATIENT_FACTS = select(
    PatientRow.archived, PatientRow.record_no, PatientRow.date_of_birth, PatientRow.planned_sessions
).where(PatientRow.id == bindparam("patient_id"))


@dataclass(frozen=True)
class _PatientFacts:
    """What a save depends on of its patient (a ``PatientRow`` has the same names)."""

    id: int
    archived: bool
    record_no: str
    date_of_birth: date | None
    planned_sessions: int | None


_EARLIER = (
    select(SessionRow.performed_at, SessionRow.next_due)
    .where(SessionRow.patient_id == bindparam("of"))
    .order_by(SessionRow.performed_at, SessionRow.id)
)


def _write_summary(conn: Executor, patient_id: int, values: dict[str, Any]) -> None:
    conn.execute(_UPDATE_SUMMARY, {"summary_of": patient_id, **values})


def refresh_summary(session: Session, patient_id: int, protocol: Protocol) -> None:
    """Recompute the course summary kept on the patient row (no version bump:
    a saved session must not make an open edit of the patient look stale)."""
    rows = session.execute(
        select(SessionRow.performed_at, SessionRow.next_due)
        .where(SessionRow.patient_id == patient_id)
        .order_by(SessionRow.performed_at, SessionRow.id)
    ).all()
    planned = session.scalar(select(PatientRow.planned_sessions).where(PatientRow.id == patient_id))
    _write_summary(
        session, patient_id, _summary_values([tuple(r) for r in rows], planned, protocol)
    )


def _with_default_due(
    data: SessionData,
    session: Session,
    patient: PatientRow,
    protocol: Protocol,
    exclude_id: int | None = None,
) -> SessionData:
    if data.next_due is not None:
        return data
    stmt = select(SessionRow.performed_at).where(SessionRow.patient_id == patient.id)
    if exclude_id is not None:
        stmt = stmt.where(SessionRow.id != exclude_id)
    return _due_from_days(data, [d.date() for d in session.scalars(stmt)], patient, protocol)


def _due_from_days(
    data: SessionData, days: list[date], patient: _PatientFacts | PatientRow, protocol: Protocol
) -> SessionData:
    """``data`` with its next due date filled in, from the days of the patient's
    other sessions, when the practitioner left it empty."""
    if data.next_due is not None:
        return data
    on = data.performed_at.date()
    number = course.position_in_course([*days, on], on)
    planned = patient.planned_sessions or protocol.planned_sessions
    return replace(data, next_due=course.default_next_due(on, number, planned, protocol))


def _check(
    data: SessionData,
    patient: _PatientFacts | PatientRow,
    protocol: Protocol,
    now: datetime | None,
) -> None:
    if patient.archived:
        raise InvalidRecord(
            [
                Violation(
                    "patient",
                    patient.record_no,
                    "an active patient",
                    f"patient {patient.record_no} is archived; bring the record back before "
                    "recording a session",
                )
            ]
        )
    moment = now or clock.local_now()
    check_session(data, protocol, moment.date(), patient.date_of_birth, moment)


def add_in(
    session: Session,
    patient_id: int,
    data: SessionData,
    actor: str,
    now: datetime | None = None,
    protocol: Protocol | None = None,
    refresh: bool = True,
) -> TreatmentSession:
    """Add a session inside an open transaction (used by imports and the demo fill)."""
    protocol = protocol or protocol_in(session)
    patient = _patient(session, patient_id)
    session.flush()  # the plain statements below must see any change still pending
    return _insert(session.connection(), patient, data, actor, now, protocol, refresh)


def _insert(
    conn: Executor,
    patient: _PatientFacts | PatientRow,
    data: SessionData,
    actor: str,
    now: datetime | None,
    protocol: Protocol,
    refresh: bool = True,
) -> TreatmentSession:
    """Check and write a new session with plain inserts: a new session has nothing to
    reconcile, and a unit of work's bookkeeping was most of a save's time."""
    _check(data, patient, protocol, now)
    # One read of the patient's sessions serves the default due date and the summary.
    earlier = [tuple(r) for r in conn.execute(_EARLIER, {"of": patient.id}).all()]
    data = _due_from_days(data, [at.date() for at, _due in earlier], patient, protocol)
    stamp = clock.utc_now()
    values = session_values(data)
    sid = conn.execute(
        _INSERT_SESSION,
        {
            **values.session,
            "patient_id": patient.id,
            "created_at": stamp,
            "updated_at": stamp,
            "version": 1,
        },
    ).inserted_primary_key[0]
    for name, stmt in _INSERT_CHILDREN.items():
        rows = getattr(values, name)
        if rows:
            conn.execute(stmt, [{**r, "session_id": sid} for r in rows])
    audit.append(
        conn,
        actor,
        "session",
        sid,
        "create",
        {"patient_id": [None, patient.id], **audit.diff({}, as_dict(data))},
    )
    if refresh:
        # The new session sorts after any other at the same moment (its id is larger).
        at = data.performed_at
        place = next((i for i, (other, _d) in enumerate(earlier) if other > at), len(earlier))
        earlier.insert(place, (at, data.next_due))
        summary = _summary_values(earlier, patient.planned_sessions, protocol)
        _write_summary(conn, patient.id, summary)
    return session_from_values(sid, patient.id, values, stamp)


def record(
    db: Database, patient_id: int, data: SessionData, actor: str, now: datetime | None = None
) -> TreatmentSession:
    """Save a new session; on any problem nothing is written."""
    access.require(db, Permission.CLINICAL_WRITE)
    data = access.as_recorded_by_current(data)
    with db.direct(write=True) as conn:
        protocol = protocol_in(conn)
        found = conn.execute(_PATIENT_FACTS, {"patient_id": patient_id}).first()
        if found is None:
            raise NotFound(f"no patient with id {patient_id}")
        return _insert(conn, _PatientFacts(patient_id, *found), data, actor, now, protocol)


def amend(
    db: Database,
    session_id: int,
    data: SessionData,
    expected_version: int,
    actor: str,
    now: datetime | None = None,
    reason: str = "",
) -> TreatmentSession:
    """Save a correction of a session opened at ``expected_version``; the previous values
    stay in the audit trail, with ``reason`` (why it was amended) in the same event."""
    access.require(db, Permission.CLINICAL_WRITE)
    with db.write() as s:
        row = s.get(SessionRow, session_id, options=_LOAD)
        if row is None:
            raise NotFound(f"no session with id {session_id}")
        if row.version != expected_version:
            raise StaleRecord(
                f"the session of {row.performed_at:%Y-%m-%d} was changed by someone else after "
                "you opened it; reload to see their changes, then edit again"
            )
        protocol = protocol_in(s)
        patient = _patient(s, row.patient_id)
        _check(data, patient, protocol, now)
        data = _with_default_due(data, s, patient, protocol, exclude_id=row.id)
        before = as_dict(session_data(row))
        with s.no_autoflush:  # one flush, so the version moves by exactly one
            session_to_row(data, row)
            row.updated_at = clock.utc_now()
        s.flush()
        changes = audit.diff(before, as_dict(data))
        if changes:
            if reason.strip():
                changes["reason"] = [None, reason.strip()]
            audit.append(s, actor, "session", row.id, "amend", changes)
        refresh_summary(s, row.patient_id, protocol)
        return session_from_row(row)


def get(db: Database, session_id: int) -> TreatmentSession:
    access.require(db, Permission.CLINICAL_READ)
    with db.read() as s:
        row = s.get(SessionRow, session_id, options=_LOAD)
        if row is None:
            raise NotFound(f"no session with id {session_id}")
        return session_from_row(row)


def _flags(
    data: SessionData,
    previous: SessionData | None,
    protocol: Protocol,
    course_done: bool = False,
) -> tuple[str, ...]:
    """A session's flags; ``course_done`` says ``previous`` completed its course, so
    this session is maintenance and cannot be late."""
    flags: list[str] = []
    if previous is not None:
        flag = course.interval_flag(
            previous.performed_at.date(), data.performed_at.date(), protocol, course_done
        )
        if flag is not None:
            flags.append(flag.value)
    if Grade.SEVERE in (data.redness, data.bruising, data.swelling):
        flags.append(FLAG_SEVERE)
    if data.override_reason.strip():
        flags.append(FLAG_AVOID_OVERRIDDEN)
    return tuple(flags)


def _history_statements() -> tuple[Select[Any], dict[str, Select[Any]]]:
    # Built once: a select of every column of a table costs as much to build as to run.
    of = bindparam("patient_id")
    sessions = (
        select(*(SessionRow.__table__.c[name] for name in SESSION_COLUMNS))
        .where(SessionRow.patient_id == of)
        .order_by(SessionRow.performed_at, SessionRow.id)
    )
    ids = select(SessionRow.id).where(SessionRow.patient_id == of).scalar_subquery()
    children = {}
    for name, table, columns, order in (
        ("areas", TreatedAreaRow.__table__, AREA_COLUMNS, ("session_id", "position")),
        ("products", ProductRow.__table__, PRODUCT_COLUMNS, ("session_id", "position")),
        ("screening", ScreeningRow.__table__, SCREENING_COLUMNS, ("session_id",)),
        ("assessments", AssessmentRow.__table__, ASSESSMENT_COLUMNS, ("session_id",)),
    ):
        stmt = select(table.c.session_id, *(table.c[c] for c in columns))
        stmt = stmt.where(table.c.session_id.in_(ids)).order_by(*(table.c[c] for c in order))
        children[name] = stmt
    return sessions, children


_HISTORY_SESSIONS, _HISTORY_CHILDREN = _history_statements()
_PATIENT_EXISTS = select(PatientRow.id, PatientRow.planned_sessions).where(
    PatientRow.id == bindparam("patient_id")
)
_NONE: list[tuple[Any, ...]] = []
first = itemgetter(0)


def history(db: Database, patient_id: int, newest_first: bool = True) -> list[TreatmentSession]:
    """All sessions of a patient with their flags (too soon, late, severe reaction).

    Read as plain rows in five queries, the children of every session at once, and
    built straight into records: a long history opens without ORM objects."""
    access.require(db, Permission.CLINICAL_READ)
    params = {"patient_id": patient_id}
    with db.direct() as conn:
        found = conn.execute(_PATIENT_EXISTS, params).first()
        if found is None:
            raise NotFound(f"no patient with id {patient_id}")
        protocol = protocol_in(conn)
        planned = found[1] or protocol.planned_sessions
        rows = conn.execute(_HISTORY_SESSIONS, params).all()
        # Child rows arrive grouped by session: one group per session, no per-row lookups.
        children = [
            {sid: list(group) for sid, group in groupby(conn.execute(stmt, params), first)}
            for stmt in _HISTORY_CHILDREN.values()
        ]
    areas, products, screening, assessments = children
    out: list[TreatmentSession] = []
    previous: list[SessionData | None] = [None]
    position = [0]  # of the previous session in its course

    def flags(data: SessionData) -> tuple[str, ...]:
        before = previous[0]
        found = _flags(data, before, protocol, course_done=position[0] >= planned)
        gap = None if before is None else data.performed_at.date() - before.performed_at.date()
        new_course = gap is None or gap > course.COURSE_BREAK
        position[0] = 1 if new_course else position[0] + 1
        previous[0] = data
        return found

    for row in rows:
        sid = row[0]
        out.append(
            session_from_columns(
                row,
                areas.get(sid, _NONE),
                products.get(sid, _NONE),
                screening.get(sid, _NONE),
                assessments.get(sid, _NONE),
                flags,
            )
        )
    return out[::-1] if newest_first else out


def latest(db: Database, patient_id: int) -> TreatmentSession | None:
    """The patient's most recent session, from which a new one is pre-filled."""
    access.require(db, Permission.CLINICAL_READ)
    with db.read() as s:
        row = s.scalar(
            select(SessionRow)
            .where(SessionRow.patient_id == patient_id)
            .order_by(desc(SessionRow.performed_at), desc(SessionRow.id))
            .limit(1)
            .options(*_LOAD)
        )
        return None if row is None else session_from_row(row)


def on_day(db: Database, patient_id: int, day: date) -> TreatmentSession | None:
    """The patient's session on ``day`` (the last of that day if there were several)."""
    access.require(db, Permission.CLINICAL_READ)
    start = datetime.combine(day, datetime.min.time())
    with db.read() as s:
        row = s.scalar(
            select(SessionRow)
            .where(
                SessionRow.patient_id == patient_id,
                SessionRow.performed_at >= start,
                SessionRow.performed_at < start + timedelta(days=1),
            )
            .order_by(desc(SessionRow.performed_at), desc(SessionRow.id))
            .limit(1)
            .options(*_LOAD)
        )
        return None if row is None else session_from_row(row)


@dataclass(frozen=True)
class LotUse:
    """One use of a lot: who received it, how to reach them, when and where."""

    patient_id: int
    record_no: str
    family_name: str
    given_name: str
    phone: str
    email: str
    archived: bool
    session_id: int
    performed_at: datetime
    product: str  # the product's name, or "Cartridge" with the device for a cartridge lot
    lot: str
    expiry: date | None
    areas: tuple[str, ...]  # the treated areas as the practitioner reads them


def _lot_key(column: Any) -> Any:
    return func.upper(func.trim(column))


def lot_uses(db: Database, lot: str) -> list[LotUse]:
    """Every session that used ``lot``, as a product's lot or a device cartridge's lot,
    oldest first (a manufacturer's recall). Case and surrounding spaces are ignored:
    a recall notice and a typed lot must not miss each other over them."""
    access.require(db, Permission.CLINICAL_READ)
    key = lot.strip().upper()
    if not key:
        return []
    people = (
        PatientRow.id,
        PatientRow.record_no,
        PatientRow.family_name,
        PatientRow.given_name,
        PatientRow.phone,
        PatientRow.email,
        PatientRow.archived,
        SessionRow.id,
        SessionRow.performed_at,
    )
    products = (
        select(*people, ProductRow.name, ProductRow.lot, ProductRow.expiry, SessionRow.device)
        .join(SessionRow, SessionRow.id == ProductRow.session_id)
        .join(PatientRow, PatientRow.id == SessionRow.patient_id)
        .where(_lot_key(ProductRow.lot) == key)
    )
    cartridges = (
        select(
            *people,
            literal(None).label("name"),
            SessionRow.cartridge_lot,
            literal(None).label("expiry"),
            SessionRow.device,
        )
        .join(PatientRow, PatientRow.id == SessionRow.patient_id)
        .where(_lot_key(SessionRow.cartridge_lot) == key)
    )
    with db.read() as s:
        found = s.execute(products.union_all(cartridges)).all()
        ids = sorted({row[7] for row in found})
        areas: dict[int, list[str]] = {}
        for sid, code, label in s.execute(
            select(TreatedAreaRow.session_id, TreatedAreaRow.area, TreatedAreaRow.label)
            .where(TreatedAreaRow.session_id.in_(ids))
            .order_by(TreatedAreaRow.session_id, TreatedAreaRow.position)
        ):
            areas.setdefault(sid, []).append(label.strip() or Area(code).label)
    uses = []
    for (
        pid,
        rec,
        family,
        given,
        phone,
        email,
        archived,
        sid,
        at,
        name,
        used,
        expiry,
        device,
    ) in found:
        product = name if name is not None else f"Cartridge ({device})" if device else "Cartridge"
        uses.append(
            LotUse(
                pid,
                rec,
                family,
                given,
                phone,
                email,
                bool(archived),
                sid,
                at,
                product,
                used,
                expiry,
                tuple(areas.get(sid, ())),
            )
        )
    uses.sort(key=lambda u: (u.performed_at, u.record_no, u.session_id, u.product))
    return uses


def known_products(db: Database, limit: int = 200) -> list[Product]:
    """Products with lot and expiry used before, most recently used first."""
    access.require(db, Permission.CLINICAL_READ)
    last_use = func.max(ProductRow.id).label("last_use")
    stmt = (
        select(ProductRow.name, ProductRow.lot, ProductRow.expiry, last_use)
        .group_by(ProductRow.name, ProductRow.lot, ProductRow.expiry)
        .order_by(desc(last_use))
        .limit(limit)
    )
    with db.read() as s:
        return [Product(r.name, r.lot, r.expiry) for r in s.execute(stmt)]


def known_practitioners(db: Database, limit: int = 50) -> list[str]:
    access.require(db, Permission.CLINICAL_READ)
    last_use = func.max(SessionRow.id).label("last_use")
    stmt = (
        select(SessionRow.practitioner, last_use)
        .group_by(SessionRow.practitioner)
        .order_by(desc(last_use))
        .limit(limit)
    )
    with db.read() as s:
        return [r.practitioner for r in s.execute(stmt)]


def default_next_due(db: Database, patient_id: int, performed_on: date) -> date:
    """What the form should pre-fill as next due for a new session on ``performed_on``."""
    access.require(db, Permission.CLINICAL_READ)
    with db.read() as s:
        protocol = protocol_in(s)
        patient = _patient(s, patient_id)
        probe = SessionData(
            performed_at=datetime.combine(performed_on, datetime.min.time()),
            practitioner="",
            areas=(),
        )
        filled = _with_default_due(probe, s, patient, protocol)
        assert filled.next_due is not None
        return filled.next_due
