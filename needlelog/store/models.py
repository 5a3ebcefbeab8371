"""SQLAlchemy 2.x mapped tables.

Portable SQL only (SQLite today, PostgreSQL for multi-PC clinics): no
SQLite-specific types. Depths are stored as whole micrometres so that
0.05 mm steps stay exact on every database.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class PatientRow(Base):
    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_no: Mapped[str] = mapped_column(String(32), unique=True)
    family_name: Mapped[str] = mapped_column(String(100))
    given_name: Mapped[str] = mapped_column(String(100), default="")
    date_of_birth: Mapped[date | None] = mapped_column(Date, index=True)
    sex: Mapped[str | None] = mapped_column(String(10))
    phone: Mapped[str] = mapped_column(String(32), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    fitzpatrick: Mapped[int | None] = mapped_column(SmallInteger)
    contraindications: Mapped[str] = mapped_column(String(400), default="")  # codes joined by ;
    notes: Mapped[str] = mapped_column(Text, default="")
    planned_sessions: Mapped[int | None] = mapped_column(SmallInteger)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    # Kept by the session services in the same transaction, so that lists of
    # 100,000 patients need no aggregate over a million sessions.
    last_session_on: Mapped[date | None] = mapped_column(Date)
    course_sessions: Mapped[int] = mapped_column(Integer, default=0)
    sessions_total: Mapped[int] = mapped_column(Integer, default=0)
    next_due: Mapped[date | None] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer)
    # Set when the patient was anonymised after the retention period (birth year only).
    anonymised_at: Mapped[datetime | None] = mapped_column(DateTime)

    sessions: Mapped[list[SessionRow]] = relationship(back_populates="patient")
    name_tokens: Mapped[list[NameTokenRow]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (Index("ix_patients_sort_name", "family_name", "given_name", "id"),)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class NameTokenRow(Base):
    """Folded words of a patient's names, for index-backed search by fragment."""

    __tablename__ = "patient_name_tokens"

    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), primary_key=True
    )
    token: Mapped[str] = mapped_column(String(100), primary_key=True)

    # Word first, patient second: a fragment's matches come from the index alone.
    __table_args__ = (Index("ix_patient_name_tokens_token_patient", "token", "patient_id"),)


class SessionRow(Base):
    __tablename__ = "treatment_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    performed_at: Mapped[datetime] = mapped_column(DateTime)
    practitioner: Mapped[str] = mapped_column(String(200))
    indications: Mapped[str] = mapped_column(String(300), default="")  # codes joined by ;
    device: Mapped[str] = mapped_column(String(200), default="")
    cartridge_needles: Mapped[int | None] = mapped_column(SmallInteger)
    cartridge_lot: Mapped[str] = mapped_column(String(200), default="")
    pen_speed: Mapped[int | None] = mapped_column(SmallInteger)
    numbing_product: Mapped[str] = mapped_column(String(200), default="")
    numbing_minutes: Mapped[int | None] = mapped_column(SmallInteger)
    redness: Mapped[int | None] = mapped_column(SmallInteger)
    bruising: Mapped[int | None] = mapped_column(SmallInteger)
    swelling: Mapped[int | None] = mapped_column(SmallInteger)
    pinpoint_bleeding: Mapped[bool] = mapped_column(Boolean, default=False)
    acne_flare: Mapped[bool] = mapped_column(Boolean, default=False)
    adverse_events: Mapped[str] = mapped_column(Text, default="")
    pain: Mapped[int | None] = mapped_column(SmallInteger)
    notes: Mapped[str] = mapped_column(Text, default="")
    aftercare_given: Mapped[bool] = mapped_column(Boolean, default=False)
    next_due: Mapped[date | None] = mapped_column(Date)
    cautions_acknowledged: Mapped[bool] = mapped_column(Boolean, default=False)
    override_reason: Mapped[str] = mapped_column(Text, default="")
    # Which screening list was asked (0: none recorded); the "none of these apply"
    # attestation that answers it all at once, by whom and when.
    screening_list: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    screening_attested_by: Mapped[str] = mapped_column(String(200), default="", server_default="")
    screening_attested_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer)
    # Signing (a domain.signing.Status value; "legacy": stored before signing existed).
    status: Mapped[str] = mapped_column(String(10), default="draft")
    drafted_role: Mapped[str] = mapped_column(String(20), default="")
    signed_at: Mapped[datetime | None] = mapped_column(DateTime)
    signed_by: Mapped[str] = mapped_column(String(200), default="")
    signer_id: Mapped[int | None] = mapped_column(Integer)
    signer_role: Mapped[str] = mapped_column(String(20), default="")
    signature_meaning: Mapped[str] = mapped_column(String(40), default="")
    signed_sha256: Mapped[str] = mapped_column(String(64), default="")
    imported_by: Mapped[str] = mapped_column(String(200), default="")
    imported_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Revision 0009: why a new session went ahead without a valid treatment consent.
    consent_override_reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    patient: Mapped[PatientRow] = relationship(back_populates="sessions")
    areas: Mapped[list[TreatedAreaRow]] = relationship(
        cascade="all, delete-orphan", order_by="TreatedAreaRow.position"
    )
    products: Mapped[list[ProductRow]] = relationship(
        cascade="all, delete-orphan", order_by="ProductRow.position"
    )
    screening: Mapped[list[ScreeningRow]] = relationship(cascade="all, delete-orphan")
    assessments: Mapped[list[AssessmentRow]] = relationship(cascade="all, delete-orphan")

    __table_args__ = (
        Index("ix_treatment_sessions_patient_performed", "patient_id", "performed_at"),
        Index("ix_treatment_sessions_status_created", "status", "created_at"),
    )
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class TreatedAreaRow(Base):
    __tablename__ = "treated_areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_sessions.id"), index=True)
    position: Mapped[int] = mapped_column(SmallInteger)
    area: Mapped[str] = mapped_column(String(30))
    label: Mapped[str] = mapped_column(String(200), default="")
    depth_um: Mapped[int] = mapped_column(Integer)
    passes: Mapped[int | None] = mapped_column(SmallInteger)
    endpoint: Mapped[str | None] = mapped_column(String(30))


