"""Consent: versioned consent forms, signed consents, withdrawals, and the reason a
session went ahead without a treatment consent.

- consent_templates: one consent form per key and language (never changed).
- consent_template_versions: every saved text of a form with the SHA-256 of its exact
  UTF-8 bytes; inserted once, never updated, so a consent always shows what was signed.
- consents: a patient's signed consent: the version signed, the photo answers, the
  signature strokes (JSON) and their image, or the scan of a paper form (its checksum
  in the photo store), the time signed and the witness. Inserted once, never updated.
- consent_withdrawals: a withdrawal added beside a consent (the consent is kept).
- treatment_sessions gains consent_override_reason (empty for every stored session:
  sessions recorded before consent existed were not asked for one).

The default English treatment and photo consent forms are written here as version 1,
each with an audit event chained to the trail, so every database (new or upgraded)
has a form to sign from its first start and no read ever has to write.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from needlelog.domain.chain import GENESIS, event_hash
from needlelog.domain.consent import (
    DEFAULT_PHOTO_TEXT,
    DEFAULT_PHOTO_TITLE,
    DEFAULT_TREATMENT_TEXT,
    DEFAULT_TREATMENT_TITLE,
    text_sha256,
)

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEEDED_BY = "needlelog (default form)"


def upgrade() -> None:
    op.add_column(
        "treatment_sessions",
        sa.Column("consent_override_reason", sa.Text(), nullable=False, server_default=""),
    )
    templates = op.create_table(
        "consent_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("language", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_templates")),
        sa.UniqueConstraint("key", "language", name=op.f("uq_consent_templates_key")),
    )
    versions = op.create_table(
        "consent_template_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["consent_templates.id"],
            name=op.f("fk_consent_template_versions_template_id_consent_templates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_template_versions")),
        sa.UniqueConstraint(
            "template_id", "version", name=op.f("uq_consent_template_versions_template_id")
        ),
    )
    op.create_table(
        "consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("template_version_id", sa.Integer(), nullable=False),
        sa.Column("answers", sa.Text(), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("signature_png", sa.LargeBinary(), nullable=False),
        sa.Column("scan_sha256", sa.String(length=64), nullable=False),
        sa.Column("scan_media_type", sa.String(length=40), nullable=False),
        sa.Column("signed_at", sa.DateTime(), nullable=False),
        sa.Column("witness", sa.String(length=200), nullable=False),
        sa.Column("witness_account", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_consents_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["template_version_id"],
            ["consent_template_versions.id"],
            name=op.f("fk_consents_template_version_id_consent_template_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
    )
    op.create_index(
        "ix_consents_patient_signed", "consents", ["patient_id", "signed_at", "id"], unique=False
    )
    op.create_index(op.f("ix_consents_scan_sha256"), "consents", ["scan_sha256"], unique=False)
    op.create_table(
        "consent_withdrawals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consent_id", sa.Integer(), nullable=False),
        sa.Column("withdrawn_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consent_id"], ["consents.id"], name=op.f("fk_consent_withdrawals_consent_id_consents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_withdrawals")),
    )
    op.create_index(
        op.f("ix_consent_withdrawals_consent_id"),
        "consent_withdrawals",
        ["consent_id"],
        unique=False,
    )
    _seed(op.get_bind(), templates, versions)


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


def _seed(conn: sa.Connection, templates: sa.Table, versions: sa.Table) -> None:
    """The default forms as version 1, each audited at the end of the chain."""
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    for key, title, text in (
        ("treatment", DEFAULT_TREATMENT_TITLE, DEFAULT_TREATMENT_TEXT),
        ("photo", DEFAULT_PHOTO_TITLE, DEFAULT_PHOTO_TEXT),
    ):
        template_id = conn.execute(
            sa.insert(templates)
            .values(key=key, kind=key, language="en", created_at=now, created_by=SEEDED_BY)
            .returning(templates.c.id)
        ).scalar_one()
        digest = text_sha256(text)
        version_id = conn.execute(
            sa.insert(versions)
            .values(
                template_id=template_id,
                version=1,
                title=title,
                text=text,
                sha256=digest,
                created_at=now,
                created_by=SEEDED_BY,
            )
            .returning(versions.c.id)
        ).scalar_one()
        changes = json.dumps(
            {
                "key": [None, key],
                "kind": [None, key],
                "language": [None, "en"],
                "sha256": [None, digest],
                "template_id": [None, template_id],
                "title": [None, title],
                "version": [None, 1],
            },
            ensure_ascii=False,
            sort_keys=True,
        )
        prev = (
            conn.execute(sa.select(_events.c.hash).order_by(_events.c.id.desc()).limit(1)).scalar()
            or GENESIS
        )
        entity, action = "consent_template", "create"
        conn.execute(
            sa.insert(_events).values(
                at=now,
                actor=SEEDED_BY,
                entity=entity,
                entity_id=version_id,
                action=action,
                changes=changes,
                patient_id=None,
                prev_hash=prev,
                hash=event_hash(prev, now, SEEDED_BY, entity, version_id, action, changes, None),
            )
        )


def downgrade() -> None:
    # The consent tables go; the audit events of the default forms stay (the trail is
    # append-only, and the backup taken before the upgrade holds the database as it was).
    op.drop_index(op.f("ix_consent_withdrawals_consent_id"), table_name="consent_withdrawals")
    op.drop_table("consent_withdrawals")
    op.drop_index(op.f("ix_consents_scan_sha256"), table_name="consents")
    op.drop_index("ix_consents_patient_signed", table_name="consents")
    op.drop_table("consents")
    op.drop_table("consent_template_versions")
    op.drop_table("consent_templates")
    op.drop_column("treatment_sessions", "consent_override_reason")
