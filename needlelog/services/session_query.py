"""The one reader of treatment sessions.

Every read of a session (the window's history, the form's "previous session", the
report, every export, the record a save returns) runs one of the statements here
and builds its records with ``build``: so a derived fact (too soon, late, severe
reaction, avoid overridden) is the same on a record however it was read. Rows are
read by column name; the columns are those of the tables themselves.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    String,
    bindparam,
    desc,
    func,
    literal,
    select,
    true,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from needlelog.domain import course
from needlelog.domain.codes import Area, Grade
from needlelog.domain.protocol import Protocol
from needlelog.domain.records import Product, SessionData, TreatmentSession
from needlelog.domain.signing import Addendum, Imported, Signature, Status
from needlelog.services import mapping
from needlelog.services.audit import plain
from needlelog.services.errors import NotFound
from needlelog.services.mapping import (
    AREA_COLUMNS,
    PRODUCT_COLUMNS,
    SCORE_COLUMNS,
    SCREENING_COLUMNS,
    as_dict,
    session_data,
)
from needlelog.services.settings import protocol_in
from needlelog.store import tables

FLAG_SEVERE = "severe_reaction"
FLAG_AVOID_OVERRIDDEN = "avoid_overridden"
# A new session saved without a treatment consent valid on its date, with a reason.
FLAG_CONSENT_OVERRIDDEN = "consent_overridden"
BATCH = 1000

_sessions = tables.treatment_sessions
_patients = tables.patients
_SELECT = select(_sessions, _patients.c.record_no, _patients.c.planned_sessions).join(
    _patients, _patients.c.id == _sessions.c.patient_id
)
# The children a record lists, each read as one JSON text per session (a list of
# the child rows' values, the columns ``mapping`` declares for each kind): a session
# has three or so areas, two scores and ten or more screening answers, so one row per
# session instead of one per child keeps the reads of an export a third as long.
_PACKED = (
    (tables.treated_areas, AREA_COLUMNS),
    (tables.session_products, PRODUCT_COLUMNS),
    (tables.screening_answers, SCREENING_COLUMNS),
    (tables.assessments, SCORE_COLUMNS),
)
_addenda = tables.session_addenda


class _json_rows(FunctionElement[str]):
    """The grouped rows as one JSON text: a list of the lists of their values."""

    type = String()
    name = "json_rows"
    inherit_cache = True


@compiles(_json_rows, "sqlite")
def _json_rows_sqlite(element: _json_rows, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_group_array(json_array({compiler.process(element.clauses, **kw)}))"


@compiles(_json_rows, "postgresql")
def _json_rows_postgresql(element: _json_rows, compiler: SQLCompiler, **kw: Any) -> str:
    args = compiler.process(element.clauses, **kw)
    return f"CAST(json_agg(json_build_array({args})) AS TEXT)"


def _packed(table: Any, columns: tuple[str, ...]) -> _json_rows:
    return _json_rows(*(table.c[name] for name in columns))


def _children_of(where: Any) -> tuple[Select[Any], ...]:
    """The statements of a record's children for the sessions whose id ``where``
    selects: areas, products, screening answers and scores (one row per session,
    ``_PACKED``), then the addenda."""
    packed = tuple(
        select(table.c.session_id, _packed(table, columns).label("packed"))
        .where(where(table.c.session_id))
        .group_by(table.c.session_id)
        .order_by(table.c.session_id)
        for table, columns in _PACKED
    )
    addenda = (
        select(_addenda)
        .where(where(_addenda.c.session_id))
        .order_by(_addenda.c.session_id, _addenda.c.id)
    )
    return (*packed, addenda)


_OF_PATIENT = _sessions.c.patient_id == bindparam("patient_id")
_HISTORY = _SELECT.where(_OF_PATIENT).order_by(_sessions.c.performed_at, _sessions.c.id)
_HISTORY_CHILDREN = _children_of(
    lambda sid: sid.in_(select(_sessions.c.id).where(_OF_PATIENT).scalar_subquery())
)
_ONE = _SELECT.where(_sessions.c.id == bindparam("session_id"))
_ONE_CHILDREN = _children_of(lambda sid: sid == bindparam("session_id"))
_LATEST_ID = (
    select(_sessions.c.id)
    .where(_OF_PATIENT)
    .order_by(desc(_sessions.c.performed_at), desc(_sessions.c.id))
    .limit(1)
)
_PATIENT_EXISTS = select(_patients.c.id).where(_patients.c.id == bindparam("patient_id"))
_MARK_COLUMNS = (
    _sessions.c.id,
    _sessions.c.patient_id,
    _sessions.c.performed_at,
    _patients.c.planned_sessions,
)
_MARK_ORDER = (_sessions.c.patient_id, _sessions.c.performed_at, _sessions.c.id)
_PATIENT_MARKS = (
    select(*_MARK_COLUMNS)
    .join(_patients, _patients.c.id == _sessions.c.patient_id)
    .where(_OF_PATIENT)
    .order_by(*_MARK_ORDER)
)


def _marks_of(conn: Connection, patient_id: int, protocol: Protocol) -> dict[int, Mark]:
    rows = conn.execute(_PATIENT_MARKS, {"patient_id": patient_id}).mappings()
    return course_marks(rows, protocol)


# --- the one builder ----------------------------------------------------------------


# What the interval flags of a session depend on: when the patient's session before it
# took place (None for a first session), and whether that one completed its course.
Mark = tuple[datetime | None, bool]
_FIRST: Mark = (None, False)


def course_marks(
    rows: Iterable[Mapping[str, Any]], protocol: Protocol, wanted: Container[int] | None = None
) -> dict[int, Mark]:
    """The ``Mark`` of each session (of those ``wanted``, if given) from rows (id,
    patient_id, performed_at, planned_sessions) of whole patients, each patient's in
    date order. Rows are read as they come: one patient's at a time in memory."""
    marks: dict[int, Mark] = {}
    for _pid, group in groupby(rows, itemgetter("patient_id")):
        sessions = list(group)
        planned = sessions[0]["planned_sessions"] or protocol.planned_sessions
        positions = course.positions_in_course([r["performed_at"].date() for r in sessions])
        mark = _FIRST
        for row, position in zip(sessions, positions, strict=True):
            if wanted is None or row["id"] in wanted:
                marks[row["id"]] = mark
            mark = (row["performed_at"], position >= planned)
    return marks


