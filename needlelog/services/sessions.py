"""Record, amend and read treatment sessions: each a transaction around the one
writer (``session_writer``) or the one reader (``session_query``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from needlelog.domain.accounts import Permission
from needlelog.domain.protocol import Protocol
from needlelog.domain.records import Product, SessionData, TreatmentSession
from needlelog.domain.signing import Signer
from needlelog.services import access, clock, consent_query, session_query, session_writer
from needlelog.services.errors import ConsentRequired
from needlelog.services.session_query import (
    FLAG_AVOID_OVERRIDDEN,
    FLAG_CONSENT_OVERRIDDEN,
    FLAG_SEVERE,
    Draft,
    LotUse,
)
from needlelog.services.settings import consent_policy_in, protocol_in
from needlelog.store.database import Database

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = [
    "FLAG_AVOID_OVERRIDDEN",
    "FLAG_CONSENT_OVERRIDDEN",
    "FLAG_SEVERE",
    "Draft",
    "LotUse",
    "add_addendum",
    "add_in",
    "amend",
    "batch_in",
    "default_next_due",
    "get",
    "history",
    "known_practitioners",
    "known_products",
    "latest",
    "lot_uses",
    "on_day",
    "recent_lots",
    "record",
    "refresh_summary",
    "sign",
    "unsigned_drafts",
]


def add_in(
    session: Session,
    patient_id: int,
    data: SessionData,
    actor: str,
    now: datetime | None = None,
    protocol: Protocol | None = None,
    refresh: bool = True,
    imported_at: datetime | None = None,
) -> int:
    """Add a session inside an open transaction (imports and the demo fill); answers its
    id. With ``refresh`` False, call ``refresh_summary`` once the patient's sessions
    are all written. ``imported_at``: brought in by an import that ``actor`` ran."""
    session.flush()  # the statements below must see any change still pending
    conn = session.connection()
    protocol = protocol or protocol_in(conn)
    return session_writer.write(
        conn, patient_id, data, actor, now, protocol, refresh=refresh, imported_at=imported_at
    )


def batch_in(
    session: Session,
    actor: str,
    now: datetime | None,
    protocol: Protocol,
    imported_at: datetime | None = None,
) -> session_writer.NewSessions:
    """New sessions written together inside an open transaction (imports): ``add`` checks
    each, ``write_summaries`` writes what is queued and each touched course summary.
    ``imported_at``: every session is a draft brought in by an import ``actor`` ran."""
    session.flush()  # the statements of the batch must see the patients just added
    return session_writer.NewSessions(
        session.connection(), actor, now, protocol, imported_at=imported_at
    )


def refresh_summary(session: Session, patient_id: int, protocol: Protocol) -> None:
    """Recompute a patient's course summary inside an open transaction."""
    session.flush()
    session_writer.refresh_summary(session.connection(), patient_id, protocol)


def record(
    db: Database,
    patient_id: int,
    data: SessionData,
    actor: str,
    now: datetime | None = None,
    drafted_role: str = "",
) -> TreatmentSession:
    """Save a new session as a draft; on any problem nothing is written. Answers the
    session as every read gives it. With the clinic's consent gate on, a session
    without a treatment consent valid on its date is refused (``ConsentRequired``)
    unless ``data.consent_override_reason`` says why it goes ahead without one.
    Imports, the demo fill (``add_in``, ``batch_in``) and amendments are not gated."""
    access.require(db, Permission.CLINICAL_WRITE)
    data = access.as_recorded_by_current(data)
    account = access.current()
    if not drafted_role and account is not None:
        drafted_role = account.role.value  # an assistant's draft is co-signed
    with db.transaction(write=True) as conn:
        protocol = protocol_in(conn)
        sid = session_writer.write(
            conn, patient_id, data, actor, now, protocol, drafted_role=drafted_role,
            gate=lambda checked: _consent_gate(conn, patient_id, checked),
        )  # fmt: skip
        return session_query.one(conn, sid)


def _consent_gate(conn: Connection, patient_id: int, data: SessionData) -> SessionData:
    """The consent gate of a new session: refused (``ConsentRequired``, with the sentence
    the form shows) without a treatment consent valid on its date, unless a reason to go
    ahead without it is given. A reason is kept only when it overrode something: with
    a valid consent, or the gate off, nothing was overridden."""
    policy = consent_policy_in(conn)
    status = (
        consent_query.treatment_status(conn, patient_id, data.performed_at.date(), policy)
        if policy.required
        else None
    )
    if status is None or status.consent is not None:
        if data.consent_override_reason:
            return replace(data, consent_override_reason="")
        return data
    if not data.consent_override_reason.strip():
        raise ConsentRequired(status.why_not)
    return replace(data, consent_override_reason=data.consent_override_reason.strip())


