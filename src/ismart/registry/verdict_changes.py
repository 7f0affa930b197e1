"""Verdicts changed by a re-screening: pending (blocking registration there) until reviewed."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ismart.registry import audit
from ismart.registry.access import SITE_ROLES, Principal, Role, require
from ismart.registry.clock import now
from ismart.registry.errors import Conflict, Invalid, NotFound
from ismart.registry.models import Subject, VerdictChange

__all__ = ["list_verdict_changes", "review_verdict_change"]


def list_verdict_changes(
    session: Session, *, actor: Principal, status: str | None = None
) -> list[VerdictChange]:
    query = select(VerdictChange).join(Subject, Subject.code == VerdictChange.subject_code)
    if actor.role in SITE_ROLES:
        query = query.where(Subject.site_code == actor.site_code)
    if status is not None:
        query = query.where(VerdictChange.status == status)
    return list(session.scalars(query.order_by(VerdictChange.id)))


def review_verdict_change(session: Session, *, actor: Principal, change_id: int, note: str) -> VerdictChange:
    require(actor, Role.trial_office)
    change = session.get(VerdictChange, change_id)
    if change is None:
        raise NotFound(f"verdict change {change_id} not found")
    if change.status != "pending":
        raise Conflict(f"verdict change {change_id} was already reviewed")
    if not note.strip():
        raise Invalid("note: a review note is required")
    change.status = "reviewed"
    change.reviewed_by = actor.username
    change.review_note = note
    change.reviewed_at = now()
    audit.write(
        session,
        change,
        actor=actor.username,
        action="verdict_change.review",
        entity="verdict_change",
        before={"status": "pending"},
        after={"status": "reviewed", "subject": change.subject_code, "subprotocol": change.subprotocol},
        reason=note,
    )
    return change
