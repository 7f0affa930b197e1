"""Tumour-board decisions: a recommended sub-protocol (with priority) or a non-referral reason."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from ismart.registry import audit
from ismart.registry.access import Principal, Role, require
from ismart.registry.clock import now
from ismart.registry.context import subprotocol as subprotocol_in_force
from ismart.registry.errors import Conflict, Invalid
from ismart.registry.models import BoardDecision
from ismart.registry.subjects import get_subject, move

__all__ = ["add_board_decision", "list_board_decisions"]


def add_board_decision(
    session: Session,
    *,
    actor: Principal,
    code: str,
    subprotocol: str | None,
    priority: int | None,
    rationale: str,
    members: list[str],
    non_referral_reason: str | None,
) -> BoardDecision:
    require(actor, Role.tumour_board, Role.trial_office)
    subject = get_subject(session, actor=actor, code=code, lock=True)
    if (subprotocol is None) == (non_referral_reason is None):
        raise Invalid("subprotocol: give either a recommended sub-protocol or a non-referral reason")
    if subprotocol is not None:
        subprotocol_in_force(
            session,
            subprotocol,
            missing=Invalid,
            message=f"subprotocol: unknown sub-protocol {subprotocol!r}",
        )
    if subject.state not in ("screened", "board_reviewed"):
        raise Conflict(f"subject {code}: cannot record a board decision in state {subject.state}")
    row = BoardDecision(
        subject_code=code,
        subprotocol=subprotocol,
        priority=priority,
        rationale=rationale,
        members=json.dumps(members),
        non_referral_reason=non_referral_reason,
        created_at=now(),
    )
    audit.write(
        session,
        row,
        actor=actor.username,
        action="board.decide",
        entity="board_decision",
        after={
            "subject": code,
            "subprotocol": subprotocol,
            "priority": priority,
            "non_referral_reason": non_referral_reason,
        },
    )
    move(session, actor=actor, subject=subject, to="board_reviewed", reason=rationale)
    return row


def list_board_decisions(session: Session, *, actor: Principal, code: str) -> list[BoardDecision]:
    get_subject(session, actor=actor, code=code)
    return list(
        session.scalars(
            select(BoardDecision).where(BoardDecision.subject_code == code).order_by(BoardDecision.id)
        )
    )