_SEVERE = Grade.SEVERE  # read once: a member read from its enum class is a Python call on 3.11


def flags(
    data: SessionData, previous_at: datetime | None, protocol: Protocol, course_done: bool
) -> tuple[str, ...]:
    """What a session is flagged for: its interval after the patient's previous session
    (too soon; late only inside a course: a maintenance session, after a completed
    course, is never late), a severe reaction, a contraindication answered but treated
    anyway, a new session saved without a valid treatment consent (with a reason)."""
    found: list[str] = []
    if previous_at is not None:
        flag = course.interval_flag(
            previous_at.date(), data.performed_at.date(), protocol, course_done
        )
        if flag is not None:
            found.append(flag.value)
    if _SEVERE in (data.redness, data.bruising, data.swelling):
        found.append(FLAG_SEVERE)
    if data.override_reason.strip():
        found.append(FLAG_AVOID_OVERRIDDEN)
    if data.consent_override_reason.strip():
        found.append(FLAG_CONSENT_OVERRIDDEN)
    return tuple(found)


_NONE: list[Any] = []


def build(
    row: Mapping[str, Any],
    areas: str | None,
    products: str | None,
    screening: str | None,
    assessments: str | None,
    addenda: Sequence[Mapping[str, Any]],
    protocol: Protocol,
    mark: Mark,
) -> TreatmentSession:
    """A stored session from a row of ``_SELECT``, its children as ``_PACKED`` reads
    them (None: it has none of that kind) and its addenda rows, each read by name;
    ``mark`` from ``course_marks``. The signature and the addenda come with it."""
    data = session_data(row, areas, products, screening, assessments)
    return TreatmentSession(
        id=row["id"],
        patient_id=row["patient_id"],
        data=data,
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        flags=flags(data, mark[0], protocol, mark[1]),
        status=mapping.status(row["status"]),
        signature=_signature(row),
        addenda=tuple(map(_addendum, addenda)),
        imported=Imported(row["imported_by"], row["imported_at"])
        if row["imported_at"] is not None
        else None,
    )


