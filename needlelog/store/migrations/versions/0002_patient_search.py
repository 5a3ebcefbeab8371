"""Index-backed patient search: folded name words and a name sort order.

Existing patients get their name words filled in, so search finds every
record made before this revision.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fold_words(text: str) -> set[str]:
    # Frozen copy of the folding at the time of this revision: a migration
    # must not change meaning when the application's code changes later.
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    cleaned = "".join(c if c.isalnum() else " " for c in plain)
    return {w[:100] for w in cleaned.split()}


def upgrade() -> None:
    tokens = op.create_table(
        "patient_name_tokens",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_patient_name_tokens_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("patient_id", "token", name=op.f("pk_patient_name_tokens")),
    )
    with op.batch_alter_table("patient_name_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patient_name_tokens_token"), ["token"], unique=False)
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.create_index(
            "ix_patients_sort_name", ["family_name", "given_name", "id"], unique=False
        )

    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, family_name, given_name FROM patients"))
    batch: list[dict[str, object]] = []
    for pid, family, given in rows:
        batch.extend({"patient_id": pid, "token": t} for t in _fold_words(f"{family} {given}"))
        if len(batch) >= 5000:
            op.bulk_insert(tokens, batch)
            batch = []
    if batch:
        op.bulk_insert(tokens, batch)


def downgrade() -> None:
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_index("ix_patients_sort_name")
    with op.batch_alter_table("patient_name_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patient_name_tokens_token"))
    op.drop_table("patient_name_tokens")
