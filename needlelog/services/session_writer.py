"""The one writer of treatment sessions: record, amend and import all save through
``write``, which checks the session against its patient, fills in a default next due
date, writes the rows and the audit event, and keeps the patient's course summary
in step, each computed in one place."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Insert, Table, bindparam, delete, insert, select, update

from needlelog.domain import course
from needlelog.domain.errors import InvalidRecord, Violation
from needlelog.domain.protocol import Protocol
from needlelog.domain.records import SessionData
from needlelog.domain.signing import Signer, Status, meaning_for
from needlelog.domain.validation import check_session
from needlelog.services import audit, clock, session_query
from needlelog.services.errors import NotFound, Refused, StaleRecord
from needlelog.services.mapping import as_dict, session_values
from needlelog.store import bulk, tables

_patients = tables.patients
_sessions = tables.treatment_sessions
_CHILD_TABLES = {
    "areas": tables.treated_areas,
    "products": tables.session_products,
    "screening": tables.screening_answers,
    "assessments": tables.assessments,
}
# Set when a session is signed or imported, never by a correction of a draft.
_SIGNING = (
    "status", "drafted_role", "signed_at", "signed_by", "signer_id", "signer_role",
    "signature_meaning", "signed_sha256", "imported_by", "imported_at",
)  # fmt: skip
_SUMMARY = ("last_session_on", "course_sessions", "sessions_total", "next_due")
# A check of a new session after its own rules (the consent gate of ``sessions.record``).
Gate = Callable[[SessionData], SessionData]


def _insert_statement(table: Table) -> Insert:
    """An insert of every column but a generated id, each value a parameter."""
    return insert(table).values(
        {c.key: bindparam(c.key) for c in table.columns if not (c.primary_key and c.key == "id")}
    )


# Statements built once, values as parameters: a save builds no SQL.
_UPDATE_SESSION = (
    update(_sessions)
    .where(_sessions.c.id == bindparam("session_id"), _sessions.c.version == bindparam("expected"))
    .values(
        {
            **{
                c.key: bindparam(c.key)
                for c in _sessions.columns
                if c.key not in ("id", "patient_id", "created_at", "version", *_SIGNING)
            },
            "version": _sessions.c.version + 1,
        }
    )
)
_DELETE_CHILDREN = [
    delete(table).where(table.c.session_id == bindparam("session_id"))
    for table in _CHILD_TABLES.values()
]
_UPDATE_SUMMARY = (
    update(_patients)
    .where(_patients.c.id == bindparam("summary_of"))
    .values({name: bindparam(name) for name in _SUMMARY})
)
_PATIENT_FACTS = select(
    _patients.c.id,
    _patients.c.archived,
    _patients.c.record_no,
    _patients.c.date_of_birth,
    _patients.c.planned_sessions,
).where(_patients.c.id == bindparam("patient_id"))


def patient_facts(conn: Connection, patient_id: int) -> Any:
    """What a save depends on of its patient (archived, record_no, date_of_birth,
    planned_sessions), read by name."""
    found = conn.execute(_PATIENT_FACTS, {"patient_id": patient_id}).first()
    if found is None:
        raise NotFound(f"no patient with id {patient_id}")
    return found


def _check(data: SessionData, patient: Any, protocol: Protocol, now: datetime | None) -> None:
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


def with_default_due(
    data: SessionData, days: list[date], planned: int | None, protocol: Protocol
) -> SessionData:
    """``data`` with its next due date filled in, from the days of the patient's
    other sessions, when the practitioner left it empty."""
    if data.next_due is not None:
        return data
    on = data.performed_at.date()
    number = course.position_in_course([*days, on], on, protocol.course_gap)
    return replace(
        data,
        next_due=course.default_next_due(
            on, number, planned or protocol.planned_sessions, protocol
        ),
    )


def summary_values(
    performed: list[tuple[datetime, date | None]], planned: int | None, protocol: Protocol
) -> dict[str, Any]:
    """The course summary columns from the patient's sessions (performed_at, next_due)
    in date order."""
    days = [at.date() for at, _due in performed]
    sizes = course.course_sizes(days, protocol.course_gap)
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


def refresh_summary(conn: Connection, patient_id: int, protocol: Protocol) -> None:
    """Recompute the course summary kept on the patient row (no version bump: a saved
    session must not make an open edit of the patient look stale)."""
    planned = patient_facts(conn, patient_id).planned_sessions
    rows = [(at, due) for _id, at, due in session_query.course_rows(conn, patient_id)]
    _write_summary(conn, patient_id, summary_values(rows, planned, protocol))


def _write_summary(conn: Connection, patient_id: int, values: dict[str, Any]) -> None:
    conn.execute(_UPDATE_SUMMARY, {"summary_of": patient_id, **values})


class NewSessions:
    """New sessions written together: each is checked as it is added (``add`` raises
    ``InvalidRecord`` and queues nothing), then ``flush`` fills in default due dates
    and writes the rows, their children and the audit events, one statement per table
    for the whole batch. A single save is a batch of one; an import adds thousands.
    The caller owns the transaction and refreshes the course summaries afterwards."""

    def __init__(
        self,
        conn: Connection,
        actor: str,
        now: datetime | None,
        protocol: Protocol,
        *,
        drafted_role: str = "",
        imported_at: datetime | None = None,
    ) -> None:
        """Every session of the batch is a draft (``drafted_role``: the role of who
        wrote it); ``imported_at`` marks them all as brought in by ``actor`` then."""
        self.conn, self.actor, self.now, self.protocol = conn, actor, now, protocol
        self._unsigned = _unsigned(drafted_role, actor, imported_at)
        self._patients: dict[int, Any] = {}
        # (id, performed_at, next_due) of each patient's sessions, stored and added so
        # far: default due dates and the course summaries are computed from them.
        self._course: dict[int, list[tuple[int, datetime, date | None]]] = {}
        self._queued: list[tuple[int, SessionData]] = []
        self._touched: set[int] = set()

    def add(self, patient_id: int, data: SessionData, gate: Gate | None = None) -> None:
        """Check a session and queue it; ``gate`` (a new session saved one at a time)
        judges it once its own rules hold, and may refuse it or answer it changed."""
        patient = self._patients.get(patient_id)
        if patient is None:
            patient = self._patients[patient_id] = patient_facts(self.conn, patient_id)
        _check(data, patient, self.protocol, self.now)
        if gate is not None:
            data = gate(data)
        self._queued.append((patient_id, data))

    def __len__(self) -> int:
        return len(self._queued)

    def flush(self) -> list[int]:
        """Write what was added since the last flush; answers the new ids in order."""
        queued, self._queued = self._queued, []
        if not queued:
            return []
        unknown = {pid for pid, _data in queued if pid not in self._course}
        self._course.update(session_query.course_rows_of(self.conn, unknown))
        stamp = clock.utc_now()
        rows: list[dict[str, Any]] = []
        children: dict[str, list[dict[str, Any]]] = {name: [] for name in _CHILD_TABLES}
        written: list[tuple[int, SessionData, Any]] = []
        for pid, data in queued:
            course = self._course[pid]
            data = with_default_due(
                data,
                [at.date() for _sid, at, _due in course],
                self._patients[pid].planned_sessions,
                self.protocol,
            )
            # Queued before its id is known: later sessions of the batch count it.
            course.append((0, data.performed_at, data.next_due))
            values = session_values(data)
            rows.append(
                {**values.session, "patient_id": pid, "created_at": stamp,
                 "updated_at": stamp, "version": 1, **self._unsigned}
            )  # fmt: skip
            written.append((pid, data, values))
        ids = bulk.insert_many_numbered(self.conn, _sessions, rows)
        events = []
        for sid, (pid, data, values) in zip(ids, written, strict=True):
            course = self._course[pid]
            course[course.index((0, data.performed_at, data.next_due))] = (
                sid,
                data.performed_at,
                data.next_due,
            )
            for name in _CHILD_TABLES:
                children[name].extend({**r, "session_id": sid} for r in getattr(values, name))
            changes = {"patient_id": [None, pid], **audit.created(as_dict(data))}
            events.append(("session", sid, "create", changes, pid))
        for name, table in _CHILD_TABLES.items():
            bulk.insert_many(self.conn, table, children[name])
        audit.append_many(self.conn, self.actor, events)
        self._touched.update(pid for pid, _data in queued)
        return [int(sid) for sid in ids]

    def write_summaries(self) -> None:
        """Bring the course summary of every patient written to in step (once each)."""
        self.flush()
        values = []
        for pid in sorted(self._touched):
            performed = sorted(self._course[pid], key=lambda r: (r[1], r[0]))
            summary = summary_values(
                [(at, due) for _sid, at, due in performed],
                self._patients[pid].planned_sessions,
                self.protocol,
            )
            values.append({"summary_of": pid, **summary})
        self._touched.clear()
        if values:
            self.conn.execute(_UPDATE_SUMMARY, values)


def write(
    conn: Connection,
    patient_id: int | None,
    data: SessionData,
    actor: str,
    now: datetime | None,
    protocol: Protocol,
    *,
    amend: tuple[int, int] | None = None,
    refresh: bool = True,
    reason: str = "",
    drafted_role: str = "",
    imported_at: datetime | None = None,
    gate: Gate | None = None,
) -> int:
    """Write a new session of ``patient_id``, or with ``amend`` = (session id, version
    it was opened at) a correction of a stored one, ``reason`` saying why (kept in the
    audit event beside the changes); answers the session's id. A new session is a
    draft (``drafted_role``: the role of who wrote it); ``imported_at`` marks it as
    brought in by ``actor`` at that time. A signed session is refused: its
    corrections are addenda. The caller owns the transaction: on any error it writes
    nothing."""
    if amend is None:
        assert patient_id is not None
        batch = NewSessions(
            conn, actor, now, protocol, drafted_role=drafted_role, imported_at=imported_at
        )
        batch.add(patient_id, data, gate)
        (sid,) = batch.flush()
        if refresh:
            batch.write_summaries()
        return sid
    before = session_query.one(conn, amend[0])
    if before.signed:
        raise Refused(
            f"the session of {before.data.performed_at:%Y-%m-%d} is signed and cannot be "
            "changed; add an addendum to correct it"
        )
    if before.version != amend[1]:
        raise StaleRecord(
            f"the session of {before.data.performed_at:%Y-%m-%d} was changed by someone "
            "else after you opened it; reload to see their changes, then edit again"
        )
    patient_id = before.patient_id
    patient = patient_facts(conn, patient_id)
    _check(data, patient, protocol, now)
    # One read of the patient's sessions serves the default due date and the summary.
    others = [
        (sid, at, due)
        for sid, at, due in session_query.course_rows(conn, patient_id)
        if sid != before.id
    ]
    data = with_default_due(
        data, [at.date() for _sid, at, _due in others], patient.planned_sessions, protocol
    )
    stamp = clock.utc_now()
    values = session_values(data)
    sid = before.id
    written = conn.execute(
        _UPDATE_SESSION,
        {**values.session, "updated_at": stamp, "session_id": sid, "expected": before.version},
    )
    if written.rowcount != 1:  # changed between the read above and this write
        raise StaleRecord(
            f"the session of {before.data.performed_at:%Y-%m-%d} was changed by someone "
            "else after you opened it; reload to see their changes, then edit again"
        )
    for stmt in _DELETE_CHILDREN:
        conn.execute(stmt, {"session_id": sid})
    changes = audit.diff(as_dict(before.data), as_dict(data))
    if changes and reason.strip():
        changes["reason"] = [None, reason.strip()]
    for name, table in _CHILD_TABLES.items():
        bulk.insert_many(conn, table, [{**r, "session_id": sid} for r in getattr(values, name)])
    if changes:
        audit.append(conn, actor, "session", sid, "amend", changes, patient_id=patient_id)
    if refresh:
        performed = [(at, due, other) for other, at, due in others]
        performed.append((data.performed_at, data.next_due, sid))
        performed.sort(key=lambda p: (p[0], p[2]))
        summary = summary_values(
            [(at, due) for at, due, _ in performed], patient.planned_sessions, protocol
        )
        _write_summary(conn, patient_id, summary)
    return int(sid)


def _unsigned(drafted_role: str, actor: str, imported_at: datetime | None) -> dict[str, Any]:
    return {
        "status": Status.DRAFT.value,
        "drafted_role": drafted_role,
        "signed_at": None,
        "signed_by": "",
        "signer_id": None,
        "signer_role": "",
        "signature_meaning": "",
        "signed_sha256": "",
        "imported_by": actor if imported_at is not None else "",
        "imported_at": imported_at,
    }


_SIGN = (
    update(_sessions)
    .where(
        _sessions.c.id == bindparam("session_id"),
        _sessions.c.version == bindparam("expected"),
        _sessions.c.signed_at.is_(None),
    )
    .values(
        status=Status.SIGNED.value,
        signed_at=bindparam("at"),
        signed_by=bindparam("name"),
        signer_id=bindparam("account_id"),
        signer_role=bindparam("role"),
        signature_meaning=bindparam("meaning"),
        signed_sha256=bindparam("sha"),
        version=_sessions.c.version + 1,
    )
)
_INSERT_ADDENDUM = _insert_statement(tables.session_addenda)


def sign(conn: Connection, session_id: int, expected_version: int, signer: Signer) -> None:
    """Sign a draft (or a session recorded before signing existed) as ``signer``: the
    signature seals a SHA-256 of the content as it stands. Only a practitioner signs."""
    if not signer.may_sign:
        raise Refused(
            f"{signer.name} works as {signer.role} and cannot sign sessions; "
            "a practitioner reviews and co-signs the draft"
        )
    stored = session_query.one(conn, session_id)
    if stored.signed:
        raise Refused(f"the session of {stored.data.performed_at:%Y-%m-%d} is already signed")
    if stored.version != expected_version:
        raise StaleRecord(
            f"the session of {stored.data.performed_at:%Y-%m-%d} was changed by someone "
            "else after you opened it; reload to see their changes, then sign"
        )
    meaning = meaning_for(_drafted_role(conn, session_id)).value
    at = clock.utc_now()
    sha = session_query.content_sha256(stored)
    written = conn.execute(
        _SIGN,
        {"session_id": session_id, "expected": expected_version, "at": at,
         "name": signer.name, "account_id": signer.account_id, "role": signer.role,
         "meaning": meaning, "sha": sha},
    )  # fmt: skip
    if written.rowcount != 1:
        raise StaleRecord("the session was changed or signed by someone else; reload it")
    audit.append(
        conn, signer.name, "session", session_id, "sign",
        {"meaning": meaning, "role": signer.role, "sha256": sha}, patient_id=stored.patient_id,
    )  # fmt: skip


_DRAFTED_ROLE = select(_sessions.c.drafted_role).where(_sessions.c.id == bindparam("sid"))


def _drafted_role(conn: Connection, session_id: int) -> str:
    return str(conn.execute(_DRAFTED_ROLE, {"sid": session_id}).scalar() or "")


def add_addendum(
    conn: Connection,
    session_id: int,
    author: Signer,
    text: str,
    reason: str,
    corrections: dict[str, Any] | None = None,
) -> int:
    """Write an addendum beside a signed session (the original stays as signed);
    answers its id. Needs a text and a reason."""
    problems = []
    if not text.strip():
        problems.append(Violation("text", text, "some text", "say what the addendum adds"))
    if not reason.strip():
        problems.append(Violation("reason", reason, "a reason", "say why the addendum is written"))
    if problems:
        raise InvalidRecord(problems)
    stored = session_query.one(conn, session_id)
    if not stored.signed:
        raise Refused(
            f"the session of {stored.data.performed_at:%Y-%m-%d} is not signed yet; "
            "correct the draft itself"
        )
    plain_corrections = audit.plain(corrections or {})
    aid = conn.execute(
        _INSERT_ADDENDUM,
        {"session_id": session_id, "written_at": clock.utc_now(), "author": author.name,
         "author_id": author.account_id, "author_role": author.role, "reason": reason.strip(),
         "text": text.strip(),
         "corrections": json.dumps(plain_corrections, ensure_ascii=False, sort_keys=True)},
    ).inserted_primary_key[0]  # fmt: skip
    audit.append(
        conn, author.name, "session", session_id, "addendum",
        {"addendum": aid, "reason": reason.strip(), "text": text.strip(),
         "corrections": plain_corrections},
        patient_id=stored.patient_id,
    )  # fmt: skip
    return int(aid)


def remove_made_up(conn: Connection, patient_ids: list[int]) -> None:
    """Delete every session of these patients with its rows: only for the demo clinic's
    made-up records (clinical sessions are amended, never deleted)."""
    of = _sessions.c.patient_id.in_(patient_ids)
    ids = select(_sessions.c.id).where(of).scalar_subquery()
    for table in (*_CHILD_TABLES.values(), tables.session_addenda):
        conn.execute(delete(table).where(table.c.session_id.in_(ids)))
    conn.execute(delete(_sessions).where(of))
