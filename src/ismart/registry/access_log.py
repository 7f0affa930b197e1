"""The access log: who saw which subject's records, when. One entry per request (a list of
subjects is one entry naming every subject shown), append-only (database triggers, migration
0012_registry_ops), kept apart from the clinical audit chain so that reading stays fast: an entry
is one plain INSERT, with no chain lock and no hash.

Written by the API and the web pages for every read of a subject's records; listed for the trial
office and monitors (`GET /access-log`, `ismart access-log list`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ismart.registry.access import Principal, Role, require
from ismart.registry.models import Base

__all__ = ["AccessEntry", "AccessView", "list_entries", "record"]


class AccessEntry(Base):
    __tablename__ = "access_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[str] = mapped_column(String(40), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(200))  # e.g. "GET /subjects/{code}/dossiers"
    subjects: Mapped[str] = mapped_column(Text)  # JSON list of subject codes shown
    count: Mapped[int] = mapped_column()


@dataclass(frozen=True)
class AccessView:
    id: int
    at: str
    actor: str
    role: str
    action: str
    subjects: list[str]
    count: int


def record(session: Session, *, actor: Principal, action: str, subjects: Iterable[str]) -> None:
    """Note one read; part of the reading request's transaction (no read without its entry)."""
    codes = list(dict.fromkeys(subjects))  # in the order shown, each once
    session.add(
        AccessEntry(
            at=datetime.now(UTC).isoformat(),
            actor=actor.username,
            role=actor.role.value,
            action=action[:200],
            subjects=json.dumps(codes),
            count=len(codes),
        )
    )
    session.flush()


def list_entries(
    session: Session,
    *,
    actor: Principal,
    subject: str | None = None,
    user: str | None = None,
    after_id: int = 0,
    limit: int = 100,
) -> list[AccessView]:
    """Entries in order, for the trial office and monitors; by subject and/or reader."""
    require(actor, Role.trial_office, Role.monitor)
    query = select(AccessEntry).where(AccessEntry.id > after_id).order_by(AccessEntry.id)
    if user is not None:
        query = query.where(AccessEntry.actor == user)
    if subject is not None:
        # the code with its JSON quotes: SE-STO-0001 does not match SE-STO-00011
        query = query.where(AccessEntry.subjects.contains(json.dumps(subject), autoescape=True))
    return [
        AccessView(
            id=e.id,
            at=e.at,
            actor=e.actor,
            role=e.role,
            action=e.action,
            subjects=json.loads(e.subjects),
            count=e.count,
        )
        for e in session.scalars(query.limit(limit))
    ]