class ProductRow(Base):
    __tablename__ = "session_products"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_sessions.id"), index=True)
    position: Mapped[int] = mapped_column(SmallInteger)
    name: Mapped[str] = mapped_column(String(200))
    lot: Mapped[str] = mapped_column(String(200), default="")
    expiry: Mapped[date | None] = mapped_column(Date)


class ScreeningRow(Base):
    """One contraindication question as answered on the day of the session."""

    __tablename__ = "screening_answers"

    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_sessions.id"), primary_key=True)
    item: Mapped[str] = mapped_column(String(40), primary_key=True)
    present: Mapped[bool] = mapped_column(Boolean)
    since: Mapped[date | None] = mapped_column(Date)
    detail: Mapped[str] = mapped_column(String(200), default="", server_default="")  # the allergy


class AssessmentRow(Base):
    """A score on a named scale, with the scale's version, so scores stay interpretable."""

    __tablename__ = "assessments"

    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_sessions.id"), primary_key=True)
    scale: Mapped[str] = mapped_column(String(40), primary_key=True)
    item: Mapped[str] = mapped_column(String(30), primary_key=True)
    scale_version: Mapped[str] = mapped_column(String(20))
    score: Mapped[int] = mapped_column(SmallInteger)


class AddendumRow(Base):
    """A correction or note written after a session was signed (never changed)."""

    __tablename__ = "session_addenda"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_sessions.id"), index=True)
    written_at: Mapped[datetime] = mapped_column(DateTime)
    author: Mapped[str] = mapped_column(String(200))
    author_id: Mapped[int | None] = mapped_column(Integer)
    author_role: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    corrections: Mapped[str] = mapped_column(Text, default="{}")  # JSON {field: value}


