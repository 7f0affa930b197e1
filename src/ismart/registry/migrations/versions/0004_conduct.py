"""Trial conduct: dose assignments, cycles, adverse events, DLT and committee decisions, waiting list.

Revision ID: 0004_conduct
Revises: 0003 (the head of this branch's chain; the integrator relinks it when other revisions land)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_conduct"
down_revision = "0003_response"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dose_assignments",
        sa.Column("subject_code", sa.String(32), sa.ForeignKey("subjects.code"), primary_key=True),
        sa.Column("subprotocol", sa.String(4), nullable=False),
        sa.Column("dose_level", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("assigned_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_dose_assignments_subprotocol", "dose_assignments", ["subprotocol"])
    op.create_table(
        "cycles",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subject_code", sa.String(32), sa.ForeignKey("subjects.code"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("planned_start", sa.Date(), nullable=True),
        sa.Column("dose_level", sa.Integer(), nullable=True),
        sa.Column("height_cm", sa.Float(), nullable=True),
        sa.Column("weight_kg", sa.Float(), nullable=True),
        sa.Column("bsa_m2", sa.Float(), nullable=True),
        sa.Column("gate_reason", sa.Text(), nullable=True),
        sa.Column("sponsor_approval", sa.Text(), nullable=True),
        sa.Column("recovery_day", sa.Integer(), nullable=True),
        sa.Column("deviations", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("subject_code", "number"),
    )
    op.create_index("ix_cycles_subject_code", "cycles", ["subject_code"])
    op.create_table(
        "cycle_doses",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("cycle_id", sa.Integer(), sa.ForeignKey("cycles.id"), nullable=False),
        sa.Column("drug", sa.String(64), nullable=False),
        sa.Column("planned_mg", sa.Float(), nullable=True),
        sa.Column("planned_administrations", sa.Integer(), nullable=False),
        sa.Column("given_administrations", sa.Integer(), nullable=False),
        sa.Column("given_mg", sa.Float(), nullable=True),
        sa.Column("reduction_percent", sa.Float(), nullable=True),
        sa.Column("delay_days", sa.Integer(), nullable=False),
        sa.Column("interruption_days", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.UniqueConstraint("cycle_id", "drug"),
    )
    op.create_index("ix_cycle_doses_cycle_id", "cycle_doses", ["cycle_id"])
    op.create_table(
        "adverse_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subject_code", sa.String(32), sa.ForeignKey("subjects.code"), nullable=False),
        sa.Column("term", sa.String(200), nullable=False),
        sa.Column("soc", sa.String(200), nullable=False),
        sa.Column("grade", sa.Integer(), nullable=False),
        sa.Column("grade_source", sa.Text(), nullable=False),
        sa.Column("onset", sa.Date(), nullable=False),
        sa.Column("resolution", sa.Date(), nullable=True),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("attribution", sa.Text(), nullable=False),
        sa.Column("attribution_confirmed_by", sa.String(64), nullable=True),
        sa.Column("serious", sa.Boolean(), nullable=False),
        sa.Column("seriousness", sa.Text(), nullable=False),
        sa.Column("aware_at", sa.DateTime(), nullable=True),
        sa.Column("reported_at", sa.DateTime(), nullable=True),
        sa.Column("unexpected", sa.Boolean(), nullable=True),
        sa.Column("sponsor_aware_on", sa.Date(), nullable=True),
        sa.Column("expedited_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_adverse_events_subject_code", "adverse_events", ["subject_code"])
    op.create_table(
        "dlt_decisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subject_code", sa.String(32), sa.ForeignKey("subjects.code"), nullable=False),
        sa.Column("dlt", sa.Boolean(), nullable=False),
        sa.Column("event_ids", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_dlt_decisions_subject_code", "dlt_decisions", ["subject_code"])
    op.create_table(
        "committee_decisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subprotocol", sa.String(4), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("from_level", sa.Integer(), nullable=True),
        sa.Column("to_level", sa.Integer(), nullable=True),
        sa.Column("subject_code", sa.String(32), sa.ForeignKey("subjects.code"), nullable=True),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("proposal", sa.Text(), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_committee_decisions_subprotocol", "committee_decisions", ["subprotocol"])
    op.create_table(
        "waiting_list",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subprotocol", sa.String(4), nullable=False),
        sa.Column("subject_code", sa.String(32), sa.ForeignKey("subjects.code"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("added_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("subprotocol", "position"),
    )
    op.create_index("ix_waiting_list_subprotocol", "waiting_list", ["subprotocol"])
    op.create_index("ix_waiting_list_subject_code", "waiting_list", ["subject_code"])


def downgrade() -> None:
    op.drop_table("waiting_list")
    op.drop_table("committee_decisions")
    op.drop_table("dlt_decisions")
    op.drop_table("adverse_events")
    op.drop_table("cycle_doses")
    op.drop_table("cycles")
    op.drop_table("dose_assignments")
