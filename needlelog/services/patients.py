"""Register, edit, archive and find patients."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Connection,
    Select,
    and_,
    bindparam,
    delete,
    exists,
    func,
    intersect,
    or_,
    select,
    union,
)

from needlelog.domain.accounts import Permission
from needlelog.domain.errors import InvalidRecord, Violation
from needlelog.domain.records import Patient, PatientData
from needlelog.domain.search import DENSE, PatientQuery, name_words, parse_query
from needlelog.domain.validation import check_patient
from needlelog.services import access, audit, clock, patient_query
from needlelog.services.errors import NotFound, StaleRecord
from needlelog.services.mapping import as_dict, patient_to_row, patient_values
from needlelog.store import bulk
from needlelog.store.database import Database
from needlelog.store.tables import patient_name_tokens as _tokens
from needlelog.store.tables import patients as _patients

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from needlelog.store.models import PatientRow

# Above any character a name can hold: "abc" <= x < "abc" + TOP is a prefix match
# that every database answers from an index.
TOP = "\U0010ffff"


def _duplicate(record_no: str) -> InvalidRecord:
    return InvalidRecord(
        [
            Violation(
                "record_no",
                record_no,
                "a record number no other patient has",
                f"record number {record_no} is already used by another patient",
            )
        ]
    )


def _set_tokens(row: PatientRow, data: PatientData) -> None:
    from needlelog.store.models import NameTokenRow

    words = name_words(f"{data.family_name} {data.given_name}")
    current = {t.token for t in row.name_tokens}
    if current != words:
        row.name_tokens = [NameTokenRow(token=w) for w in sorted(words)]


def _row(session: Session, patient_id: int) -> PatientRow:
    """The patient's mapped row, for the edits that keep it and its name words in
    step; the ORM is loaded here, by the first such edit, never by a read."""
    from needlelog.store.models import PatientRow

    row = session.get(PatientRow, patient_id)
    if row is None:
        raise NotFound(f"no patient with id {patient_id}")
    return row


_RECORD_NOS_USED = select(_patients.c.record_no).where(
    _patients.c.record_no.in_(bindparam("record_nos", expanding=True))
)
_LOOKUP_EVERY = 500  # record numbers looked up per statement (within every server's limit)


class NewPatients:
    """New patients written together: each is checked as it is added (``add`` raises
    ``InvalidRecord`` and queues nothing), then ``flush`` writes the rows, their name
    words and audit events, one statement per table for the whole batch, and answers
    the new ids in the order added. Registering a patient is a batch of one; an import
    adds thousands. The caller owns the transaction."""

    def __init__(self, conn: Connection, actor: str, today: date) -> None:
        self.conn, self.actor, self.today = conn, actor, today
        self._queued: list[PatientData] = []
        self._numbers: set[str] = set()

    def add(self, data: PatientData) -> None:
        check_patient(data, self.today)
        if data.record_no in self._numbers:
            raise _duplicate(data.record_no)
        self._queued.append(data)
        self._numbers.add(data.record_no)

    def __len__(self) -> int:
        return len(self._queued)

    def flush(self) -> list[int]:
        """Write what was added since the last flush (refused whole, with the first
        record number another stored patient already has); answers the new ids."""
        queued, self._queued = self._queued, []
        self._numbers.clear()
        if not queued:
            return []
        numbers = [data.record_no for data in queued]
        for start in range(0, len(numbers), _LOOKUP_EVERY):
            chunk = numbers[start : start + _LOOKUP_EVERY]
            used = self.conn.execute(_RECORD_NOS_USED, {"record_nos": chunk}).scalars().first()
            if used is not None:
                raise _duplicate(used)
        now = clock.utc_now()
        fixed = {"archived": False, "last_session_on": None, "course_sessions": 0,
                 "sessions_total": 0, "next_due": None, "created_at": now, "updated_at": now,
                 "version": 1, "anonymised_at": None}  # fmt: skip
        ids = bulk.insert_many_numbered(
            self.conn, _patients, [{**patient_values(data), **fixed} for data in queued]
        )
        words = []
        for pid, data in zip(ids, queued, strict=True):
            words += [{"patient_id": pid, "token": w}
                      for w in sorted(name_words(f"{data.family_name} {data.given_name}"))]  # fmt: skip
        bulk.insert_many(self.conn, _tokens, words)
        events = [
            ("patient", pid, "create", audit.created(as_dict(data)), pid)
            for pid, data in zip(ids, queued, strict=True)
        ]
        audit.append_many(self.conn, self.actor, events)
        return ids


def add_in(session: Session, data: PatientData, actor: str, today: date) -> int:
    """Add a patient inside an open transaction (register and the demo clinic; an
    import adds its patients as one ``NewPatients`` batch); answers its id."""
    batch = NewPatients(session.connection(), actor, today)
    batch.add(data)
    (pid,) = batch.flush()
    return pid


def register(db: Database, data: PatientData, actor: str, today: date | None = None) -> Patient:
    """Create a patient; refuses invalid data and duplicate record numbers."""
    access.require_clinical_unchanged(db, lambda: None, data)
    with db.write() as s:
        pid = add_in(s, data, actor, today or clock.today())
        return patient_query.by_id(s.connection(), pid)


def update(
    db: Database,
    patient_id: int,
    data: PatientData,
    expected_version: int,
    actor: str,
    today: date | None = None,
) -> Patient:
    """Save an edit of a patient opened at ``expected_version``."""
    access.require_clinical_unchanged(db, lambda: get(db, patient_id).data, data)
    check_patient(data, today or clock.today())
    with db.write() as s:
        row = _row(s, patient_id)
        if row.version != expected_version:
            raise StaleRecord(
                f"patient {row.record_no} was changed by someone else after you opened it; "
                "reload to see their changes, then edit again"
            )
        if data.record_no != row.record_no and s.scalar(
            select(_patients.c.id).where(_patients.c.record_no == data.record_no)
        ):
            raise _duplicate(data.record_no)
        before = as_dict(patient_query.by_id(s.connection(), patient_id).data)
        with s.no_autoflush:  # one flush, so the version moves by exactly one
            patient_to_row(data, row)
            _set_tokens(row, data)
            row.updated_at = clock.utc_now()
        changes = audit.diff(before, as_dict(data))
        s.flush()
        if changes:
            audit.append(s, actor, "patient", row.id, "update", changes)
        return patient_query.by_id(s.connection(), row.id)


def set_archived(db: Database, patient_id: int, archived: bool, actor: str) -> Patient:
    """Archive (hide from daily lists) or bring back a patient; nothing is deleted."""
    access.require(db, Permission.CONTACT_WRITE)
    with db.write() as s:
        set_archived_in(s, patient_id, archived, actor)
        return patient_query.by_id(s.connection(), patient_id)


def remove_made_up(session: Session, patient_ids: list[int]) -> None:
    """Delete these patients (their sessions already removed): only for the demo
    clinic's made-up records; clinical records are archived, never deleted."""
    session.execute(delete(_tokens).where(_tokens.c.patient_id.in_(patient_ids)))
    session.execute(delete(_patients).where(_patients.c.id.in_(patient_ids)))


