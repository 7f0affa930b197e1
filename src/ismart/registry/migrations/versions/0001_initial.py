"""Initial registry schema.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), primary_key=True)


def _at() -> sa.Column[datetime]:
    return sa.Column("created_at", sa.DateTime(), nullable=False)


def _subject(unique: bool = False) -> sa.Column[str]:
    return sa.Column(
        "subject_code", sa.String(32), sa.ForeignKey("subjects.code"), nullable=False, unique=unique
    )


def upgrade() -> None:
    op.create_table(
        "sites",
        sa.Column("code", sa.String(16), primary_key=True),
        sa.Column("institution", sa.String(200), nullable=False),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("country", sa.String(100), nullable=False),
    )
    op.create_table(
        "site_statuses",
        sa.Column("site_code", sa.String(16), sa.ForeignKey("sites.code"), primary_key=True),
        sa.Column("subprotocol", sa.String(4), primary_key=True),
        sa.Column("status", sa.String(32), nullable=False),
    )
    op.create_table(
        "users",
        _id(),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("site_code", sa.String(16), sa.ForeignKey("sites.code"), nullable=True),
    )
    op.create_table(
        "site_sequences",
        sa.Column("site_code", sa.String(16), sa.ForeignKey("sites.code"), primary_key=True),
        sa.Column("last", sa.Integer(), nullable=False),
    )
    op.create_table(
        "subjects",
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("site_code", sa.String(16), sa.ForeignKey("sites.code"), nullable=False, index=True),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("off_study_reason", sa.Text(), nullable=True),
        _at(),
    )
    op.create_table(
        "dossier_versions",
        _id(),
        _subject(),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        _at(),
        sa.UniqueConstraint("subject_code", "version"),
    )
    op.create_table(
        "screenings",
        _id(),
        _subject(),
        sa.Column("dossier_id", sa.Integer(), sa.ForeignKey("dossier_versions.id"), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("protocol_version", sa.String(64), nullable=False),
        sa.Column("engine_version", sa.String(64), nullable=False),
        _at(),
    )
    op.create_table(
        "board_decisions",
        _id(),
        _subject(),
        sa.Column("subprotocol", sa.String(4), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=True),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("members", sa.Text(), nullable=False),
        sa.Column("non_referral_reason", sa.Text(), nullable=True),
        _at(),
    )
    op.create_table(
        "subprotocol_counters",
        sa.Column("subprotocol", sa.String(4), primary_key=True),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
    )
    op.create_table(
        "registrations",
        _id(),
        _subject(unique=True),
        sa.Column("subprotocol", sa.String(4), nullable=False),
        sa.Column("dose_level", sa.Integer(), nullable=False),
        sa.Column("subject_number", sa.String(32), nullable=False, unique=True),
        _at(),
    )
    op.create_table(
        "withdrawals",
        _id(),
        _subject(),
        sa.Column("reason", sa.Text(), nullable=False),
        _at(),
    )
    op.create_table(
        "audit_log",
        _id(),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "audit_log",
        "withdrawals",
        "registrations",
        "subprotocol_counters",
        "board_decisions",
        "screenings",
        "dossier_versions",
        "subjects",
        "site_sequences",
        "users",
        "site_statuses",
        "sites",
    ):
        op.drop_table(table)
