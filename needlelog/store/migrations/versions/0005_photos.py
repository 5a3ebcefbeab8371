"""Clinical photographs: one row per photo of a session (view, before/after, checksum
of the original in the photo store folder, capture metadata, alignment landmarks,
withdrawal), and the uses of their photos each patient agreed to.

New tables only; no existing row changes.

Revision ID: 0005_photos
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_photos"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("view", sa.String(length=40), nullable=False),
        sa.Column("after", sa.Boolean(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("ext", sa.String(length=10), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("byte_size", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("orientation", sa.SmallInteger(), nullable=False),
        sa.Column("flash_fired", sa.Boolean(), nullable=True),
        sa.Column("exposure_time_s", sa.Float(), nullable=True),
        sa.Column("f_number", sa.Float(), nullable=True),
        sa.Column("iso", sa.Integer(), nullable=True),
        sa.Column("focal_length_mm", sa.Float(), nullable=True),
        sa.Column("taken_at", sa.DateTime(), nullable=True),
        sa.Column("camera", sa.String(length=200), nullable=False),
        sa.Column("landmark_x1", sa.Float(), nullable=True),
        sa.Column("landmark_y1", sa.Float(), nullable=True),
        sa.Column("landmark_x2", sa.Float(), nullable=True),
        sa.Column("landmark_y2", sa.Float(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
        sa.Column("withdrawn_by", sa.String(length=200), nullable=False),
        sa.Column("withdrawn_reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_sessions.id"],
            name=op.f("fk_photos_session_id_treatment_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photos")),
    )
    op.create_index(op.f("ix_photos_sha256"), "photos", ["sha256"], unique=False)
    op.create_index("ix_photos_session_view", "photos", ["session_id", "view", "id"], unique=False)
    op.create_table(
        "patient_photo_uses",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("use", sa.String(length=20), nullable=False),
        sa.Column("agreed_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_patient_photo_uses_patient_id_patients"),
        ),
        sa.PrimaryKeyConstraint("patient_id", "use", name=op.f("pk_patient_photo_uses")),
    )


def downgrade() -> None:
    op.drop_table("patient_photo_uses")
    op.drop_index("ix_photos_session_view", table_name="photos")
    op.drop_index(op.f("ix_photos_sha256"), table_name="photos")
    op.drop_table("photos")