def _signature(row: Mapping[str, Any]) -> Signature | None:
    if row["signed_at"] is None:
        return None
    return Signature(
        name=row["signed_by"],
        role=row["signer_role"],
        at=row["signed_at"],
        meaning=row["signature_meaning"],
        content_sha256=row["signed_sha256"],
        account_id=row["signer_id"],
    )


def _addendum(row: Mapping[str, Any]) -> Addendum:
    return Addendum(
        id=row["id"],
        at=row["written_at"],
        author=row["author"],
        author_role=row["author_role"],
        reason=row["reason"],
        text=row["text"],
        corrections=json.loads(row["corrections"] or "{}"),
    )


_SESSION_ID = itemgetter("session_id")


def _grouped(rows: Iterable[Mapping[str, Any]]) -> dict[int, list[Mapping[str, Any]]]:
    """Child rows (ordered by session) per session id."""
    return {sid: list(group) for sid, group in groupby(rows, _SESSION_ID)}


def _build_all(
    conn: Connection,
    rows: Sequence[Mapping[str, Any]],
    children: tuple[Select[Any], ...],
    params: dict[str, Any],
    protocol: Protocol,
    marks: dict[int, Mark],
) -> list[TreatmentSession]:
    if not rows:
        return []
    *packed_of, addenda_of = children
    areas, products, screening, assessments = (
        {r["session_id"]: r["packed"] for r in conn.execute(stmt, params).mappings().all()}
        for stmt in packed_of
    )
    addenda = _grouped(conn.execute(addenda_of, params).mappings().all())
    return [
        build(
            row,
            areas.get(row["id"]),
            products.get(row["id"]),
            screening.get(row["id"]),
            assessments.get(row["id"]),
            addenda.get(row["id"], _NONE),
            protocol,
            marks[row["id"]],
        )
        for row in rows
    ]


