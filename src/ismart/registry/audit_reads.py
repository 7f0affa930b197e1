"""Reading the clinical audit trail: pages of entries for the API, filtered lists for the trial
office's page and export. Monitors and the trial office read it; nobody else."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ismart.registry.access import Principal, Role, require
from ismart.registry.models import AuditEntry

__all__ = ["entries_after", "search_entries"]


def entries_after(session: Session, *, actor: Principal, after_id: int, limit: int) -> list[AuditEntry]:
    """Up to ``limit`` entries after ``after_id``, oldest first (to page through the whole trail)."""
    require(actor, Role.trial_office, Role.monitor)
    query = select(AuditEntry).where(AuditEntry.id > after_id).order_by(AuditEntry.id).limit(limit)
    return list(session.scalars(query))


def search_entries(
    session: Session, *, actor: Principal, by: str = "", action: str = "", entity_id: str = "", limit: int
) -> list[AuditEntry]:
    """Newest first: entries written by ``by``, whose action starts with ``action`` and whose entity
    id contains ``entity_id`` (each filter skipped when empty)."""
    require(actor, Role.trial_office, Role.monitor)
    query = select(AuditEntry)
    if by:
        query = query.where(AuditEntry.actor == by)
    if action:
        query = query.where(AuditEntry.action.startswith(action))
    if entity_id:
        query = query.where(AuditEntry.entity_id.contains(entity_id))
    return list(session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit)))
