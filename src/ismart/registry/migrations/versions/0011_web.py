"""Screening summaries for the pages' lists: date, verdicts, what to collect, candidate
sub-protocols and molecular calls needing review per screening, filled in from the stored results
of existing rows (so the dashboard reads no report and no large screening row).

Revision ID: 0011_web
Revises: 0010
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0011_web"
down_revision = "0010"
branch_labels = None
depends_on = None


def _summary(report: dict[str, Any]) -> dict[str, Any]:
    """As ismart.registry.screenings.summary_of (kept here so the migration never changes)."""
    missing: list[str] = []
    reviews = 0
    for sp in report["subprotocols"]:
        for item in sp.get("missing", []):
            if item not in missing:
                missing.append(item)
        reviews += sum(1 for a in sp.get("alterations", []) if a.get("status") == "REVIEW")
    return {
        "screened_on": date.fromisoformat(report["screened_on"]),
        "verdicts": json.dumps({sp["id"]: sp["verdict"] for sp in report["subprotocols"]}, sort_keys=True),
        "missing": json.dumps(missing),
        "candidates": json.dumps(list(report.get("recommendation", {}).get("candidates", []))),
        "review_calls": reviews,
    }


def upgrade() -> None:
    summaries = op.create_table(
        "screening_summaries",
        sa.Column("screening_id", sa.Integer(), sa.ForeignKey("screenings.id"), primary_key=True),
        sa.Column("screened_on", sa.Date(), nullable=False),
        sa.Column("verdicts", sa.Text(), nullable=False),
        sa.Column("missing", sa.Text(), nullable=False),
        sa.Column("candidates", sa.Text(), nullable=False),
        sa.Column("review_calls", sa.Integer(), nullable=False),
    )
    assert summaries is not None
    screenings = sa.table("screenings", sa.column("id", sa.Integer()), sa.column("result", sa.Text()))
    bind = op.get_bind()
    last = 0
    while True:  # a page of stored results at a time: they are large
        page = bind.execute(
            sa.select(screenings.c.id, screenings.c.result)
            .where(screenings.c.id > last)
            .order_by(screenings.c.id)
            .limit(200)
        ).all()
        if not page:
            break
        bind.execute(
            summaries.insert(),
            [{"screening_id": row_id, **_summary(json.loads(result))} for row_id, result in page],
        )
        last = page[-1][0]


def downgrade() -> None:
    op.drop_table("screening_summaries")