def sign(db: Database, session_id: int, expected_version: int, signer: Signer) -> TreatmentSession:
    """Sign a session opened at ``expected_version``; from then on it never changes."""
    access.require(db, Permission.SIGN_SESSION)
    with db.transaction(write=True) as conn:
        session_writer.sign(conn, session_id, expected_version, signer)
        return session_query.one(conn, session_id)


def add_addendum(
    db: Database,
    session_id: int,
    author: Signer,
    text: str,
    reason: str,
    corrections: dict[str, Any] | None = None,
) -> TreatmentSession:
    """Write an addendum beside a signed session; answers the session with it."""
    access.require(db, Permission.CLINICAL_WRITE)
    with db.transaction(write=True) as conn:
        session_writer.add_addendum(conn, session_id, author, text, reason, corrections)
        return session_query.one(conn, session_id)


def unsigned_drafts(db: Database, older_than: timedelta = timedelta(days=1)) -> list[Draft]:
    """The to-do list: drafts left unsigned for longer than ``older_than``."""
    access.require(db, Permission.CLINICAL_READ)
    with db.transaction() as conn:
        return session_query.unsigned_drafts(conn, clock.utc_now() - older_than)


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
    with db.transaction(write=True) as conn:
        protocol = protocol_in(conn)
        session_writer.write(
            conn,
            None,
            data,
            actor,
            now,
            protocol,
            amend=(session_id, expected_version),
            reason=reason,
        )
        return session_query.one(conn, session_id)


def get(db: Database, session_id: int) -> TreatmentSession:
    access.require(db, Permission.CLINICAL_READ)
    with db.transaction() as conn:
        return session_query.one(conn, session_id)


def history(db: Database, patient_id: int, newest_first: bool = True) -> list[TreatmentSession]:
    """All sessions of a patient with their flags (too soon, late, severe reaction)."""
    access.require(db, Permission.CLINICAL_READ)
    with db.transaction() as conn:
        found = session_query.history(conn, patient_id)
    return found[::-1] if newest_first else found


def latest(db: Database, patient_id: int) -> TreatmentSession | None:
    """The patient's most recent session, from which a new one is pre-filled."""
    access.require(db, Permission.CLINICAL_READ)
    with db.transaction() as conn:
        return session_query.latest(conn, patient_id)


def on_day(db: Database, patient_id: int, day: date) -> TreatmentSession | None:
    """The patient's session on ``day`` (the last of that day if there were several)."""
    access.require(db, Permission.CLINICAL_READ)
    with db.transaction() as conn:
        return session_query.on_day(conn, patient_id, day)


def lot_uses(db: Database, lot: str) -> list[LotUse]:
    """Every session that used ``lot``, as a product's lot or a device cartridge's lot,
    oldest first (a manufacturer's recall)."""
    access.require(db, Permission.CLINICAL_READ)
    with db.transaction() as conn:
        return session_query.lot_uses(conn, lot)


def known_products(db: Database, limit: int = 200) -> list[Product]:
    """Products with lot and expiry used before, most recently used first."""
    access.require(db, Permission.CLINICAL_READ)
    with db.transaction() as conn:
        return session_query.known_products(conn, limit)


def recent_lots(db: Database, name: str, limit: int = 8) -> list[Product]:
    """The lots the clinic used most recently for the product ``name``, newest first."""
    with db.transaction() as conn:
        return session_query.recent_lots(conn, name, limit)


def known_practitioners(db: Database, limit: int = 50) -> list[str]:
    access.require(db, Permission.CLINICAL_READ)
    with db.transaction() as conn:
        return session_query.known_practitioners(conn, limit)


def default_next_due(db: Database, patient_id: int, performed_on: date) -> date:
    """What the form should pre-fill as next due for a new session on ``performed_on``."""
    access.require(db, Permission.CLINICAL_READ)
    with db.transaction() as conn:
        protocol = protocol_in(conn)
        planned = session_writer.patient_facts(conn, patient_id).planned_sessions
        days = [at.date() for _sid, at, _due in session_query.course_rows(conn, patient_id)]
    probe = SessionData(
        performed_at=datetime.combine(performed_on, datetime.min.time()), practitioner="", areas=()
    )
    filled = session_writer.with_default_due(probe, days, planned, protocol)
    assert filled.next_due is not None
    return filled.next_due