class AuditEventRow(Base):
    """Append-only history of every change and every access (never updated, never
    deleted). Each event holds the hash of the one before it and of its own content:
    a hash chain that shows any change made outside the app. Identifying content of a
    patient never enters an event, so forgetting a patient never changes the trail."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(200))
    entity: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))
    changes: Mapped[str] = mapped_column(Text)  # JSON: {"field": [old, new]}
    patient_id: Mapped[int | None] = mapped_column(Integer)  # whose record it concerns
    prev_hash: Mapped[str] = mapped_column(String(64), default="")
    hash: Mapped[str] = mapped_column(String(64), default="")

    __table_args__ = (
        Index("ix_audit_events_entity", "entity", "entity_id"),
        Index("ix_audit_events_patient", "patient_id", "id"),
    )


class ContactAttemptRow(Base):
    """One attempt to reach a patient who is due: the recall log (never changed)."""

    __tablename__ = "contact_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    contacted_on: Mapped[date] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(20))  # a ContactOutcome value
    note: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (
        Index("ix_contact_attempts_patient_contacted", "patient_id", "contacted_on", "id"),
    )


class SettingRow(Base):
    """Clinic settings kept with the clinic's data (protocol, letterhead, aftercare)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)  # JSON
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class AccountRow(Base):
    """A person who signs in: name (never changed), role and Argon2 password hash.

    Accounts are disabled, never deleted, so every audit event's name and every
    signature's account id keep pointing at the person who acted."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # a domain.accounts.Role value
    password_hash: Mapped[str] = mapped_column(String(200))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    # Wrong passwords in a row, and until when the account waits (kept in the
    # database, so closing the app or the command does not reset the wait).
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)


class PhotoRow(Base):
    """A clinical photograph of a session: its metadata and checksum. The original is a
    file in the photo store folder named by ``sha256`` (never a database value)."""

    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_sessions.id"))
    view: Mapped[str] = mapped_column(String(40))
    after: Mapped[bool] = mapped_column(Boolean, default=False)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    original_name: Mapped[str] = mapped_column(String(255), default="")
    ext: Mapped[str] = mapped_column(String(10))
    media_type: Mapped[str] = mapped_column(String(40))
    byte_size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    orientation: Mapped[int] = mapped_column(SmallInteger, default=1)
    flash_fired: Mapped[bool | None] = mapped_column(Boolean)
    exposure_time_s: Mapped[float | None] = mapped_column(Float)
    f_number: Mapped[float | None] = mapped_column(Float)
    iso: Mapped[int | None] = mapped_column(Integer)
    focal_length_mm: Mapped[float | None] = mapped_column(Float)
    taken_at: Mapped[datetime | None] = mapped_column(DateTime)
    camera: Mapped[str] = mapped_column(String(200), default="")
    landmark_x1: Mapped[float | None] = mapped_column(Float)
    landmark_y1: Mapped[float | None] = mapped_column(Float)
    landmark_x2: Mapped[float | None] = mapped_column(Float)
    landmark_y2: Mapped[float | None] = mapped_column(Float)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime)
    withdrawn_by: Mapped[str] = mapped_column(String(200), default="")
    withdrawn_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(200))

    __table_args__ = (Index("ix_photos_session_view", "session_id", "view", "id"),)


class PhotoUseRow(Base):
    """One use of their photographs a patient agreed to (clinical_record, own_report,
    teaching, publication); no row, no agreement."""

    __tablename__ = "patient_photo_uses"

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), primary_key=True)
    use: Mapped[str] = mapped_column(String(20), primary_key=True)
    agreed_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class ConsentTemplateRow(Base):
    """A consent form: one key in one language. Never changed; its text is in versions."""

    __tablename__ = "consent_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(10))  # a ConsentKind value
    language: Mapped[str] = mapped_column(String(20))  # BCP 47
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(200))

    __table_args__ = (UniqueConstraint("key", "language"),)


class ConsentTemplateVersionRow(Base):
    """One saved text of a consent form, with the SHA-256 of its exact UTF-8 bytes.
    Inserted once, never updated: a consent names the version signed."""

    __tablename__ = "consent_template_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("consent_templates.id"))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(200))

    __table_args__ = (UniqueConstraint("template_id", "version"),)


class ConsentRow(Base):
    """A consent a patient signed, on screen (strokes and their image) or on paper (a
    scan in the photo store named by ``scan_sha256``). Inserted once, never updated;
    a withdrawal is a row of its own."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    kind: Mapped[str] = mapped_column(String(10))
    template_version_id: Mapped[int] = mapped_column(ForeignKey("consent_template_versions.id"))
    answers: Mapped[str] = mapped_column(Text, default="{}")  # JSON {use: true|false}
    method: Mapped[str] = mapped_column(String(10))  # a ConsentMethod value
    signature: Mapped[str] = mapped_column(Text, default="")  # JSON strokes; "" on paper
    signature_png: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    scan_sha256: Mapped[str] = mapped_column(String(64), default="", index=True)
    scan_media_type: Mapped[str] = mapped_column(String(40), default="")
    signed_at: Mapped[datetime] = mapped_column(DateTime)
    witness: Mapped[str] = mapped_column(String(200))
    witness_account: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(200))

    __table_args__ = (Index("ix_consents_patient_signed", "patient_id", "signed_at", "id"),)


class ConsentWithdrawalRow(Base):
    """A patient's withdrawal of a consent, added beside it (the consent is kept)."""

    __tablename__ = "consent_withdrawals"

    id: Mapped[int] = mapped_column(primary_key=True)
    consent_id: Mapped[int] = mapped_column(ForeignKey("consents.id"), index=True)
    withdrawn_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
