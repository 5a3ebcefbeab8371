"""The ORM classes, mapped onto the Core tables of ``store/tables.py``.

Only the writers that keep related rows in step through a unit of work
(``Database.write()``) use these; every read, and every writer that issues plain
statements, uses the tables themselves, so a command that only reads never
imports the ORM. Column types, defaults and indexes are declared once, in
``tables.py``; the annotations here only tell type checkers what a row holds.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, relationship

from needlelog.store import tables


class Base(DeclarativeBase):
    metadata = tables.metadata


class PatientRow(Base):
    __table__ = tables.patients

    id: Mapped[int]
    record_no: Mapped[str]
    family_name: Mapped[str]
    given_name: Mapped[str]
    date_of_birth: Mapped[date | None]
    sex: Mapped[str | None]
    phone: Mapped[str]
    email: Mapped[str]
    fitzpatrick: Mapped[int | None]
    contraindications: Mapped[str]
    notes: Mapped[str]
    planned_sessions: Mapped[int | None]
    archived: Mapped[bool]
    last_session_on: Mapped[date | None]
    course_sessions: Mapped[int]
    sessions_total: Mapped[int]
    next_due: Mapped[date | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int]
    anonymised_at: Mapped[datetime | None]

    sessions: Mapped[list[SessionRow]] = relationship(back_populates="patient")
    name_tokens: Mapped[list[NameTokenRow]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )

    __mapper_args__ = {"version_id_col": tables.patients.c.version}  # noqa: RUF012


class NameTokenRow(Base):
    __table__ = tables.patient_name_tokens

    patient_id: Mapped[int]
    token: Mapped[str]


class SessionRow(Base):
    __table__ = tables.treatment_sessions

    id: Mapped[int]
    patient_id: Mapped[int]
    performed_at: Mapped[datetime]
    practitioner: Mapped[str]
    indications: Mapped[str]
    device: Mapped[str]
    cartridge_needles: Mapped[int | None]
    cartridge_lot: Mapped[str]
    pen_speed: Mapped[int | None]
    numbing_product: Mapped[str]
    numbing_minutes: Mapped[int | None]
    redness: Mapped[int | None]
    bruising: Mapped[int | None]
    swelling: Mapped[int | None]
    pinpoint_bleeding: Mapped[bool]
    acne_flare: Mapped[bool]
    adverse_events: Mapped[str]
    pain: Mapped[int | None]
    notes: Mapped[str]
    aftercare_given: Mapped[bool]
    next_due: Mapped[date | None]
    cautions_acknowledged: Mapped[bool]
    override_reason: Mapped[str]
    screening_list: Mapped[int]
    screening_attested_by: Mapped[str]
    screening_attested_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int]
    status: Mapped[str]
    drafted_role: Mapped[str]
    signed_at: Mapped[datetime | None]
    signed_by: Mapped[str]
    signer_id: Mapped[int | None]
    signer_role: Mapped[str]
    signature_meaning: Mapped[str]
    signed_sha256: Mapped[str]
    imported_by: Mapped[str]
    imported_at: Mapped[datetime | None]
    consent_override_reason: Mapped[str]

    patient: Mapped[PatientRow] = relationship(back_populates="sessions")
    areas: Mapped[list[TreatedAreaRow]] = relationship(
        cascade="all, delete-orphan", order_by="TreatedAreaRow.position"
    )
    products: Mapped[list[ProductRow]] = relationship(
        cascade="all, delete-orphan", order_by="ProductRow.position"
    )
    screening: Mapped[list[ScreeningRow]] = relationship(cascade="all, delete-orphan")
    assessments: Mapped[list[AssessmentRow]] = relationship(cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": tables.treatment_sessions.c.version}  # noqa: RUF012


class TreatedAreaRow(Base):
    __table__ = tables.treated_areas

    id: Mapped[int]
    session_id: Mapped[int]
    position: Mapped[int]
    area: Mapped[str]
    label: Mapped[str]
    depth_um: Mapped[int]
    passes: Mapped[int | None]
    endpoint: Mapped[str | None]


class ProductRow(Base):
    __table__ = tables.session_products

    id: Mapped[int]
    session_id: Mapped[int]
    position: Mapped[int]
    name: Mapped[str]
    lot: Mapped[str]
    expiry: Mapped[date | None]


class ScreeningRow(Base):
    __table__ = tables.screening_answers

    session_id: Mapped[int]
    item: Mapped[str]
    present: Mapped[bool]
    since: Mapped[date | None]
    detail: Mapped[str]


class AssessmentRow(Base):
    __table__ = tables.assessments

    session_id: Mapped[int]
    scale: Mapped[str]
    item: Mapped[str]
    scale_version: Mapped[str]
    score: Mapped[int]


class AddendumRow(Base):
    __table__ = tables.session_addenda

    id: Mapped[int]
    session_id: Mapped[int]
    written_at: Mapped[datetime]
    author: Mapped[str]
    author_id: Mapped[int | None]
    author_role: Mapped[str]
    reason: Mapped[str]
    text: Mapped[str]
    corrections: Mapped[str]


class AuditEventRow(Base):
    __table__ = tables.audit_events

    id: Mapped[int]
    at: Mapped[datetime]
    actor: Mapped[str]
    entity: Mapped[str]
    entity_id: Mapped[int]
    action: Mapped[str]
    changes: Mapped[str]
    patient_id: Mapped[int | None]
    prev_hash: Mapped[str]
    hash: Mapped[str]


class ContactAttemptRow(Base):
    __table__ = tables.contact_attempts

    id: Mapped[int]
    patient_id: Mapped[int]
    contacted_on: Mapped[date]
    outcome: Mapped[str]
    note: Mapped[str]
    actor: Mapped[str]
    created_at: Mapped[datetime]


class SettingRow(Base):
    __table__ = tables.settings

    key: Mapped[str]
    value: Mapped[str]
    updated_at: Mapped[datetime]


class AccountRow(Base):
    __table__ = tables.accounts

    id: Mapped[int]
    name: Mapped[str]
    display_name: Mapped[str]
    role: Mapped[str]
    password_hash: Mapped[str]
    disabled: Mapped[bool]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    failed_attempts: Mapped[int]
    locked_until: Mapped[datetime | None]


class PhotoRow(Base):
    __table__ = tables.photos

    id: Mapped[int]
    session_id: Mapped[int]
    view: Mapped[str]
    after: Mapped[bool]
    sha256: Mapped[str]
    original_name: Mapped[str]
    ext: Mapped[str]
    media_type: Mapped[str]
    byte_size: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    orientation: Mapped[int]
    flash_fired: Mapped[bool | None]
    exposure_time_s: Mapped[float | None]
    f_number: Mapped[float | None]
    iso: Mapped[int | None]
    focal_length_mm: Mapped[float | None]
    taken_at: Mapped[datetime | None]
    camera: Mapped[str]
    landmark_x1: Mapped[float | None]
    landmark_y1: Mapped[float | None]
    landmark_x2: Mapped[float | None]
    landmark_y2: Mapped[float | None]
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by: Mapped[str]
    withdrawn_reason: Mapped[str]
    created_at: Mapped[datetime]
    created_by: Mapped[str]


class PhotoUseRow(Base):
    __table__ = tables.patient_photo_uses

    patient_id: Mapped[int]
    use: Mapped[str]
    agreed_on: Mapped[date]
    recorded_by: Mapped[str]
    created_at: Mapped[datetime]


class ConsentTemplateRow(Base):
    __table__ = tables.consent_templates

    id: Mapped[int]
    key: Mapped[str]
    kind: Mapped[str]
    language: Mapped[str]
    created_at: Mapped[datetime]
    created_by: Mapped[str]


class ConsentTemplateVersionRow(Base):
    __table__ = tables.consent_template_versions

    id: Mapped[int]
    template_id: Mapped[int]
    version: Mapped[int]
    title: Mapped[str]
    text: Mapped[str]
    sha256: Mapped[str]
    created_at: Mapped[datetime]
    created_by: Mapped[str]


class ConsentRow(Base):
    __table__ = tables.consents

    id: Mapped[int]
    patient_id: Mapped[int]
    kind: Mapped[str]
    template_version_id: Mapped[int]
    answers: Mapped[str]
    method: Mapped[str]
    signature: Mapped[str]
    signature_png: Mapped[bytes]
    scan_sha256: Mapped[str]
    scan_media_type: Mapped[str]
    signed_at: Mapped[datetime]
    witness: Mapped[str]
    witness_account: Mapped[str]
    created_at: Mapped[datetime]
    created_by: Mapped[str]


class ConsentWithdrawalRow(Base):
    __table__ = tables.consent_withdrawals

    id: Mapped[int]
    consent_id: Mapped[int]
    withdrawn_on: Mapped[date]
    reason: Mapped[str]
    recorded_by: Mapped[str]
    recorded_at: Mapped[datetime]


def _guard_audit(session: Session, _ctx: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEventRow):
            raise RuntimeError("audit events are append-only: they are never changed or removed")


# Registered with the classes: every unit of work that can load an audit event
# has imported this module first.
event.listen(Session, "before_flush", _guard_audit)
