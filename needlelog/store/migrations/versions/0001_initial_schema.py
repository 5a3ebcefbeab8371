"""Initial schema: patients, sessions with their areas, products, screening
and scores, the audit trail and clinic settings.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("entity", sa.String(length=30), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_audit_events_entity", ["entity", "entity_id"], unique=False)

    op.create_table(
        "patients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_no", sa.String(length=32), nullable=False),
        sa.Column("family_name", sa.String(length=100), nullable=False),
        sa.Column("given_name", sa.String(length=100), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("sex", sa.String(length=10), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("fitzpatrick", sa.SmallInteger(), nullable=True),
        sa.Column("contraindications", sa.String(length=400), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("planned_sessions", sa.SmallInteger(), nullable=True),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("last_session_on", sa.Date(), nullable=True),
        sa.Column("course_sessions", sa.Integer(), nullable=False),
        sa.Column("sessions_total", sa.Integer(), nullable=False),
        sa.Column("next_due", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patients")),
        sa.UniqueConstraint("record_no", name=op.f("uq_patients_record_no")),
    )
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_patients_date_of_birth"), ["date_of_birth"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_patients_next_due"), ["next_due"], unique=False)

    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_settings")),
    )
    op.create_table(
        "treatment_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("performed_at", sa.DateTime(), nullable=False),
        sa.Column("practitioner", sa.String(length=200), nullable=False),
        sa.Column("indications", sa.String(length=300), nullable=False),
        sa.Column("device", sa.String(length=200), nullable=False),
        sa.Column("cartridge_needles", sa.SmallInteger(), nullable=True),
        sa.Column("cartridge_lot", sa.String(length=200), nullable=False),
        sa.Column("pen_speed", sa.SmallInteger(), nullable=True),
        sa.Column("numbing_product", sa.String(length=200), nullable=False),
        sa.Column("numbing_minutes", sa.SmallInteger(), nullable=True),
        sa.Column("redness", sa.SmallInteger(), nullable=True),
        sa.Column("bruising", sa.SmallInteger(), nullable=True),
        sa.Column("swelling", sa.SmallInteger(), nullable=True),
        sa.Column("pinpoint_bleeding", sa.Boolean(), nullable=False),
        sa.Column("acne_flare", sa.Boolean(), nullable=False),
        sa.Column("adverse_events", sa.Text(), nullable=False),
        sa.Column("pain", sa.SmallInteger(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("aftercare_given", sa.Boolean(), nullable=False),
        sa.Column("next_due", sa.Date(), nullable=True),
        sa.Column("cautions_acknowledged", sa.Boolean(), nullable=False),
        sa.Column("override_reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_treatment_sessions_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treatment_sessions")),
    )
    with op.batch_alter_table("treatment_sessions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_treatment_sessions_patient_performed", ["patient_id", "performed_at"], unique=False
        )

    op.create_table(
        "assessments",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("scale", sa.String(length=40), nullable=False),
        sa.Column("item", sa.String(length=30), nullable=False),
        sa.Column("scale_version", sa.String(length=20), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_sessions.id"],
            name=op.f("fk_assessments_session_id_treatment_sessions"),
        ),
        sa.PrimaryKeyConstraint("session_id", "scale", "item", name=op.f("pk_assessments")),
    )
    op.create_table(
        "screening_answers",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=40), nullable=False),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.Column("since", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_sessions.id"],
            name=op.f("fk_screening_answers_session_id_treatment_sessions"),
        ),
        sa.PrimaryKeyConstraint("session_id", "item", name=op.f("pk_screening_answers")),
    )
    op.create_table(
        "session_products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("lot", sa.String(length=200), nullable=False),
        sa.Column("expiry", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_sessions.id"],
            name=op.f("fk_session_products_session_id_treatment_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_products")),
    )
    with op.batch_alter_table("session_products", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_session_products_session_id"), ["session_id"], unique=False
        )

    op.create_table(
        "treated_areas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("area", sa.String(length=30), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("depth_um", sa.Integer(), nullable=False),
        sa.Column("passes", sa.SmallInteger(), nullable=True),
        sa.Column("endpoint", sa.String(length=30), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_sessions.id"],
            name=op.f("fk_treated_areas_session_id_treatment_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treated_areas")),
    )
    with op.batch_alter_table("treated_areas", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_treated_areas_session_id"), ["session_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("treated_areas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_treated_areas_session_id"))

    op.drop_table("treated_areas")
    with op.batch_alter_table("session_products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_products_session_id"))

    op.drop_table("session_products")
    op.drop_table("screening_answers")
    op.drop_table("assessments")
    with op.batch_alter_table("treatment_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_treatment_sessions_patient_performed")

    op.drop_table("treatment_sessions")
    op.drop_table("settings")
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patients_next_due"))
        batch_op.drop_index(batch_op.f("ix_patients_date_of_birth"))

    op.drop_table("patients")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_entity")

    op.drop_table("audit_events")
