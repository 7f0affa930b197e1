"""Trial conduct: the route of each recorded dose (systemic, or intrathecal with its age-based plan).

Revision ID: 0013_conduct
Revises: 0012_registry_ops
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_conduct"
down_revision = "0012_registry_ops"
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