def set_archived_in(session: Session, patient_id: int, archived: bool, actor: str) -> PatientRow:
    """Archive or bring back a patient inside an open transaction (also used by imports)."""
    row = _row(session, patient_id)
    if row.archived != archived:
        row.archived = archived
        row.updated_at = clock.utc_now()
        session.flush()
        audit.append(
            session,
            actor,
            "patient",
            row.id,
            "archive" if archived else "unarchive",
            {"archived": [not archived, archived]},
        )
    return row


ANONYMOUS_NAME = "Anonymised"
# What anonymisation removes (the date of birth is reduced to the year).
ANONYMISED_FIELDS = ("family_name", "given_name", "phone", "email", "notes", "date_of_birth")


def anonymise_in(session: Session, patient_id: int, actor: str) -> PatientRow:
    """Remove a patient's names, contact details and notes and reduce the date of birth
    to the year, inside an open transaction; the patient is archived. The audit event
    names the fields, never their values (the trail never held them)."""
    row = _row(session, patient_id)
    now = clock.utc_now()
    row.family_name, row.given_name = ANONYMOUS_NAME, ""
    row.phone = row.email = row.notes = ""
    if row.date_of_birth is not None:
        row.date_of_birth = date(row.date_of_birth.year, 1, 1)
    row.archived = True
    row.anonymised_at = now
    row.updated_at = now
    row.name_tokens = []
    session.flush()
    audit.append(
        session, actor, "patient", row.id, "anonymise",
        {"removed": list(ANONYMISED_FIELDS[:-1]), "reduced_to_year": ["date_of_birth"]},
    )  # fmt: skip
    return row


