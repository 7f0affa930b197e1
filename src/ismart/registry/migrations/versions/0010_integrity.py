"""Registry integrity: revocable accounts (active flag, token version, forced password change),
sign-in throttling, and each screening's verdicts and date stored as columns (filled in from the
stored reports of existing rows).

Revision ID: 0010
Revises: 0003
"""

from __future__ import annotations

import json
from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0004_conduct"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("token_version", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "login_throttles",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
    )
    _audit_columns()
    with op.batch_alter_table("screenings") as batch:
        batch.add_column(sa.Column("verdicts", sa.Text(), nullable=True))
        batch.add_column(sa.Column("screened_on", sa.Date(), nullable=True))
    screenings = sa.table(
        "screenings",
        sa.column("id", sa.Integer()),
        sa.column("result", sa.Text()),
        sa.column("verdicts", sa.Text()),
        sa.column("screened_on", sa.Date()),
    )
    bind = op.get_bind()
    for row_id, result in bind.execute(sa.select(screenings.c.id, screenings.c.result)).all():
        report = json.loads(result)
        verdicts = {sp["id"]: sp["verdict"] for sp in report["subprotocols"]}
        bind.execute(
            screenings.update()
            .where(screenings.c.id == row_id)
            .values(
                verdicts=json.dumps(verdicts, sort_keys=True),
                screened_on=date.fromisoformat(report["screened_on"]),
            )
        )
    with op.batch_alter_table("screenings") as batch:
        batch.alter_column("verdicts", existing_type=sa.Text(), nullable=False)
        batch.alter_column("screened_on", existing_type=sa.Date(), nullable=False)


def _audit_columns() -> None:
    """Audit rows gain the hashes of the rows they wrote and the id of their key. The append-only
    triggers forbid UPDATE, so existing rows keep NULL rows and key id 'legacy' via the default."""
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("rows", sa.Text(), nullable=True))
        batch.add_column(sa.Column("key_id", sa.String(16), nullable=False, server_default="legacy"))


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("key_id")
        batch.drop_column("rows")
    with op.batch_alter_table("screenings") as batch:
        batch.drop_column("screened_on")
        batch.drop_column("verdicts")
    op.drop_table("login_throttles")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("must_change_password")
        batch.drop_column("token_version")
        batch.drop_column("active")
