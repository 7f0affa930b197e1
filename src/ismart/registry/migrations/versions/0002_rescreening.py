"""Re-screening under new protocol data: a link from a screening to the one it re-runs, and the
verdict changes awaiting the trial office's review.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("screenings") as batch:
        batch.add_column(sa.Column("rescreen_of", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_screenings_rescreen_of", "screenings", ["rescreen_of"], ["id"])
    op.create_table(
        "verdict_changes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subject_code", sa.String(32), sa.ForeignKey("subjects.code"), nullable=False, index=True),
        sa.Column("old_screening_id", sa.Integer(), sa.ForeignKey("screenings.id"), nullable=False),
        sa.Column("new_screening_id", sa.Integer(), sa.ForeignKey("screenings.id"), nullable=False),
        sa.Column("subprotocol", sa.String(4), nullable=False),
        sa.Column("old_verdict", sa.String(32), nullable=True),
        sa.Column("new_verdict", sa.String(32), nullable=True),
        sa.Column("old_protocol_version", sa.String(64), nullable=False),
        sa.Column("new_protocol_version", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("reviewed_by", sa.String(64), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("verdict_changes")
    with op.batch_alter_table("screenings") as batch:
        batch.drop_constraint("fk_screenings_rescreen_of", type_="foreignkey")
        batch.drop_column("rescreen_of")