def get(db: Database, patient_id: int) -> Patient:
    access.require(db, Permission.PATIENT_LIST)
    with db.transaction() as conn:
        return patient_query.by_id(conn, patient_id)


def find_by_record_no(db: Database, record_no: str) -> Patient:
    access.require(db, Permission.PATIENT_LIST)
    with db.transaction() as conn:
        return patient_query.by_record_no(conn, record_no)


# More than any name has: text pasted into the search box must not become a query
# SQLite refuses (it allows 500 terms in a compound SELECT).
MAX_WORDS = 12


def _words(query: PatientQuery) -> tuple[str, ...]:
    """The query's words that each narrow the search: a word that begins another
    ("m" in "m müller") is matched by the same name word, so it adds nothing."""
    words = sorted(set(query.words), key=lambda w: (-len(w), w))[: 4 * MAX_WORDS]
    needed = [w for w in words if not any(o != w and o.startswith(w) for o in words)]
    return tuple(sorted(needed, key=lambda w: (-len(w), w))[:MAX_WORDS])


# Statements are built once per shape (number of words, with or without a date of
# birth, ...) with the values as parameters: a keystroke's search builds no SQL, and a
# rare match is answered in little more than the time the database needs.


def _prefix(column: Any, name: str) -> ColumnElement[bool]:
    """``column`` begins with parameter ``name`` (read from an index)."""
    return and_(column >= bindparam(f"{name}_lo"), column < bindparam(f"{name}_hi"))


def _params(query: PatientQuery) -> dict[str, Any]:
    params: dict[str, Any] = {"text_lo": query.text, "text_hi": query.text + TOP}
    if query.birth_date is not None:
        params["born"] = query.birth_date
    for i, word in enumerate(_words(query)):
        params[f"word{i}_lo"], params[f"word{i}_hi"] = word, word + TOP
    return params


def _shape(query: PatientQuery) -> tuple[int, bool]:
    return len(_words(query)) if query.words else 0, query.birth_date is not None


def _candidates(words: int, birth: bool) -> CompoundSelect | Select[tuple[int]]:
    """Ids of patients matching the query, each part read from an index."""
    parts: list[Select[tuple[int]]] = [
        select(_patients.c.id).where(_prefix(_patients.c.record_no, "text"))
    ]
    if birth:
        parts.append(select(_patients.c.id).where(_patients.c.date_of_birth == bindparam("born")))
    if words:
        per_word = [
            select(_tokens.c.patient_id).where(_prefix(_tokens.c.token, f"word{i}"))
            for i in range(words)
        ]
        if len(per_word) == 1:
            parts.append(per_word[0])
        else:
            # A subquery: SQLite gives UNION and INTERSECT equal precedence.
            both = intersect(*per_word).subquery()
            parts.append(select(both.c.patient_id))
    return union(*parts)


def _exists_filter(words: int, birth: bool) -> ColumnElement[bool]:
    """The same match as a test of one patient row (for walking in name order)."""
    matches = [_prefix(_patients.c.record_no, "text")]
    if birth:
        matches.append(_patients.c.date_of_birth == bindparam("born"))
    if words:
        matches.append(
            and_(
                *(
                    exists().where(
                        _tokens.c.patient_id == _patients.c.id,
                        _prefix(_tokens.c.token, f"word{i}"),
                    )
                    for i in range(words)
                )
            )
        )
    return or_(*matches)


def _capped(stmt: Select[Any]) -> Select[tuple[int]]:
    return select(func.count()).select_from(stmt.limit(bindparam("cap")).subquery())


@lru_cache(maxsize=64)
def _counts_statement(words: int, birth: bool) -> Select[Any]:
    """The capped count of each index range a query reads, all in one statement: a
    keystroke that finds nothing is answered by this alone."""
    parts = [_capped(select(_patients.c.id).where(_prefix(_patients.c.record_no, "text")))]
    if birth:
        parts.append(
            _capped(select(_patients.c.id).where(_patients.c.date_of_birth == bindparam("born")))
        )
    for i in range(words):
        parts.append(
            _capped(select(_tokens.c.patient_id).where(_prefix(_tokens.c.token, f"word{i}")))
        )
    return select(*(part.scalar_subquery() for part in parts))


