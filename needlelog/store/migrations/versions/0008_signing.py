"""Signed sessions and addenda, import marks, and an audit trail that is a hash chain
holding no identifying content.

- treatment_sessions gains its signature (signer, role, time, meaning, SHA-256 of the
  content as signed), the role that drafted it and who imported it when. Sessions
  stored before this revision get the status "legacy": they were recorded before
  signing existed, are shown as such, and may be signed like a draft.
- patients gain anonymised_at (set when a patient is anonymised after the clinic's
  retention period; the date of birth then holds the year only).
- session_addenda: corrections written after signing (a new table).
- audit_events gains patient_id (whose record an event concerns: the patient's
  access log), prev_hash and hash. Every existing event is rewritten once: identifying
  values of patients (names, date of birth, contact, notes) are replaced by a marker,
  the patient is named, and the chain is computed in id order. The start takes a
  backup of the file before any revision runs, so the old events stay in that copy.

Revision ID: 0008
Revises: 0006 (accounts, which follows 0005 photos)
Create Date: 2026-12-01
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from needlelog.domain.chain import GENESIS, event_hash, without_identifying

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 5000


def upgrade() -> None:
    # Columns are added in place (no table copy: a copy of patients would cascade to
    # their name words, and one of treatment_sessions is refused by its children).
    op.add_column("patients", sa.Column("anonymised_at", sa.DateTime(), nullable=True))
    op.add_column(
        "treatment_sessions",
        sa.Column("status", sa.String(length=10), nullable=False, server_default="legacy"),
    )
    op.add_column(
        "treatment_sessions",
        sa.Column("drafted_role", sa.String(length=20), nullable=False, server_default=""),
    )
    op.add_column("treatment_sessions", sa.Column("signed_at", sa.DateTime(), nullable=True))
    op.add_column(
        "treatment_sessions",
        sa.Column("signed_by", sa.String(length=200), nullable=False, server_default=""),
    )
    op.add_column("treatment_sessions", sa.Column("signer_id", sa.Integer(), nullable=True))
    op.add_column(
        "treatment_sessions",
        sa.Column("signer_role", sa.String(length=20), nullable=False, server_default=""),
    )
    op.add_column(
        "treatment_sessions",
        sa.Column("signature_meaning", sa.String(length=40), nullable=False, server_default=""),
    )
    op.add_column(
        "treatment_sessions",
        sa.Column("signed_sha256", sa.String(length=64), nullable=False, server_default=""),
    )
    op.add_column(
        "treatment_sessions",
        sa.Column("imported_by", sa.String(length=200), nullable=False, server_default=""),
    )
    op.add_column("treatment_sessions", sa.Column("imported_at", sa.DateTime(), nullable=True))
    op.create_index(
        "ix_treatment_sessions_status_created",
        "treatment_sessions",
        ["status", "created_at"],
        unique=False,
    )
    op.create_table(
        "session_addenda",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("written_at", sa.DateTime(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_role", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("corrections", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_sessions.id"],
            name=op.f("fk_session_addenda_session_id_treatment_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_addenda")),
    )
    op.create_index(
        op.f("ix_session_addenda_session_id"), "session_addenda", ["session_id"], unique=False
    )
    op.add_column("audit_events", sa.Column("patient_id", sa.Integer(), nullable=True))
    op.add_column(
        "audit_events",
        sa.Column("prev_hash", sa.String(length=64), nullable=False, server_default=""),
    )
    op.add_column(
        "audit_events", sa.Column("hash", sa.String(length=64), nullable=False, server_default="")
    )
    op.create_index("ix_audit_events_patient", "audit_events", ["patient_id", "id"], unique=False)
    _rechain(op.get_bind())


_events = sa.table(
    "audit_events",
    sa.column("id", sa.Integer()),
    sa.column("at", sa.DateTime()),
    sa.column("actor", sa.String()),
    sa.column("entity", sa.String()),
    sa.column("entity_id", sa.Integer()),
    sa.column("action", sa.String()),
    sa.column("changes", sa.Text()),
    sa.column("patient_id", sa.Integer()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)
_sessions = sa.table("treatment_sessions", sa.column("id"), sa.column("patient_id"))
_attempts = sa.table("contact_attempts", sa.column("id"), sa.column("patient_id"))
_photos = sa.table("photos", sa.column("id"), sa.column("session_id"))
_OWNERS = {"session": _sessions, "contact_attempt": _attempts}


def _rechain(conn: sa.Connection) -> None:
    """Every event once, in id order: identifying values out, patient named, chained."""
    owner_of = {
        entity: dict(conn.execute(sa.select(t.c.id, t.c.patient_id)).all())
        for entity, t in _OWNERS.items()
    }
    # Photos (revision 0005) belong to the patient of their session.
    owner_of["photo"] = dict(
        conn.execute(
            sa.select(_photos.c.id, _sessions.c.patient_id).join(
                _sessions, _sessions.c.id == _photos.c.session_id
            )
        ).all()
    )
    update = (
        sa.update(_events)
        .where(_events.c.id == sa.bindparam("event_id"))
        .values(
            changes=sa.bindparam("new_changes"),
            patient_id=sa.bindparam("new_patient_id"),
            prev_hash=sa.bindparam("new_prev_hash"),
            hash=sa.bindparam("new_hash"),
        )
    )
    prev, last = GENESIS, 0
    while True:
        rows = conn.execute(
            sa.select(_events).where(_events.c.id > last).order_by(_events.c.id).limit(_BATCH)
        ).all()
        if not rows:
            return
        params = []
        for row in rows:
            try:
                decoded = json.loads(row.changes)
            except ValueError:
                decoded = None
            text = row.changes
            if isinstance(decoded, dict):
                kept = without_identifying(row.entity, decoded)
                if kept is not decoded:  # a patient's or a photo's (0005) identifying values
                    text = json.dumps(kept, ensure_ascii=False, sort_keys=True)
            if row.entity == "patient":
                patient = row.entity_id
            else:
                patient = owner_of.get(row.entity, {}).get(row.entity_id)
            digest = event_hash(
                prev, row.at, row.actor, row.entity, row.entity_id, row.action, text, patient
            )
            params.append(
                {
                    "event_id": row.id,
                    "new_changes": text,
                    "new_patient_id": patient,
                    "new_prev_hash": prev,
                    "new_hash": digest,
                }
            )
            prev = digest
        conn.execute(update, params)
        last = rows[-1].id


def downgrade() -> None:
    # Columns are dropped in place (ALTER TABLE ... DROP COLUMN, SQLite 3.35+): a copy
    # of the patients table would cascade to their name words. The identifying values
    # taken out of old events stay out: they are in the backup taken before the upgrade.
    op.drop_index("ix_audit_events_patient", table_name="audit_events")
    for name in ("hash", "prev_hash", "patient_id"):
        op.drop_column("audit_events", name)
    op.drop_index(op.f("ix_session_addenda_session_id"), table_name="session_addenda")
    op.drop_table("session_addenda")
    op.drop_index("ix_treatment_sessions_status_created", table_name="treatment_sessions")
    for name in (
        "imported_at",
        "imported_by",
        "signed_sha256",
        "signature_meaning",
        "signer_role",
        "signer_id",
        "signed_by",
        "signed_at",
        "drafted_role",
        "status",
    ):
        op.drop_column("treatment_sessions", name)
    op.drop_column("patients", "anonymised_at")
