"""Efficacy stage: response assessments, subject outcomes (off treatment, off study, follow-up,
secondary-endpoint dates) and the declared recommended phase II dose.

Revision ID: 0003_response
Revises: 0003 (the head of main when this was written; the integrator relinks the chain)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_response"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "response_assessments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subject_code", sa.String(32), sa.ForeignKey("subjects.code"), nullable=False, index=True),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("disease", sa.String(16), nullable=False),
        sa.Column("components", sa.Text(), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("marrow_status", sa.String(16), nullable=False),
        sa.Column("mrd_status", sa.String(16), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("definitions_version", sa.String(32), nullable=False),
        sa.Column("entered_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("confirmed_by", sa.String(64), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
    )
    op.create_table(
        "subject_outcomes",
        sa.Column("subject_code", sa.String(32), sa.ForeignKey("subjects.code"), primary_key=True),
        sa.Column("c1d1", sa.Date(), nullable=True),
        sa.Column("off_treatment_on", sa.Date(), nullable=True),
        sa.Column("off_treatment_reason", sa.String(32), nullable=True),
        sa.Column("off_study_on", sa.Date(), nullable=True),
        sa.Column("off_study_reason", sa.String(32), nullable=True),
        sa.Column("follow_up_status", sa.String(32), nullable=True),
        sa.Column("last_contact_on", sa.Date(), nullable=True),
        sa.Column("hsct_on", sa.Date(), nullable=True),
        sa.Column("death_on", sa.Date(), nullable=True),
        sa.Column("first_event_on", sa.Date(), nullable=True),
        sa.Column("first_event_kind", sa.String(32), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "rp2d_declarations",
        sa.Column("subprotocol", sa.String(4), primary_key=True),
        sa.Column("dose_level", sa.Integer(), nullable=False),
        sa.Column("declared_on", sa.Date(), nullable=False),
        sa.Column("declared_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    for table in ("rp2d_declarations", "subject_outcomes", "response_assessments"):
        op.drop_table(table)
