"""Screening answered, not assumed: which screening list a session was asked, the
"none of these apply" attestation (by whom, when), and the name an answer gives
(the allergy).

Existing sessions keep every answer they stored: a session with screening answers
was asked the first list of ten items (``screening_list`` 1); one without any was
logged without a screening (0, as imported sessions are). No answer is made up.

Revision ID: 0007
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD/DROP COLUMN (SQLite 3.35+ and PostgreSQL alike): a copied table would
    # have to be dropped under the foreign keys that point at it.
    op.add_column(
        "treatment_sessions",
        sa.Column("screening_list", sa.SmallInteger(), nullable=False, server_default="0"),
    )
    op.add_column(
        "treatment_sessions",
        sa.Column(
            "screening_attested_by", sa.String(length=200), nullable=False, server_default=""
        ),
    )
    op.add_column(
        "treatment_sessions", sa.Column("screening_attested_at", sa.DateTime(), nullable=True)
    )
    op.add_column(
        "screening_answers",
        sa.Column("detail", sa.String(length=200), nullable=False, server_default=""),
    )
    op.execute(
        "UPDATE treatment_sessions SET screening_list = 1 WHERE EXISTS "
        "(SELECT 1 FROM screening_answers a WHERE a.session_id = treatment_sessions.id)"
    )


def downgrade() -> None:
    op.drop_column("screening_answers", "detail")
    op.drop_column("treatment_sessions", "screening_attested_at")
    op.drop_column("treatment_sessions", "screening_attested_by")
    op.drop_column("treatment_sessions", "screening_list")