def content_sha256(stored: TreatmentSession) -> str:
    """SHA-256 of a canonical JSON of the session record (its id, patient and every
    value): what a signature seals, and what ``check`` recomputes."""
    content = json.dumps(
        {"id": stored.id, "patient_id": stored.patient_id, "record": plain(as_dict(stored.data))},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


_DRAFTS = (
    select(
        _sessions.c.id,
        _sessions.c.patient_id,
        _sessions.c.performed_at,
        _sessions.c.practitioner,
        _sessions.c.created_at,
        _patients.c.record_no,
    )
    .join(_patients, _patients.c.id == _sessions.c.patient_id)
    .where(_sessions.c.status == Status.DRAFT.value, _sessions.c.created_at < bindparam("before"))
    .order_by(_sessions.c.created_at, _sessions.c.id)
    .limit(bindparam("limit"))
)


@dataclass(frozen=True)
class Draft:
    """A session still waiting for its signature (the to-do list)."""

    session_id: int
    patient_id: int
    record_no: str
    performed_at: datetime
    practitioner: str
    created_at: datetime


def unsigned_drafts(conn: Connection, before: datetime, limit: int = 200) -> list[Draft]:
    """Drafts saved before ``before`` and still unsigned, oldest first."""
    rows = conn.execute(_DRAFTS, {"before": before, "limit": limit}).mappings()
    return [
        Draft(
            r["id"], r["patient_id"], r["record_no"], r["performed_at"], r["practitioner"],
            r["created_at"],
        )
        for r in rows
    ]  # fmt: skip


# --- reads --------------------------------------------------------------------------


def history(conn: Connection, patient_id: int) -> list[TreatmentSession]:
    """All sessions of a patient, oldest first."""
    params = {"patient_id": patient_id}
    if conn.execute(_PATIENT_EXISTS, params).first() is None:
        raise NotFound(f"no patient with id {patient_id}")
    protocol = protocol_in(conn)
    rows = conn.execute(_HISTORY, params).mappings().all()
    return _build_all(conn, rows, _HISTORY_CHILDREN, params, protocol, course_marks(rows, protocol))


def one(conn: Connection, session_id: int) -> TreatmentSession:
    params = {"session_id": session_id}
    rows = conn.execute(_ONE, params).mappings().all()
    if not rows:
        raise NotFound(f"no session with id {session_id}")
    protocol = protocol_in(conn)
    marks = _marks_of(conn, rows[0]["patient_id"], protocol)
    (found,) = _build_all(conn, rows, _ONE_CHILDREN, params, protocol, marks)
    return found


def latest(conn: Connection, patient_id: int) -> TreatmentSession | None:
    """The patient's most recent session."""
    sid = conn.execute(_LATEST_ID, {"patient_id": patient_id}).scalar()
    return None if sid is None else one(conn, sid)


_ON_DAY_ID = (
    select(_sessions.c.id)
    .where(
        _OF_PATIENT,
        _sessions.c.performed_at >= bindparam("start"),
        _sessions.c.performed_at < bindparam("end"),
    )
    .order_by(desc(_sessions.c.performed_at), desc(_sessions.c.id))
    .limit(1)
)


def on_day(conn: Connection, patient_id: int, day: date) -> TreatmentSession | None:
    """The patient's session on ``day`` (the last of that day if there were several)."""
    start = datetime.combine(day, datetime.min.time())
    params = {"patient_id": patient_id, "start": start, "end": start + timedelta(days=1)}
    sid = conn.execute(_ON_DAY_ID, params).scalar()
    return None if sid is None else one(conn, sid)


_AT = _SELECT.where(_OF_PATIENT, _sessions.c.performed_at == bindparam("at")).order_by(
    _sessions.c.id
)
_AT_CHILDREN = _children_of(
    lambda sid: sid.in_(
        select(_sessions.c.id)
        .where(_OF_PATIENT, _sessions.c.performed_at == bindparam("at"))
        .scalar_subquery()
    )
)


def performed_at(
    conn: Connection, patient_id: int, at: datetime, protocol: Protocol
) -> list[TreatmentSession]:
    """The patient's sessions recorded at exactly ``at`` (an import skips a session
    already stored; it has read the ``protocol`` already)."""
    params = {"patient_id": patient_id, "at": at}
    rows = conn.execute(_AT, params).mappings().all()
    if not rows:
        return []
    marks = _marks_of(conn, patient_id, protocol)
    return _build_all(conn, rows, _AT_CHILDREN, params, protocol, marks)


# --- every session, for exports -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Exported:
    """A stored session with its patient's record number (what exports write)."""

    record_no: str
    session: TreatmentSession


def _one_patient(whole: bool) -> ColumnElement[bool]:
    return true() if whole else _patients.c.record_no == bindparam("record_no")


@lru_cache(maxsize=2)
def _batch_statements(
    whole: bool,
) -> tuple[Select[Any], tuple[Select[Any], ...], Select[Any]]:
    sessions = (
        _SELECT.where(_sessions.c.id > bindparam("last"), _one_patient(whole))
        .order_by(_sessions.c.id)
        .limit(bindparam("limit"))
    )
    in_range = _sessions.c.id.between(bindparam("lo"), bindparam("hi"))
    if whole:
        # A whole-table batch holds every id from its first to its last: a range scan.
        children = _children_of(lambda sid: sid.between(bindparam("lo"), bindparam("hi")))
    else:
        ids = (
            select(_sessions.c.id)
            .join(_patients, _patients.c.id == _sessions.c.patient_id)
            .where(_one_patient(whole), in_range)
            .scalar_subquery()
        )
        children = _children_of(lambda sid: sid.in_(ids))
    # The flags of a batch's sessions depend on their patients' other sessions.
    batch_patients = (
        select(_sessions.c.patient_id)
        .join(_patients, _patients.c.id == _sessions.c.patient_id)
        .where(_one_patient(whole), in_range)
        .scalar_subquery()
    )
    marks = (
        select(*_MARK_COLUMNS)
        .join(_patients, _patients.c.id == _sessions.c.patient_id)
        .where(_sessions.c.patient_id.in_(batch_patients))
        .order_by(*_MARK_ORDER)
    )
    return sessions, children, marks


def count(conn: Connection, record_no: str | None = None) -> int:
    stmt = (
        select(func.count())
        .select_from(_sessions.join(_patients, _patients.c.id == _sessions.c.patient_id))
        .where(_one_patient(record_no is None))
    )
    return int(conn.execute(stmt, _scope(record_no)).scalar() or 0)


def _scope(record_no: str | None, **values: Any) -> dict[str, Any]:
    return values if record_no is None else {"record_no": record_no, **values}


def every(
    conn: Connection, record_no: str | None = None, batch: int | None = None
) -> Iterator[Exported]:
    """Every session (of one patient, given ``record_no``) in id order, read in keyset
    batches with their children: memory stays flat however many there are."""
    sessions, children, mark_rows = _batch_statements(record_no is None)
    protocol = protocol_in(conn)
    last = 0
    while True:
        rows = (
            conn.execute(sessions, _scope(record_no, last=last, limit=batch or BATCH))
            .mappings()
            .all()
        )
        if not rows:
            return
        span = _scope(record_no, lo=rows[0]["id"], hi=rows[-1]["id"])
        wanted = {row["id"] for row in rows}
        marks = course_marks(conn.execute(mark_rows, span).mappings(), protocol, wanted)
        built = _build_all(conn, rows, children, span, protocol, marks)
        for row, stored in zip(rows, built, strict=True):
            yield Exported(row["record_no"], stored)
        last = rows[-1]["id"]


# --- a manufacturer's recall of a lot --------------------------------------------------


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


def _lot_statements() -> tuple[Select[Any], Select[Any]]:
    products_t = tables.session_products
    areas_t = tables.treated_areas
    key = bindparam("lot")
    people = (
        _patients.c.id.label("patient_id"),
        _patients.c.record_no,
        _patients.c.family_name,
        _patients.c.given_name,
        _patients.c.phone,
        _patients.c.email,
        _patients.c.archived,
        _sessions.c.id.label("session_id"),
        _sessions.c.performed_at,
    )
    products = (
        select(
            *people,
            products_t.c.name.label("product"),
            products_t.c.lot,
            products_t.c.expiry,
            _sessions.c.device,
        )
        .join(_sessions, _sessions.c.id == products_t.c.session_id)
        .join(_patients, _patients.c.id == _sessions.c.patient_id)
        .where(_lot_key(products_t.c.lot) == key)
    )
    cartridges = (
        select(
            *people,
            literal(None).label("product"),
            _sessions.c.cartridge_lot.label("lot"),
            literal(None).label("expiry"),
            _sessions.c.device,
        )
        .join(_patients, _patients.c.id == _sessions.c.patient_id)
        .where(_lot_key(_sessions.c.cartridge_lot) == key)
    )
    uses = products.union_all(cartridges)
    ids = select(uses.subquery().c.session_id).scalar_subquery()
    areas = (
        select(areas_t.c.session_id, areas_t.c.area, areas_t.c.label)
        .where(areas_t.c.session_id.in_(ids))
        .order_by(areas_t.c.session_id, areas_t.c.position)
    )
    return uses, areas  # type: ignore[return-value]


_LOT_USES, _LOT_AREAS = _lot_statements()


def lot_uses(conn: Connection, lot: str) -> list[LotUse]:
    """Every session that used ``lot``, as a product's lot or a device cartridge's lot,
    oldest first (a manufacturer's recall). Case and surrounding spaces are ignored:
    a recall notice and a typed lot must not miss each other over them."""
    key = lot.strip().upper()
    if not key:
        return []
    params = {"lot": key}
    found = conn.execute(_LOT_USES, params).mappings().all()
    areas: dict[int, list[str]] = {}
    for r in conn.execute(_LOT_AREAS, params).mappings():
        areas.setdefault(r["session_id"], []).append(r["label"].strip() or Area(r["area"]).label)
    uses = []
    for r in found:
        device = r["device"]
        product = (
            r["product"]
            if r["product"] is not None
            else f"Cartridge ({device})"
            if device
            else "Cartridge"
        )
        uses.append(
            LotUse(
                r["patient_id"],
                r["record_no"],
                r["family_name"],
                r["given_name"],
                r["phone"],
                r["email"],
                bool(r["archived"]),
                r["session_id"],
                r["performed_at"],
                product,
                r["lot"],
                r["expiry"],
                tuple(areas.get(r["session_id"], ())),
            )
        )
    uses.sort(key=lambda u: (u.performed_at, u.record_no, u.session_id, u.product))
    return uses


# --- facts a save or a form needs -------------------------------------------------------

_COURSE = (
    select(_sessions.c.id, _sessions.c.performed_at, _sessions.c.next_due)
    .where(_OF_PATIENT)
    .order_by(_sessions.c.performed_at, _sessions.c.id)
)


def course_rows(conn: Connection, patient_id: int) -> list[tuple[int, datetime, date | None]]:
    """(id, performed_at, next_due) of each of the patient's sessions in date order: what
    the course summary and a default next due date are computed from."""
    return [
        (r.id, r.performed_at, r.next_due)
        for r in conn.execute(_COURSE, {"patient_id": patient_id})
    ]


_COURSE_OF_MANY = (
    select(_sessions.c.patient_id, _sessions.c.id, _sessions.c.performed_at, _sessions.c.next_due)
    .where(_sessions.c.patient_id.in_(bindparam("patient_ids", expanding=True)))
    .order_by(_sessions.c.patient_id, _sessions.c.performed_at, _sessions.c.id)
)


def course_rows_of(
    conn: Connection, patient_ids: Iterable[int]
) -> dict[int, list[tuple[int, datetime, date | None]]]:
    """``course_rows`` of several patients at once (an empty list for one without any)."""
    wanted = sorted(set(patient_ids))
    found: dict[int, list[tuple[int, datetime, date | None]]] = {pid: [] for pid in wanted}
    for start in range(0, len(wanted), BATCH):
        chunk = wanted[start : start + BATCH]
        for pid, sid, at, due in conn.execute(_COURSE_OF_MANY, {"patient_ids": chunk}):
            found[pid].append((sid, at, due))
    return found


_EVERY_COURSE_ROW = select(
    _sessions.c.patient_id, _sessions.c.performed_at, _sessions.c.next_due
).order_by(_sessions.c.patient_id, _sessions.c.performed_at, _sessions.c.id)


def every_course_row(conn: Connection) -> Iterator[tuple[int, datetime, date | None]]:
    """(patient_id, performed_at, next_due) of every session, each patient's in date
    order (``check`` compares each patient's course summary with them)."""
    for r in conn.execute(_EVERY_COURSE_ROW).mappings():
        yield r["patient_id"], r["performed_at"], r["next_due"]


def known_products(conn: Connection, limit: int = 200) -> list[Product]:
    """Products with lot and expiry used before, most recently used first."""
    c = tables.session_products.c
    last_use = func.max(c.id).label("last_use")
    stmt = (
        select(c.name, c.lot, c.expiry, last_use)
        .group_by(c.name, c.lot, c.expiry)
        .order_by(desc(last_use))
        .limit(limit)
    )
    return [Product(r.name, r.lot, r.expiry) for r in conn.execute(stmt)]


def recent_lots(conn: Connection, name: str, limit: int = 8) -> list[Product]:
    """The lots (with expiry) the clinic used most recently for the product ``name``,
    newest first: what the session form offers when the product is picked."""
    c = tables.session_products.c
    last_use = func.max(c.id).label("last_use")
    stmt = (
        select(c.lot, c.expiry, last_use)
        .where(c.name == name, c.lot != "")
        .group_by(c.lot, c.expiry)
        .order_by(desc(last_use))
        .limit(limit)
    )
    return [Product(name, r.lot, r.expiry) for r in conn.execute(stmt)]


def known_practitioners(conn: Connection, limit: int = 50) -> list[str]:
    c = tables.treatment_sessions.c
    last_use = func.max(c.id).label("last_use")
    stmt = select(c.practitioner, last_use).group_by(c.practitioner).order_by(desc(last_use))
    stmt = stmt.limit(limit)
    return [r.practitioner for r in conn.execute(stmt)]