def _matches_at_most(conn: Connection, query: PatientQuery, params: dict[str, Any]) -> int:
    """How many patients can match at most (capped at about ``DENSE``), from counts
    that each read one index range: a patient matches by record number, by date of
    birth, or by every word, so the sum of the first two and the least word count
    bound the number of matches."""
    words, birth = _shape(query)
    counts = conn.execute(_counts_statement(words, birth), {"cap": DENSE, **params}).first()
    assert counts is not None
    fixed = 2 if birth else 1
    return int(sum(counts[:fixed])) + (int(min(counts[fixed:])) if words else 0)


_ORDER = (_patients.c.family_name, _patients.c.given_name, _patients.c.id)
_AFTER = or_(
    _patients.c.family_name > bindparam("after_family"),
    and_(
        _patients.c.family_name == bindparam("after_family"),
        _patients.c.given_name > bindparam("after_given"),
    ),
    and_(
        _patients.c.family_name == bindparam("after_family"),
        _patients.c.given_name == bindparam("after_given"),
        _patients.c.id > bindparam("after_id"),
    ),
)


@lru_cache(maxsize=256)
def _search_statement(
    shape: tuple[int, bool] | None, dense: bool, after: bool, include_archived: bool, limit: int
) -> Select[Any]:
    """One page of matches in name order (``shape`` None: every patient)."""
    # Plain rows, not ORM objects: a page of 100 is read twice as fast, and a list
    # needs no change tracking.
    stmt = patient_query.SELECT
    if not include_archived:
        stmt = stmt.where(_patients.c.archived.is_(False))
    if shape is not None:
        if dense:
            stmt = stmt.where(_exists_filter(*shape))
        else:
            stmt = stmt.where(_patients.c.id.in_(_candidates(*shape)))
    if after:
        stmt = stmt.where(_AFTER)
    return stmt.order_by(*_ORDER).limit(limit)


@dataclass(frozen=True)
class PageKey:
    """Where a page of the name-ordered list ends, for keyset paging."""

    family_name: str
    given_name: str
    id: int


def search(
    db: Database,
    text: str = "",
    limit: int = 100,
    after: PageKey | None = None,
    include_archived: bool = False,
) -> list[Patient]:
    """Patients matching a name fragment (each word a prefix of a name word),
    a record-number prefix or a date of birth, in name order, one page at a time."""
    access.require(db, Permission.PATIENT_LIST)
    query = parse_query(text)
    params: dict[str, Any] = {}
    if after is not None:
        params.update(
            after_family=after.family_name, after_given=after.given_name, after_id=after.id
        )
    with db.transaction() as conn:
        shape = None
        dense = False
        if not query.is_empty:
            params.update(_params(query))
            at_most = _matches_at_most(conn, query, params)
            if at_most == 0:  # a typo: the indexes already said there is nothing
                return []
            shape = _shape(query)
            dense = at_most >= DENSE
        stmt = _search_statement(shape, dense, after is not None, include_archived, limit)
        rows = conn.execute(stmt, params).mappings().all()
    return list(map(patient_query.build, rows))


def page_key(patient: Patient) -> PageKey:
    return PageKey(patient.data.family_name, patient.data.given_name, patient.id)


@lru_cache(maxsize=64)
def _count_statement(shape: tuple[int, bool] | None, include_archived: bool) -> Select[Any]:
    stmt = select(func.count()).select_from(_patients)
    if not include_archived:
        stmt = stmt.where(_patients.c.archived.is_(False))
    if shape is not None:
        # Counting visits every match anyway: collecting them from the indexes is cheapest.
        stmt = stmt.where(_patients.c.id.in_(_candidates(*shape)))
    return stmt


def count(db: Database, text: str = "", include_archived: bool = False) -> int:
    access.require(db, Permission.PATIENT_LIST)
    query = parse_query(text)
    shape = None if query.is_empty else _shape(query)
    stmt = _count_statement(shape, include_archived)
    params = {} if query.is_empty else _params(query)
    with db.transaction() as conn:
        return int(conn.execute(stmt, params).scalar() or 0)
