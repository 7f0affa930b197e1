"""Trial conduct: the route of each recorded dose (systemic, or intrathecal with its age-based plan).

Revision ID: 0011_conduct
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_conduct"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cycle_doses") as batch:
        batch.add_column(sa.Column("route", sa.String(16), nullable=False, server_default="systemic"))
        batch.add_column(sa.Column("plan_basis", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cycle_doses") as batch:
        batch.drop_column("plan_basis")
        batch.drop_column("route")
