"""Subjects: pseudonymous codes per site, their states and the moves between them, withdrawal."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ismart.registry import audit
from ismart.registry.access import SITE_ROLES, Principal, Role, check_site, require
from ismart.registry.clock import now
from ismart.registry.errors import Conflict, Invalid, NotFound
from ismart.registry.models import SiteSequence, Subject, Withdrawal

__all__ = [
    "TRANSITIONS",
    "create_subject",
    "get_subject",
    "list_subjects",
    "move",
    "start_treatment",
    "withdraw",
]

TRANSITIONS = {
    "new": {"screened"},
    "screened": {"screened", "board_reviewed", "off_study"},
    "board_reviewed": {"screened", "board_reviewed", "registered", "off_study"},
    "registered": {"on_treatment", "off_study"},
    "on_treatment": {"off_study"},
    "off_study": set(),
}


def create_subject(session: Session, *, actor: Principal, site_code: str) -> Subject:
    require(actor, Role.site_staff, Role.site_investigator, Role.trial_office)
    if actor.role in SITE_ROLES and actor.site_code != site_code:
        raise NotFound(f"site {site_code} not found")
    seq = session.scalars(
        select(SiteSequence).where(SiteSequence.site_code == site_code).with_for_update()
    ).first()
    if seq is None:
        raise NotFound(f"site {site_code} not found")
    seq.last += 1
    subject = Subject(code=f"{site_code}-{seq.last:04d}", site_code=site_code, state="new", created_at=now())
    audit.write(
        session,
        subject,
        actor=actor.username,
        action="subject.create",
        entity="subject",
        after={"site": site_code, "state": "new"},
    )
    return subject


def get_subject(session: Session, *, actor: Principal, code: str, lock: bool = False) -> Subject:
    """The subject (404 for another site's). With lock: SELECT ... FOR UPDATE, read afresh, so that
    every state change of one subject is serialised and re-checked inside its transaction (on
    SQLite, BEGIN IMMEDIATE already serialises writers)."""
    query = select(Subject).where(Subject.code == code)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    subject = session.scalars(query).first()
    if subject is None:
        raise NotFound(f"subject {code} not found")
    check_site(actor, site_code=subject.site_code, subject_code=code)
    return subject


def list_subjects(session: Session, *, actor: Principal) -> list[Subject]:
    query = select(Subject).order_by(Subject.code)
    if actor.role in SITE_ROLES:
        query = query.where(Subject.site_code == actor.site_code)
    return list(session.scalars(query))


def move(session: Session, *, actor: Principal, subject: Subject, to: str, reason: str | None) -> None:
    """Change the subject's state along TRANSITIONS (409 otherwise), audited when it changes."""
    if to not in TRANSITIONS[subject.state]:
        raise Conflict(f"subject {subject.code}: cannot go from {subject.state} to {to}")
    before = subject.state
    subject.state = to
    session.flush()
    if before != to:
        audit.write(
            session,
            subject,
            actor=actor.username,
            action="subject.state",
            entity="subject",
            before={"state": before},
            after={"state": to},
            reason=reason,
        )


def start_treatment(session: Session, *, actor: Principal, code: str) -> Subject:
    require(actor, Role.site_investigator, Role.trial_office)
    subject = get_subject(session, actor=actor, code=code, lock=True)
    move(session, actor=actor, subject=subject, to="on_treatment", reason="treatment started")
    return subject


def withdraw(session: Session, *, actor: Principal, code: str, reason: str) -> Withdrawal:
    require(actor, Role.site_investigator, Role.trial_office)
    subject = get_subject(session, actor=actor, code=code, lock=True)
    if not reason.strip():
        raise Invalid("reason: a reason is required to take a subject off study")
    move(session, actor=actor, subject=subject, to="off_study", reason=reason)
    subject.off_study_reason = reason
    row = Withdrawal(subject_code=code, reason=reason, created_at=now())
    session.add(row)
    session.flush()
    return row
