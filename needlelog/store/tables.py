"""The clinic's tables, declared once for SQLAlchemy Core.

Portable SQL only (SQLite today, PostgreSQL for multi-PC clinics): no
SQLite-specific types. Depths are stored as whole micrometres so that
0.05 mm steps stay exact on every database.

Every query module reads and writes through these ``Table`` objects; the ORM
classes of ``store/models.py`` are mapped onto them for the writers that keep
related rows in step. Importing this module costs SQLAlchemy Core alone, so a
command that only reads (a report, an export) never loads the ORM.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
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
    Table,
    Text,
    UniqueConstraint,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

patients = Table(
    "patients",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("record_no", String(32), nullable=False, unique=True),
    Column("family_name", String(100), nullable=False),
    Column("given_name", String(100), nullable=False, default=""),
    Column("date_of_birth", Date, index=True),
    Column("sex", String(10)),
    Column("phone", String(32), nullable=False, default=""),
    Column("email", String(200), nullable=False, default=""),
    Column("fitzpatrick", SmallInteger),
    Column("contraindications", String(400), nullable=False, default=""),  # codes joined by ;
    Column("notes", Text, nullable=False, default=""),
    Column("planned_sessions", SmallInteger),
    Column("archived", Boolean, nullable=False, default=False),
    # Kept by the session writer in the same transaction, so that lists of
    # 100,000 patients need no aggregate over a million sessions.
    Column("last_session_on", Date),
    Column("course_sessions", Integer, nullable=False, default=0),
    Column("sessions_total", Integer, nullable=False, default=0),
    Column("next_due", Date, index=True),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("version", Integer, nullable=False),
    # Set when the patient was anonymised after the retention period (birth year only).
    Column("anonymised_at", DateTime),
    # Name order, then what a search tests on each patient it walks past (revision
    # 0010): a page of matches reads only its own rows from the table.
    Index(
        "ix_patients_sort_name",
        "family_name",
        "given_name",
        "id",
        "archived",
        "record_no",
        "date_of_birth",
    ),
)

# Folded words of a patient's names, for index-backed search by fragment.
patient_name_tokens = Table(
    "patient_name_tokens",
    metadata,
    Column("patient_id", Integer, ForeignKey("patients.id", ondelete="CASCADE"), primary_key=True),
    Column("token", String(100), primary_key=True),
    # Word first, patient second: a fragment's matches come from the index alone.
    Index("ix_patient_name_tokens_token_patient", "token", "patient_id"),
)

treatment_sessions = Table(
    "treatment_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("patient_id", Integer, ForeignKey("patients.id"), nullable=False),
    Column("performed_at", DateTime, nullable=False),
    Column("practitioner", String(200), nullable=False),
    Column("indications", String(300), nullable=False, default=""),  # codes joined by ;
    Column("device", String(200), nullable=False, default=""),
    Column("cartridge_needles", SmallInteger),
    Column("cartridge_lot", String(200), nullable=False, default=""),
    Column("pen_speed", SmallInteger),
    Column("numbing_product", String(200), nullable=False, default=""),
    Column("numbing_minutes", SmallInteger),
    Column("redness", SmallInteger),
    Column("bruising", SmallInteger),
    Column("swelling", SmallInteger),
    Column("pinpoint_bleeding", Boolean, nullable=False, default=False),
    Column("acne_flare", Boolean, nullable=False, default=False),
    Column("adverse_events", Text, nullable=False, default=""),
    Column("pain", SmallInteger),
    Column("notes", Text, nullable=False, default=""),
    Column("aftercare_given", Boolean, nullable=False, default=False),
    Column("next_due", Date),
    Column("cautions_acknowledged", Boolean, nullable=False, default=False),
    Column("override_reason", Text, nullable=False, default=""),
    # Which screening list was asked (0: none recorded); the "none of these apply"
    # attestation that answers it all at once, by whom and when.
    Column("screening_list", SmallInteger, nullable=False, default=0, server_default="0"),
    Column("screening_attested_by", String(200), nullable=False, default="", server_default=""),
    Column("screening_attested_at", DateTime),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("version", Integer, nullable=False),
    # Signing (a domain.signing.Status value; "legacy": stored before signing existed).
    Column("status", String(10), nullable=False, default="draft"),
    Column("drafted_role", String(20), nullable=False, default=""),
    Column("signed_at", DateTime),
    Column("signed_by", String(200), nullable=False, default=""),
    Column("signer_id", Integer),
    Column("signer_role", String(20), nullable=False, default=""),
    Column("signature_meaning", String(40), nullable=False, default=""),
    Column("signed_sha256", String(64), nullable=False, default=""),
    Column("imported_by", String(200), nullable=False, default=""),
    Column("imported_at", DateTime),
    # Revision 0009: why a new session went ahead without a valid treatment consent.
    Column("consent_override_reason", Text, nullable=False, default="", server_default=""),
    Index("ix_treatment_sessions_patient_performed", "patient_id", "performed_at"),
    Index("ix_treatment_sessions_status_created", "status", "created_at"),
)

treated_areas = Table(
    "treated_areas",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("session_id", Integer, ForeignKey("treatment_sessions.id"), nullable=False, index=True),
    Column("position", SmallInteger, nullable=False),
    Column("area", String(30), nullable=False),
    Column("label", String(200), nullable=False, default=""),
    Column("depth_um", Integer, nullable=False),
    Column("passes", SmallInteger),
    Column("endpoint", String(30)),
)

session_products = Table(
    "session_products",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("session_id", Integer, ForeignKey("treatment_sessions.id"), nullable=False, index=True),
    Column("position", SmallInteger, nullable=False),
    Column("name", String(200), nullable=False),
    Column("lot", String(200), nullable=False, default=""),
    Column("expiry", Date),
)

# One contraindication question as answered on the day of the session.
screening_answers = Table(
    "screening_answers",
    metadata,
    Column("session_id", Integer, ForeignKey("treatment_sessions.id"), primary_key=True),
    Column("item", String(40), primary_key=True),
    Column("present", Boolean, nullable=False),
    Column("since", Date),
    Column("detail", String(200), nullable=False, default="", server_default=""),
)

# A score on a named scale, with the scale's version, so scores stay interpretable.
assessments = Table(
    "assessments",
    metadata,
    Column("session_id", Integer, ForeignKey("treatment_sessions.id"), primary_key=True),
    Column("scale", String(40), primary_key=True),
    Column("item", String(30), primary_key=True),
    Column("scale_version", String(20), nullable=False),
    Column("score", SmallInteger, nullable=False),
)

# A correction or note written after a session was signed (never changed).
session_addenda = Table(
    "session_addenda",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("session_id", Integer, ForeignKey("treatment_sessions.id"), nullable=False, index=True),
    Column("written_at", DateTime, nullable=False),
    Column("author", String(200), nullable=False),
    Column("author_id", Integer),
    Column("author_role", String(20), nullable=False),
    Column("reason", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("corrections", Text, nullable=False, default="{}"),  # JSON {field: value}
)

# Append-only history of every change and every access (never updated, never
# deleted). Each event holds the hash of the one before it and of its own content:
# a hash chain that shows any change made outside the app. Identifying content of a
# patient never enters an event, so forgetting a patient never changes the trail.
audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("entity", String(30), nullable=False),
    Column("entity_id", Integer, nullable=False),
    Column("action", String(20), nullable=False),
    Column("changes", Text, nullable=False),  # JSON: {"field": [old, new]}
    Column("patient_id", Integer),  # whose record it concerns
    Column("prev_hash", String(64), nullable=False, default=""),
    Column("hash", String(64), nullable=False, default=""),
    Index("ix_audit_events_entity", "entity", "entity_id"),
    Index("ix_audit_events_patient", "patient_id", "id"),
)

# One attempt to reach a patient who is due: the recall log (never changed).
contact_attempts = Table(
    "contact_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("patient_id", Integer, ForeignKey("patients.id"), nullable=False),
    Column("contacted_on", Date, nullable=False),
    Column("outcome", String(20), nullable=False),  # a ContactOutcome value
    Column("note", Text, nullable=False, default=""),
    Column("actor", String(200), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Index("ix_contact_attempts_patient_contacted", "patient_id", "contacted_on", "id"),
)

# Clinic settings kept with the clinic's data (protocol, letterhead, aftercare).
settings = Table(
    "settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),  # JSON
    Column("updated_at", DateTime, nullable=False),
)

# A person who signs in: name (never changed), role and Argon2 password hash.
# Accounts are disabled, never deleted, so every audit event's name and every
# signature's account id keep pointing at the person who acted.
accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(32), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("role", String(20), nullable=False),  # a domain.accounts.Role value
    Column("password_hash", String(200), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    # Wrong passwords in a row, and until when the account waits (kept in the
    # database, so closing the app or the command does not reset the wait).
    Column("failed_attempts", Integer, nullable=False, default=0),
    Column("locked_until", DateTime),
)

# A clinical photograph of a session: its metadata and checksum. The original is a
# file in the photo store folder named by ``sha256`` (never a database value).
photos = Table(
    "photos",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("session_id", Integer, ForeignKey("treatment_sessions.id"), nullable=False),
    Column("view", String(40), nullable=False),
    Column("after", Boolean, nullable=False, default=False),
    Column("sha256", String(64), nullable=False, index=True),
    Column("original_name", String(255), nullable=False, default=""),
    Column("ext", String(10), nullable=False),
    Column("media_type", String(40), nullable=False),
    Column("byte_size", Integer, nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("orientation", SmallInteger, nullable=False, default=1),
    Column("flash_fired", Boolean),
    Column("exposure_time_s", Float),
    Column("f_number", Float),
    Column("iso", Integer),
    Column("focal_length_mm", Float),
    Column("taken_at", DateTime),
    Column("camera", String(200), nullable=False, default=""),
    Column("landmark_x1", Float),
    Column("landmark_y1", Float),
    Column("landmark_x2", Float),
    Column("landmark_y2", Float),
    Column("withdrawn_at", DateTime),
    Column("withdrawn_by", String(200), nullable=False, default=""),
    Column("withdrawn_reason", Text, nullable=False, default=""),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Index("ix_photos_session_view", "session_id", "view", "id"),
)

# One use of their photographs a patient agreed to (clinical_record, own_report,
# teaching, publication); no row, no agreement.
patient_photo_uses = Table(
    "patient_photo_uses",
    metadata,
    Column("patient_id", Integer, ForeignKey("patients.id"), primary_key=True),
    Column("use", String(20), primary_key=True),
    Column("agreed_on", Date, nullable=False),
    Column("recorded_by", String(200), nullable=False),
    Column("created_at", DateTime, nullable=False),
)

# A consent form: one key in one language. Never changed; its text is in versions.
consent_templates = Table(
    "consent_templates",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(40), nullable=False),
    Column("kind", String(10), nullable=False),  # a ConsentKind value
    Column("language", String(20), nullable=False),  # BCP 47
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    UniqueConstraint("key", "language"),
)

# One saved text of a consent form, with the SHA-256 of its exact UTF-8 bytes.
# Inserted once, never updated: a consent names the version signed.
consent_template_versions = Table(
    "consent_template_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("template_id", Integer, ForeignKey("consent_templates.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("title", String(200), nullable=False),
    Column("text", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    UniqueConstraint("template_id", "version"),
)

# A consent a patient signed, on screen (strokes and their image) or on paper (a
# scan in the photo store named by ``scan_sha256``). Inserted once, never updated;
# a withdrawal is a row of its own.
consents = Table(
    "consents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("patient_id", Integer, ForeignKey("patients.id"), nullable=False),
    Column("kind", String(10), nullable=False),
    Column(
        "template_version_id",
        Integer,
        ForeignKey("consent_template_versions.id"),
        nullable=False,
    ),
    Column("answers", Text, nullable=False, default="{}"),  # JSON {use: true|false}
    Column("method", String(10), nullable=False),  # a ConsentMethod value
    Column("signature", Text, nullable=False, default=""),  # JSON strokes; "" on paper
    Column("signature_png", LargeBinary, nullable=False, default=b""),
    Column("scan_sha256", String(64), nullable=False, index=True, default=""),
    Column("scan_media_type", String(40), nullable=False, default=""),
    Column("signed_at", DateTime, nullable=False),
    Column("witness", String(200), nullable=False),
    Column("witness_account", String(32), nullable=False, default=""),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Index("ix_consents_patient_signed", "patient_id", "signed_at", "id"),
)

# A patient's withdrawal of a consent, added beside it (the consent is kept).
consent_withdrawals = Table(
    "consent_withdrawals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("consent_id", Integer, ForeignKey("consents.id"), nullable=False, index=True),
    Column("withdrawn_on", Date, nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Column("recorded_by", String(200), nullable=False),
    Column("recorded_at", DateTime, nullable=False),
)
